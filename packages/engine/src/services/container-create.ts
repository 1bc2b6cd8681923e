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
