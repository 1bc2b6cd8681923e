import { randomInt } from 'node:crypto';
import { invalid } from '@tsnet/errors';
import type { ExposedPort, PortBindingRequest } from '@tsnet/libnetwork';
import type { HostConfigBody } from './container-types.js';

/** Docker's container name rule (daemon/names.go). */
export const CONTAINER_NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function parseContainerName(raw: string): string {
  if (!CONTAINER_NAME_RE.test(raw)) {
    throw invalid('ERR_CONTAINER_NAME_INVALID', `Invalid container name (${raw}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return raw.replace(/^\//, '');
}

const LEFT = ['admiring', 'brave', 'clever', 'dazzling', 'eager', 'festive', 'gallant', 'happy', 'jolly', 'keen', 'lucid', 'modest', 'nifty', 'optimistic', 'quirky', 'relaxed', 'serene', 'trusting', 'upbeat', 'vibrant', 'wizardly', 'zealous'];
const RIGHT = ['babbage', 'curie', 'darwin', 'einstein', 'feynman', 'galileo', 'hopper', 'johnson', 'kepler', 'lovelace', 'mendel', 'newton', 'pasteur', 'ritchie', 'shannon', 'tesla', 'turing', 'wozniak', 'yonath'];

/** A Docker-style generated name (`adjective_scientist`); `retry` > 0 appends a digit as Docker does. */
export function generateName(retry: number): string {
  const name = `${LEFT[randomInt(LEFT.length)]}_${RIGHT[randomInt(RIGHT.length)]}`;
  return retry > 0 ? `${name}${randomInt(10)}` : name;
}

/** `"80/tcp"` (or `"80"`) → port and protocol. */
export function parsePortKey(key: string): ExposedPort {
  const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/.exec(key);
  const port = m ? Number(m[1]) : NaN;
  if (!m || port < 1 || port > 65535) throw invalid('ERR_INVALID_PORT', `invalid port specification: "${key}"`);
  return { port, proto: (m[2] ?? 'tcp') as ExposedPort['proto'] };
}

export function exposedPorts(...maps: Array<Record<string, unknown> | null | undefined>): ExposedPort[] {
  const out = new Map<string, ExposedPort>();
  for (const m of maps) for (const key of Object.keys(m ?? {})) {
    const p = parsePortKey(key);
    out.set(`${p.port}/${p.proto}`, p);
  }
  return [...out.values()];
}

/** HostConfig.PortBindings → the controller's requests (HostPort "", "8080" or "8000-8010"). */
export function portRequests(bindings: HostConfigBody['PortBindings']): PortBindingRequest[] {
  const out: PortBindingRequest[] = [];
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const { port, proto } = parsePortKey(key);
    for (const b of list ?? [{}]) {
      const hostPort = b.HostPort ?? '';
      const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(hostPort);
      if (hostPort !== '' && !m) throw invalid('ERR_INVALID_PORT', `invalid host port "${hostPort}" for ${key}`);
      out.push({
        proto,
        containerPort: port,
        hostIp: b.HostIp ?? '',
        hostPort: m ? Number(m[1]) : 0,
        ...(m?.[2] ? { hostPortEnd: Number(m[2]) } : {}),
      });
    }
  }
  return out;
}

/** `--link name:alias` as the API carries it (`/name:/self/alias` or `name:alias` or `name`). */
export function parseLink(spec: string): { container: string; alias: string } {
  const [rawName, rawAlias] = spec.split(':');
  const container = (rawName ?? '').replace(/^\//, '');
  const alias = (rawAlias ?? container).split('/').pop() ?? '';
  if (!container || !alias) throw invalid('ERR_INVALID_LINK', `invalid link "${spec}": name:alias expected`);
  return { container, alias };
}

export type NetworkModeKind =
  | { kind: 'default' }
  | { kind: 'host' }
  | { kind: 'none' }
  | { kind: 'container'; ref: string }
  | { kind: 'network'; name: string };

export function parseNetworkMode(mode: string | undefined): NetworkModeKind {
  if (mode === undefined || mode === '' || mode === 'default' || mode === 'bridge') return { kind: 'default' };
  if (mode === 'host') return { kind: 'host' };
  if (mode === 'none') return { kind: 'none' };
  if (mode.startsWith('container:')) {
    const ref = mode.slice('container:'.length);
    if (!ref) throw invalid('ERR_NETWORK_MODE', `invalid network mode "${mode}": container:<name|id> expected`);
    return { kind: 'container', ref };
  }
  return { kind: 'network', name: mode };
}

/** Strings or null lists from the API, as plain arrays. */
export const list = (v: readonly string[] | null | undefined): string[] => (v ? [...v] : []);

/** Cmd/Entrypoint may be a string in old clients: Docker splits nothing, it wraps it. */
export const argv = (v: string | readonly string[] | null | undefined): string[] | null =>
  v === null || v === undefined ? null : typeof v === 'string' ? [v] : [...v];

/** Docker's `--add-host NAME:host-gateway` value, replaced by the host's address at create. */
export const HOST_GATEWAY = 'host-gateway';

/** `name:host-gateway` entries of ExtraHosts get `gatewayIp` (an error without one, as dockerd). */
export function substituteHostGateway(hosts: readonly string[], gatewayIp: string | undefined): string[] {
  return hosts.map((h) => {
    const colon = h.indexOf(':');
    if (colon < 0 || h.slice(colon + 1) !== HOST_GATEWAY) return h;
    if (!gatewayIp) throw invalid('ERR_INVALID_EXTRA_HOST', `unable to derive the IP value for host-gateway in "${h}"`);
    return `${h.slice(0, colon)}:${gatewayIp}`;
  });
}

const nonEmpty = (v: unknown): boolean => (Array.isArray(v) ? v.length > 0 : v !== null && typeof v === 'object' ? Object.keys(v).length > 0 : Boolean(v));

/**
 * Options that make no sense when the network stack is another container's (or the host's):
 * refused with dockerd's own messages (runconfig validateNetContainerMode), before anything is made.
 */
export function checkNetworkModeConflicts(body: { Hostname?: string | undefined; ExposedPorts?: unknown; MacAddress?: unknown; HostConfig?: HostConfigBody | null | undefined }): void {
  const hc = body.HostConfig ?? {};
  const mode = parseNetworkMode(hc.NetworkMode);
  const fail = (m: string): never => {
    throw invalid('ERR_NETWORK_MODE_CONFLICT', `conflicting options: ${m}`);
  };
  if (mode.kind === 'container') {
    if (body.Hostname) fail('hostname and the network mode');
    if (nonEmpty(hc.Links)) fail("container type network can't be used with links. This would result in undefined behavior");
    if (nonEmpty(hc.Dns)) fail('dns and the network mode');
    if (nonEmpty(hc.ExtraHosts)) fail('custom host-to-IP mapping and the network mode');
  }
  if ((mode.kind === 'container' || mode.kind === 'host') && typeof body.MacAddress === 'string' && body.MacAddress !== '') fail('mac-address and the network mode');
  if (mode.kind === 'container') {
    if (nonEmpty(hc.PortBindings) || hc.PublishAllPorts) fail('port publishing and the container type network mode');
    if (nonEmpty(body.ExposedPorts)) fail('port exposing and the container type network mode');
  }
  if (mode.kind === 'host' && nonEmpty(hc.Links)) fail("host type networking can't be used with links. This would result in undefined behavior");
}

/** The Warnings dockerd adds to a create reply for settings it accepts and discards. */
export function createWarnings(hc: HostConfigBody | null | undefined): string[] {
  const mode = parseNetworkMode(hc?.NetworkMode);
  return mode.kind === 'host' && (nonEmpty(hc?.PortBindings) || hc?.PublishAllPorts) ? ['Published ports are discarded when using host network mode'] : [];
}

/** Config.Env as Docker keeps it: the image's variables, overridden by the request's (nothing else). */
export function mergeEnv(imageEnv: readonly string[] | null | undefined, requestEnv: readonly string[] | null | undefined): string[] {
  const out = new Map<string, string>();
  for (const e of [...(imageEnv ?? []), ...(requestEnv ?? [])]) {
    const eq = e.indexOf('=');
    out.set(eq < 0 ? e : e.slice(0, eq), e);
  }
  return [...out.values()];
}

/** HostConfig.Links as dockerd shows them: `/target:/self/alias`. */
export function normaliseLinks(links: readonly string[] | null | undefined, self: string): string[] | null {
  if (!links || links.length === 0) return null;
  return links.map((spec) => {
    const { container, alias } = parseLink(spec);
    return `/${container}:/${self}/${alias}`;
  });
}
