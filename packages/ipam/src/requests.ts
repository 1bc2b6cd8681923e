import { invalid, notFound } from '@tsnet/errors';
import { bitsOf, type Cidr, formatCidr, parseAddress, parseCidr } from './addr.js';
import { IpamErrorCode } from './errors.js';
import { checkPoolSize, checkSubPool } from './pool.js';

/** Docker's two address-space names; `local`/`global` are accepted as aliases. */
export const LOCAL_SPACE = 'LocalDefault';
export const GLOBAL_SPACE = 'GlobalDefault';

/** Pool option that makes every dynamic allocation round-robin (Docker's name for it). */
export const SERIAL_OPTION = 'com.docker.network.ipam.serial';

export interface RequestPoolRequest {
  /** `LocalDefault` (default) or `GlobalDefault`. */
  addressSpace?: string;
  /** The subnet; without it one is picked from the default pools. */
  pool?: string;
  /** The ip-range dynamic allocation is limited to. */
  subPool?: string;
  v6?: boolean;
  options?: Record<string, string>;
  /** CIDRs or plain addresses the picked subnet must not overlap: host routes, nameservers. */
  exclude?: string[];
  /** Auxiliary addresses (`--aux-address name=ip`), reserved with the pool. */
  auxAddresses?: Record<string, string>;
}

export interface ParsedPoolRequest {
  space: string;
  pool?: Cidr;
  subPool?: Cidr;
  v6: boolean;
  options: Record<string, string>;
  exclude: Cidr[];
  aux: { v6: boolean; value: bigint }[];
}

const badRequest = (message: string, value: unknown) =>
  invalid(IpamErrorCode.invalidRequest, message, { details: { value } });

export function parseSpace(space: unknown): string {
  if (space === undefined || space === '' || space === LOCAL_SPACE || space === 'local') return LOCAL_SPACE;
  if (space === GLOBAL_SPACE || space === 'global') return GLOBAL_SPACE;
  throw invalid(IpamErrorCode.unknownAddressSpace,
    `unknown address space ${JSON.stringify(space)}: expected ${LOCAL_SPACE} or ${GLOBAL_SPACE}`, { details: { value: space } });
}

export function parseStringMap(value: unknown, what: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw badRequest(`${what} must be a map of strings, got ${JSON.stringify(value)}`, value);
  }
  return { ...(value as Record<string, string>) };
}

function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw badRequest(`${what} must be a string, got ${JSON.stringify(value)}`, value);
  return value;
}

/** Validates everything a pool request says before the store is touched. */
export function parsePoolRequest(req: unknown): ParsedPoolRequest {
  if (req === null || typeof req !== 'object') throw badRequest(`pool request must be an object, got ${JSON.stringify(req)}`, req);
  const r = req as Record<string, unknown>;
  const space = parseSpace(r['addressSpace']);
  if (r['v6'] !== undefined && typeof r['v6'] !== 'boolean') throw badRequest(`v6 must be a boolean, got ${JSON.stringify(r['v6'])}`, r['v6']);
  const poolText = optionalString(r['pool'], 'pool');
  const subText = optionalString(r['subPool'], 'subPool');
  const pool = poolText === undefined ? undefined : parseCidr(poolText, 'subnet');
  const v6 = pool?.v6 ?? r['v6'] === true;
  if (pool !== undefined) {
    if (r['v6'] !== undefined && r['v6'] !== pool.v6) {
      throw invalid(IpamErrorCode.addressFamily,
        `subnet ${poolText} is ${pool.v6 ? 'IPv6' : 'IPv4'} but an ${pool.v6 ? 'IPv4' : 'IPv6'} pool was requested`, { details: { value: poolText } });
    }
    checkPoolSize(pool);
  }
  let subPool: Cidr | undefined;
  if (subText !== undefined) {
    if (pool === undefined) throw badRequest(`ip-range ${subText} needs a subnet`, subText);
    subPool = parseCidr(subText, 'ip-range');
    checkSubPool(pool, subPool);
  }
  const exclude = parseExclude(r['exclude']);
  const auxMap = parseStringMap(r['auxAddresses'], 'auxAddresses');
  if (Object.keys(auxMap).length > 0 && pool === undefined) throw badRequest('auxiliary addresses need a subnet', auxMap);
  const aux = Object.values(auxMap).map((text) => parseAddress(text, 'auxiliary address'));
  return {
    space, v6, exclude, aux, options: parseStringMap(r['options'], 'options'),
    ...(pool === undefined ? {} : { pool }), ...(subPool === undefined ? {} : { subPool }),
  };
}

function parseExclude(value: unknown): Cidr[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw badRequest(`exclude must be a list of CIDRs, got ${JSON.stringify(value)}`, value);
  const out: Cidr[] = [];
  for (const item of value) {
    // A plain address (a nameserver) excludes just itself.
    const cidr = typeof item === 'string' && !item.includes('/')
      ? (() => { const a = parseAddress(item, 'excluded address'); return { v6: a.v6, base: a.value, prefix: bitsOf(a.v6) }; })()
      : parseCidr(item, 'excluded route', true);
    // The default route covers everything; Docker ignores it when checking host routes too.
    if (cidr.prefix > 0) out.push(cidr);
  }
  return out;
}

/** Splits Docker's pool id `<space>/<subnet>[/<ip-range>]`; anything else names no pool. */
export function parsePoolId(poolId: unknown): { space: string; pool: Cidr; subPool?: Cidr } {
  const unknownPool = () =>
    notFound(IpamErrorCode.poolNotFound, `pool ${JSON.stringify(poolId)} not found`, { details: { poolId } });
  if (typeof poolId !== 'string') throw unknownPool();
  const parts = poolId.split('/');
  if (parts.length !== 3 && parts.length !== 5) throw unknownPool();
  try {
    const space = parseSpace(parts[0]);
    if (space !== parts[0]) throw unknownPool();
    const pool = parseCidr(`${parts[1]}/${parts[2]}`);
    const subPool = parts.length === 5 ? parseCidr(`${parts[3]}/${parts[4]}`) : undefined;
    const canonical = `${space}/${formatCidr(pool)}${subPool === undefined ? '' : `/${formatCidr(subPool)}`}`;
    if (canonical !== poolId) throw unknownPool();
    return { space, pool, ...(subPool === undefined ? {} : { subPool }) };
  } catch {
    throw unknownPool();
  }
}

export interface RequestAddressRequest {
  /** A preferred address (plain IP); refused when taken or outside the subnet. */
  address?: string;
  /** The network's gateway: the first free address of the range (.1) unless `address` is given. */
  gateway?: boolean;
  /** Round-robin instead of first-free for this request. */
  roundRobin?: boolean;
  /** An auxiliary address, owned by the pool. */
  reserve?: boolean;
}

export function parseAddressRequest(req: unknown): { address?: { v6: boolean; value: bigint }; gateway: boolean; serial: boolean; reserve: boolean } {
  if (req === undefined) return { gateway: false, serial: false, reserve: false };
  if (req === null || typeof req !== 'object') throw badRequest(`address request must be an object, got ${JSON.stringify(req)}`, req);
  const r = req as Record<string, unknown>;
  for (const flag of ['gateway', 'roundRobin', 'reserve']) {
    if (r[flag] !== undefined && typeof r[flag] !== 'boolean') throw badRequest(`${flag} must be a boolean, got ${JSON.stringify(r[flag])}`, r[flag]);
  }
  const text = optionalString(r['address'], 'address');
  return {
    gateway: r['gateway'] === true, serial: r['roundRobin'] === true, reserve: r['reserve'] === true,
    ...(text === undefined ? {} : { address: parseAddress(text, r['gateway'] === true ? 'gateway' : 'address') }),
  };
}
