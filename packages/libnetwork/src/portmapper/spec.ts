import { isIP } from 'node:net';
import { invalid } from '@tsnet/errors';

/**
 * Docker's `-p` / `--publish` and `-P` parsing (go-connections nat.ParsePortSpec), with Docker's
 * error messages: `80`, `8080:80`, `127.0.0.1:8080:80`, `127.0.0.1::80`, `8000-8010:80-90`,
 * `8000-8010:80` (a host range to pick one port from), `[::1]:8080:80`, `/udp`, `/sctp`.
 */

export type PortProto = 'tcp' | 'udp' | 'sctp';

export interface PortBinding {
  proto: PortProto;
  containerPort: number;
  /** '' = every address (Docker's 0.0.0.0 / ::). IPv6 without brackets. */
  hostIp: string;
  /** 0 = ephemeral (picked from ip_local_port_range). */
  hostPort: number;
  /** When set, pick one free host port in hostPort..hostPortEnd (`-p 8000-8010:80`). */
  hostPortEnd?: number;
}

const fail = (message: string, spec: string): never => {
  throw invalid('ERR_INVALID_PORT_SPEC', message, { details: { spec } });
};

/** `ip:host:container`, `host:container`, `container`; anything longer is an IPv6 host part. */
function splitParts(raw: string): [string, string, string] {
  const parts = raw.split(':');
  const n = parts.length;
  const container = parts[n - 1]!;
  if (n === 1) return ['', '', container];
  if (n === 2) return ['', parts[0]!, container];
  if (n === 3) return [parts[0]!, parts[1]!, container];
  return [parts.slice(0, n - 2).join(':'), parts[n - 2]!, container];
}

function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split('/');
  if (raw === '' || parts[0] === '') return ['', ''];
  if (parts.length === 1) return ['tcp', raw];
  if (parts[1] === '') return ['tcp', parts[0]!];
  return [parts[1]!, parts[0]!];
}

/** Go's ParseUint(s, 10, 16): digits only, ≤ 65535. */
function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

export function parsePortRange(text: string): [number, number] | undefined {
  if (text === '') return undefined;
  if (!text.includes('-')) {
    const p = parsePort(text);
    return p === undefined ? undefined : [p, p];
  }
  const [a = '', b = ''] = text.split('-');
  const start = parsePort(a);
  const end = parsePort(b);
  if (start === undefined || end === undefined || end < start) return undefined;
  return [start, end];
}

function parseHostIp(ip: string, raw: string): string {
  let host = ip;
  if (host.startsWith('[')) {
    if (!host.endsWith(']')) fail(`Invalid ip address ${ip}: address ${ip}: missing ']' in address`, raw);
    host = host.slice(1, -1);
  }
  if (host !== '' && isIP(host) === 0) fail(`Invalid ip address: ${host}`, raw);
  return host === '0.0.0.0' || host === '::' ? '' : host;
}

/** One `-p` value → one binding per container port. Throws ERR_INVALID_PORT_SPEC with Docker's message. */
export function parsePortSpec(raw: string): PortBinding[] {
  const [ip, hostText, containerRaw] = splitParts(raw.trim());
  const [protoText, containerText] = splitProtoPort(containerRaw);
  const hostIp = parseHostIp(ip, raw);
  if (containerText === '') fail(`No port specified: ${raw}<empty>`, raw);
  const container = parsePortRange(containerText);
  if (!container || container[0] === 0) fail(`Invalid containerPort: ${containerText}`, raw);
  const [cStart, cEnd] = container!;
  let host: [number, number] = [0, 0];
  if (hostText !== '') {
    const h = parsePortRange(hostText);
    if (!h) fail(`Invalid hostPort: ${hostText}`, raw);
    host = h!;
  }
  if (hostText !== '' && cEnd - cStart !== host[1] - host[0] && cEnd !== cStart) {
    fail(`Invalid ranges specified for container and host Ports: ${containerText} and ${hostText}`, raw);
  }
  const proto = protoText.toLowerCase();
  if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') fail(`Invalid proto: ${protoText}`, raw);
  const out: PortBinding[] = [];
  for (let i = 0; i <= cEnd - cStart; i++) {
    const b: PortBinding = { proto: proto as PortProto, containerPort: cStart + i, hostIp, hostPort: hostText === '' ? 0 : host[0] + i };
    // A single container port with a host range: Docker picks one free port of the range.
    if (cStart === cEnd && host[0] !== host[1]) b.hostPortEnd = host[1];
    out.push(b);
  }
  return out;
}

/** Every `-p` of a run, in order. */
export function parsePortSpecs(specs: readonly string[]): PortBinding[] {
  return specs.flatMap(parsePortSpec);
}

/**
 * `-P`: every exposed port (`80`, `80/tcp`, `53/udp`, `8000-8010/tcp`, as in EXPOSE or
 * Config.ExposedPorts keys) published on an ephemeral host port of every address.
 */
export function publishAllBindings(exposed: readonly string[]): PortBinding[] {
  return exposed.flatMap((e) => {
    const [protoText, portText] = splitProtoPort(e.trim());
    if (portText === '') fail(`No port specified: ${e}<empty>`, e);
    const range = parsePortRange(portText);
    if (!range || range[0] === 0) fail(`Invalid containerPort: ${portText}`, e);
    const proto = protoText.toLowerCase();
    if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') fail(`Invalid proto: ${protoText}`, e);
    const out: PortBinding[] = [];
    for (let p = range![0]; p <= range![1]; p++) out.push({ proto: proto as PortProto, containerPort: p, hostIp: '', hostPort: 0 });
    return out;
  });
}

/** Docker's text for a binding: `0.0.0.0:8080->80/tcp`, `[::1]:8080->80/tcp`. */
export function formatBinding(b: PortBinding): string {
  const ip = b.hostIp === '' ? '0.0.0.0' : isIP(b.hostIp) === 6 ? `[${b.hostIp}]` : b.hostIp;
  const host = b.hostPortEnd !== undefined ? `${b.hostPort}-${b.hostPortEnd}` : String(b.hostPort);
  return `${ip}:${host}->${b.containerPort}/${b.proto}`;
}
