import { isIP } from 'node:net';

/** A bad flag value: the CLI prints the message and exits 125 like Docker's CLI does. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

/** `KEY=VALUE` pairs from repeatable flags (-o, --label, --opt) into a map; a bare KEY maps to ''. */
export function keyValues(values: readonly string[] | undefined, flag: string, requireValue = false): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of values ?? []) {
    const eq = item.indexOf('=');
    if (eq === 0) throw new FlagError(`invalid ${flag} "${item}": empty key`);
    if (eq < 0 && requireValue) throw new FlagError(`invalid ${flag} "${item}": expected KEY=VALUE`);
    if (eq < 0) out[item] = '';
    else out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** Docker's RAMInBytes: "64m", "1g", "512k", "1024", binary multiples, optional "i"/"b" suffix. */
export function ramInBytes(value: string, flag = 'size'): number {
  const match = /^(\d+(?:\.\d+)?) ?([kmgtpb]?)(?:i?b)?$/i.exec(value.trim());
  if (!match) throw new FlagError(`invalid ${flag} "${value}": expected a size like 64m, 1g or 1048576`);
  const bytes = Math.floor(Number(match[1]) * UNITS[match[2]!.toLowerCase()]!);
  if (!Number.isSafeInteger(bytes)) throw new FlagError(`invalid ${flag} "${value}": too large`);
  return bytes;
}

export function requireIp(value: string, flag: string): string {
  if (!isIP(value)) throw new FlagError(`invalid ${flag} "${value}": not an IP address`);
  return value;
}

/** Parses "a.b.c.d/n" or an IPv6 CIDR into a numeric range; throws FlagError naming the flag. */
export interface ParsedCidr {
  text: string;
  v6: boolean;
  first: bigint;
  last: bigint;
}

export function ipToBigInt(ip: string): bigint | undefined {
  const family = isIP(ip);
  if (family === 4) {
    return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
  }
  if (family === 6) {
    let text = ip;
    const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    if (v4) {
      const n = ipToBigInt(v4[1]!)!;
      text = text.slice(0, -v4[1]!.length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
    }
    const [head, tail] = text.split('::') as [string, string | undefined];
    const headParts = head ? head.split(':') : [];
    const tailParts = tail === undefined ? [] : tail ? tail.split(':') : [];
    const fill = tail === undefined ? [] : new Array(8 - headParts.length - tailParts.length).fill('0');
    return [...headParts, ...fill, ...tailParts].reduce((acc, part) => (acc << 16n) | BigInt(parseInt(part, 16)), 0n);
  }
  return undefined;
}

export function parseCidr(value: string, flag: string): ParsedCidr {
  const slash = value.indexOf('/');
  const ip = slash < 0 ? '' : value.slice(0, slash);
  const bitsText = slash < 0 ? '' : value.slice(slash + 1);
  const n = ipToBigInt(ip);
  const v6 = isIP(ip) === 6;
  const max = v6 ? 128 : 32;
  const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : -1;
  if (n === undefined || bits < 0 || bits > max) throw new FlagError(`invalid ${flag} "${value}": not a CIDR (like 10.10.0.0/16)`);
  const hostBits = BigInt(max - bits);
  const first = (n >> hostBits) << hostBits;
  return { text: value, v6, first, last: first + (1n << hostBits) - 1n };
}

export function cidrContains(outer: ParsedCidr, inner: ParsedCidr | bigint): boolean {
  if (typeof inner === 'bigint') return inner >= outer.first && inner <= outer.last;
  return outer.v6 === inner.v6 && inner.first >= outer.first && inner.last <= outer.last;
}
