import { httpStatusOf, invalid, isTsnetError, notFound } from '@tsnet/errors';
import { IpamErrorCode } from './errors.js';
import type { Ipam } from './ipam.js';
import { parseStringMap, SERIAL_OPTION } from './requests.js';

/**
 * Docker's remote IPAM plugin protocol (libnetwork docs/ipam.md) as pure request → response
 * handlers: the engine serves them on the plugin socket, tests call them directly. Errors answer
 * `{ "Err": "..." }` with the status of the error's kind (400 bad input, 404 unknown pool,
 * 409 conflict, 503 exhausted), which libnetwork's plugin client reports as the error.
 */
export interface PluginResponse {
  status: number;
  body: Record<string, unknown>;
}

export type IpamPluginHandler = (path: string, body: unknown) => Promise<PluginResponse>;

/** RequestAddress option naming what the address is for (ipamapi.RequestAddressType). */
export const REQUEST_ADDRESS_TYPE = 'RequestAddressType';
export const GATEWAY_ADDRESS_TYPE = 'com.docker.network.gateway';

type Fields = Record<string, unknown>;

const wrongType = (path: string, field: string, want: string, value: unknown) =>
  invalid(IpamErrorCode.invalidRequest, `${path}: ${field} must be ${want}, got ${JSON.stringify(value)}`,
    { details: { field, value } });

function str(path: string, body: Fields, field: string, required = false): string | undefined {
  const value = body[field];
  if (value === undefined || value === null || (value === '' && !required)) {
    if (required) throw wrongType(path, field, 'a non-empty string', value);
    return undefined;
  }
  if (typeof value !== 'string' || value === '') throw wrongType(path, field, 'a string', value);
  return value;
}

function options(path: string, body: Fields): Record<string, string> {
  try {
    return parseStringMap(body['Options'], 'Options');
  } catch {
    throw wrongType(path, 'Options', 'a map of strings', body['Options']);
  }
}

function parseBody(path: string, body: unknown): Fields {
  let value = body;
  if (typeof value === 'string' || value instanceof Uint8Array) {
    const text = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
    if (text.trim() === '') return {};
    try {
      value = JSON.parse(text);
    } catch {
      throw invalid(IpamErrorCode.invalidRequest, `${path}: body is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
    }
  }
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw wrongType(path, 'body', 'a JSON object', value);
  return value as Fields;
}

type Route = (ipam: Ipam, body: Fields, path: string) => Promise<Record<string, unknown>> | Record<string, unknown>;

const routes: Record<string, Route> = {
  '/Plugin.Activate': () => ({ Implements: ['IpamDriver'] }),
  '/IpamDriver.GetCapabilities': () => ({ RequiresMACAddress: false, RequiresRequestReplay: false }),
  '/IpamDriver.GetDefaultAddressSpaces': (ipam) => {
    const spaces = ipam.defaultAddressSpaces();
    return { LocalDefaultAddressSpace: spaces.local, GlobalDefaultAddressSpace: spaces.global };
  },
  '/IpamDriver.RequestPool': async (ipam, body, path) => {
    const v6 = body['V6'];
    if (v6 !== undefined && v6 !== null && typeof v6 !== 'boolean') throw wrongType(path, 'V6', 'a boolean', v6);
    const pool = str(path, body, 'Pool');
    const subPool = str(path, body, 'SubPool');
    const space = str(path, body, 'AddressSpace');
    const result = await ipam.requestPool({
      options: options(path, body),
      ...(space === undefined ? {} : { addressSpace: space }),
      ...(pool === undefined ? {} : { pool }),
      ...(subPool === undefined ? {} : { subPool }),
      ...(typeof v6 === 'boolean' ? { v6 } : {}),
    });
    return { PoolID: result.poolId, Pool: result.pool, Data: result.data };
  },
  '/IpamDriver.ReleasePool': async (ipam, body, path) => {
    await ipam.releasePool(str(path, body, 'PoolID', true)!);
    return {};
  },
  '/IpamDriver.RequestAddress': async (ipam, body, path) => {
    const poolId = str(path, body, 'PoolID', true)!;
    const address = str(path, body, 'Address');
    const opts = options(path, body);
    const result = await ipam.requestAddress(poolId, {
      gateway: opts[REQUEST_ADDRESS_TYPE] === GATEWAY_ADDRESS_TYPE,
      roundRobin: opts[SERIAL_OPTION] === 'true',
      ...(address === undefined ? {} : { address }),
    });
    return { Address: result.address, Data: {} };
  },
  '/IpamDriver.ReleaseAddress': async (ipam, body, path) => {
    await ipam.releaseAddress(str(path, body, 'PoolID', true)!, str(path, body, 'Address', true)!);
    return {};
  },
};

/** `(path, body) => { status, body }` for every path of the protocol; body may be raw JSON text. */
export function ipamPluginHandlers(ipam: Ipam): IpamPluginHandler {
  return async (path, rawBody) => {
    try {
      const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
      if (route === undefined) {
        throw notFound('ERR_IPAM_PLUGIN_UNKNOWN_PATH', `unknown IPAM plugin endpoint ${JSON.stringify(path)}`, { details: { path } });
      }
      return { status: 200, body: await route(ipam, parseBody(path, rawBody), path) };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { status: isTsnetError(error) ? httpStatusOf(error) : 500, body: { Err: message } };
    }
  };
}
