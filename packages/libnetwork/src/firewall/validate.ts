import { isIP } from 'node:net';
import { invalid } from '@tsnet/errors';
import type { FirewallState, NetworkRules, PortMapping, Proto } from './types.js';

/**
 * Everything that reaches rule text passes through here first: rule text is fed to `nft -f` and
 * `iptables-restore`, so an unchecked bridge name or address could inject a rule.
 */

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const SAFE = /^[A-Za-z0-9_.:-]{1,64}$/;
const PROTOS: readonly Proto[] = ['tcp', 'udp', 'sctp'];

export interface Net4or6 {
  family: 4 | 6;
  subnets: string[];
}

export interface NormalizedNetwork extends NetworkRules {
  v4: string[];
  v6: string[];
}

export interface NormalizedMapping extends PortMapping {
  family: 4 | 6;
  /** '' when bound to every address of the family. */
  hostIp: string;
  network: string;
}

export interface NormalizedState {
  networks: NormalizedNetwork[];
  portMappings: NormalizedMapping[];
  userlandProxy: boolean;
}

/** The form both `nft list` and iptables-save print: lower case, IPv6 compressed. */
export function canonicalIp(ip: string): string {
  return isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

/** The network address of ip/len (iptables and nft both list a subnet by its masked address). */
function maskIp(ip: string, len: number, family: 4 | 6): string {
  if (family === 4) {
    const n = ip.split('.').reduce((acc, o) => (acc << 8n) | BigInt(o), 0n);
    const masked = n & (((1n << BigInt(len)) - 1n) << BigInt(32 - len));
    return [24n, 16n, 8n, 0n].map((s) => String((masked >> s) & 255n)).join('.');
  }
  const full = canonicalIp(ip);
  const [head = '', tail = ''] = full.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = full.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const n = groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
  const masked = n & (((1n << BigInt(len)) - 1n) << BigInt(128 - len));
  const out = Array.from({ length: 8 }, (_, i) => ((masked >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  return canonicalIp(out.join(':'));
}

function bad(message: string, details: Record<string, unknown>): never {
  throw invalid('ERR_FIREWALL_INVALID_STATE', message, { details });
}

export function canonicalCidr(cidr: string): { cidr: string; family: 4 | 6 } {
  const [addr, lenText, extra] = cidr.split('/');
  const family = isIP(addr ?? '');
  const len = Number(lenText);
  const max = family === 6 ? 128 : 32;
  if (extra !== undefined || (family !== 4 && family !== 6) || !/^\d{1,3}$/.test(lenText ?? '') || len > max) {
    bad(`invalid subnet "${cidr}"`, { subnet: cidr });
  }
  return { cidr: `${maskIp(addr!, len, family)}/${len}`, family };
}

function checkName(what: string, value: string, re: RegExp): void {
  if (!re.test(value)) bad(`invalid ${what} "${value}"`, { [what]: value });
}

function normalizeNetwork(n: NetworkRules): NormalizedNetwork {
  checkName('bridge', n.bridge, IFNAME);
  checkName('network name', n.name, SAFE);
  const v4: string[] = [];
  const v6: string[] = [];
  for (const s of n.subnets) {
    const c = canonicalCidr(s);
    (c.family === 4 ? v4 : v6).push(c.cidr);
  }
  if (n.hostBindingIpv4 !== undefined && n.hostBindingIpv4 !== '' && isIP(n.hostBindingIpv4) !== 4) {
    bad(`invalid host_binding_ipv4 "${n.hostBindingIpv4}" on network "${n.name}"`, { hostBindingIpv4: n.hostBindingIpv4 });
  }
  return { ...n, v4, v6 };
}

/**
 * Checks one mapping and gives it its canonical form. Runs once per published port on every
 * apply (1,000 ports = 1,000 calls), so isIP is asked once per address and the result is built
 * literally rather than by spreading the input.
 */
function normalizeMapping(m: PortMapping, byId: Map<string, NormalizedNetwork>): NormalizedMapping {
  const net = byId.get(m.networkId);
  if (!net) bad(`port mapping for unknown network "${m.networkId}"`, { networkId: m.networkId });
  if (net.bridge !== m.bridge) bad(`port mapping bridge "${m.bridge}" is not network "${net.name}"'s`, { bridge: m.bridge });
  if (!PROTOS.includes(m.proto)) bad(`invalid protocol "${m.proto}"`, { proto: m.proto });
  for (const [what, port] of [['hostPort', m.hostPort], ['containerPort', m.containerPort]] as const) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) bad(`invalid ${what} ${port}`, { [what]: port });
  }
  const family = isIP(m.containerIp);
  if (family !== 4 && family !== 6) bad(`invalid container address "${m.containerIp}"`, { containerIp: m.containerIp });
  checkName('container id', m.containerId, SAFE);
  checkName('endpoint id', m.endpointId, SAFE);
  let hostIp = m.hostIp === '' || m.hostIp === '0.0.0.0' || m.hostIp === '::' ? '' : canonicalIp(m.hostIp);
  // Docker resolves an unset host address to the network's DefaultBindingIP.
  if (hostIp === '' && family === 4 && net.hostBindingIpv4 && net.hostBindingIpv4 !== '0.0.0.0') hostIp = net.hostBindingIpv4;
  if (hostIp !== '' && isIP(hostIp) !== family) {
    bad(`host address "${m.hostIp}" does not match container address "${m.containerIp}"`, { hostIp: m.hostIp });
  }
  return {
    networkId: m.networkId,
    endpointId: m.endpointId,
    containerId: m.containerId,
    bridge: m.bridge,
    proto: m.proto,
    hostIp,
    hostPort: m.hostPort,
    containerIp: family === 6 ? canonicalIp(m.containerIp) : m.containerIp,
    containerPort: m.containerPort,
    family,
    network: net.name,
  };
}

export function normalizeState(state: FirewallState): NormalizedState {
  const networks = state.networks.map(normalizeNetwork);
  const byId = new Map(networks.map((n) => [n.id, n]));
  // Checked, then left out for an --internal network: Docker never programs external connectivity
  // (port mappings) for one (libnetwork sbJoin: ProgramExternalConnectivity only `if !n.internal`).
  const portMappings = state.portMappings.map((m) => normalizeMapping(m, byId)).filter((m) => !byId.get(m.networkId)?.internal);
  return { networks, portMappings, userlandProxy: state.userlandProxy ?? false };
}
