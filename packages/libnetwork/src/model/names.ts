import { isIP } from 'node:net';
import { invalid } from '@tsnet/errors';

/**
 * Branded values made only by the parsers below: nothing unparsed reaches the kernel, a file path
 * or the store.
 */
export type NetworkName = string & { readonly __brand: 'NetworkName' };
export type IfName = string & { readonly __brand: 'IfName' };
export type Cidr = string & { readonly __brand: 'Cidr' };
export type IpAddress = string & { readonly __brand: 'IpAddress' };
export type Hostname = string & { readonly __brand: 'Hostname' };

// Docker's restricted name pattern (libnetwork config.ValidateName / container names).
const NETWORK_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function parseNetworkName(value: unknown): NetworkName {
  if (typeof value !== 'string' || value.length === 0 || value.length > 128 || !NETWORK_NAME_RE.test(value)) {
    throw invalid('ERR_INVALID_NETWORK_NAME', `invalid network name ${JSON.stringify(value)}: must match [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 128 characters)`);
  }
  return value as NetworkName;
}

/** A Linux interface name: 1–15 bytes (IFNAMSIZ - 1), no '/', ':' or whitespace, not '.' or '..'. */
export function parseIfName(value: unknown, what = 'interface name'): IfName {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    Buffer.byteLength(value) > 15 ||
    /[\s/:]/.test(value) ||
    value === '.' ||
    value === '..'
  ) {
    throw invalid('ERR_INVALID_IFNAME', `invalid ${what} ${JSON.stringify(value)}: 1-15 characters without '/', ':' or spaces`);
  }
  return value as IfName;
}

export function parseIp(value: unknown, what = 'IP address', family?: 4 | 6): IpAddress {
  const f = typeof value === 'string' ? isIP(value) : 0;
  if (f === 0 || (family !== undefined && f !== family)) {
    throw invalid('ERR_INVALID_ADDRESS', `invalid ${what} ${JSON.stringify(value)}${family ? ` (IPv${family} expected)` : ''}`);
  }
  return value as IpAddress;
}

export function ipFamily(ip: string): 4 | 6 {
  return isIP(ip) === 6 ? 6 : 4;
}

/** `a.b.c.d/n` or `v6/n`, canonicalised to its network address (Docker rejects host bits? it masks them). */
export function parseCidr(value: unknown, what = 'subnet'): Cidr {
  if (typeof value !== 'string') throw invalid('ERR_INVALID_SUBNET', `invalid ${what} ${JSON.stringify(value)}`);
  const [ip, bits, extra] = value.split('/');
  const family = ip === undefined ? 0 : isIP(ip);
  const prefix = bits !== undefined && /^\d{1,3}$/.test(bits) ? Number(bits) : -1;
  if (extra !== undefined || family === 0 || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
    throw invalid('ERR_INVALID_SUBNET', `invalid ${what} ${JSON.stringify(value)}: CIDR expected (e.g. 10.1.0.0/16)`);
  }
  const fam = family === 6 ? 6 : 4;
  return `${formatIp(maskIp(parseIpBig(ip!), prefix, fam), fam)}/${prefix}` as Cidr;
}

export function cidrParts(cidr: string): { ip: string; prefix: number; family: 4 | 6 } {
  const [ip, bits] = cidr.split('/');
  return { ip: ip!, prefix: Number(bits), family: ipFamily(ip!) };
}

export function parseIpBig(ip: string): bigint {
  if (isIP(ip) === 4) return ip.split('.').reduce((acc, b) => (acc << 8n) | BigInt(Number(b)), 0n);
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const parse = (s: string | undefined): number[] => {
    if (!s) return [];
    const groups: number[] = [];
    for (const g of s.split(':')) {
      if (g.includes('.')) {
        const v4 = parseIpBig(g);
        groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else groups.push(parseInt(g, 16));
    }
    return groups;
  };
  const h = parse(head);
  const t = parse(tail);
  const groups = tail === undefined ? h : [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

export function formatIp(value: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups = [...Array(8).keys()].map((i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: compress the longest run (≥ 2) of zero groups.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function maskIp(value: bigint, prefix: number, family: 4 | 6): bigint {
  const width = family === 4 ? 32n : 128n;
  const hostBits = width - BigInt(prefix);
  return (value >> hostBits) << hostBits;
}

export function cidrContains(cidr: string, ip: string): boolean {
  const { ip: net, prefix, family } = cidrParts(cidr);
  if (ipFamily(ip) !== family) return false;
  return maskIp(parseIpBig(ip), prefix, family) === maskIp(parseIpBig(net), prefix, family);
}

export function cidrsOverlap(a: string, b: string): boolean {
  const pa = cidrParts(a);
  const pb = cidrParts(b);
  if (pa.family !== pb.family) return false;
  const prefix = Math.min(pa.prefix, pb.prefix);
  return maskIp(parseIpBig(pa.ip), prefix, pa.family) === maskIp(parseIpBig(pb.ip), prefix, pb.family);
}

/** RFC 1123 hostname (labels of 1–63 characters, 255 total), as Docker validates `--hostname`. */
export function parseHostname(value: unknown): Hostname {
  const ok =
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= 255 &&
    value.split('.').every((l) => /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(l));
  if (!ok) throw invalid('ERR_INVALID_HOSTNAME', `invalid hostname ${JSON.stringify(value)}`);
  return value as Hostname;
}
