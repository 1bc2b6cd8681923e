import { isIP } from 'node:net';
import { FlagError } from './common.js';

export interface PortBindingBody {
  HostIp: string;
  HostPort: string;
}

export interface PortSpecs {
  /** "80/tcp" → {} */
  exposed: Record<string, Record<string, never>>;
  /** "80/tcp" → bindings */
  bindings: Record<string, PortBindingBody[]>;
}

const PROTOS = new Set(['tcp', 'udp', 'sctp']);

function portRange(text: string, what: string, spec: string): [number, number] {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  const start = match ? Number(match[1]) : NaN;
  const end = match?.[2] !== undefined ? Number(match[2]) : start;
  if (!match || start < 1 || end > 65535 || end < start) {
    throw new FlagError(`invalid ${what} "${text}" in "${spec}": expected a port 1-65535 or a range like 8000-8010`);
  }
  return [start, end];
}

function splitProto(text: string, spec: string): [string, string] {
  const slash = text.lastIndexOf('/');
  if (slash < 0) return [text, 'tcp'];
  const proto = text.slice(slash + 1).toLowerCase();
  if (!PROTOS.has(proto)) throw new FlagError(`invalid proto "${proto}" in "${spec}": expected tcp, udp or sctp`);
  return [text.slice(0, slash), proto];
}

/** Splits "ip:hostPort:containerPort" with IPv6 addresses in brackets. */
function splitParts(rest: string, spec: string): [string, string, string] {
  let ip = '';
  let tail = rest;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0 || rest[close + 1] !== ':') throw new FlagError(`invalid port spec "${spec}": unclosed IPv6 address`);
    ip = rest.slice(1, close);
    tail = rest.slice(close + 2);
    const [host = '', container = '', ...extra] = tail.split(':');
    if (extra.length || container === '') throw new FlagError(`invalid port spec "${spec}"`);
    return [ip, host, container];
  }
  const parts = tail.split(':');
  if (parts.length === 1) return ['', '', parts[0]!];
  if (parts.length === 2) return ['', parts[0]!, parts[1]!];
  if (parts.length === 3) return [parts[0]!, parts[1]!, parts[2]!];
  throw new FlagError(`invalid port spec "${spec}": too many colons (use [addr] for IPv6)`);
}

/** Docker's nat.ParsePortSpec for one -p value, added to `into`. */
export function addPublish(spec: string, into: PortSpecs): void {
  const [rest, proto] = splitProto(spec, spec);
  const [ip, hostText, containerText] = splitParts(rest, spec);
  if (ip && !isIP(ip)) throw new FlagError(`invalid IP address "${ip}" in "${spec}"`);
  if (containerText === '') throw new FlagError(`no port specified: "${spec}"`);
  const [cStart, cEnd] = portRange(containerText, 'container port', spec);
  const host = hostText === '' ? undefined : portRange(hostText, 'host port', spec);
  const count = cEnd - cStart + 1;
  if (host && count > 1 && host[1] - host[0] + 1 !== count) {
    throw new FlagError(`invalid ranges in "${spec}": container range ${containerText} and host range ${hostText} differ in size`);
  }
  for (let i = 0; i < count; i++) {
    const key = `${cStart + i}/${proto}`;
    let hostPort = '';
    if (host && count > 1) hostPort = String(host[0] + i);
    else if (host) hostPort = host[0] === host[1] ? String(host[0]) : `${host[0]}-${host[1]}`;
    into.exposed[key] = {};
    (into.bindings[key] ??= []).push({ HostIp: ip, HostPort: hostPort });
  }
}

/** --expose "80", "80/udp", "8000-8010". */
export function addExpose(spec: string, into: PortSpecs): void {
  const [rest, proto] = splitProto(spec, spec);
  const [start, end] = portRange(rest, 'port', spec);
  for (let p = start; p <= end; p++) into.exposed[`${p}/${proto}`] = {};
}

export function parsePorts(publish: readonly string[] = [], expose: readonly string[] = []): PortSpecs {
  const specs: PortSpecs = { exposed: {}, bindings: {} };
  for (const e of expose) addExpose(e, specs);
  for (const p of publish) addPublish(p, specs);
  return specs;
}
