import { isIPv4, isIPv6 } from 'node:net';
import { invalid } from '@tsnet/errors';

/**
 * Names as the hot path sees them. A name's lookup key is its wire form (length-prefixed labels
 * ending in a zero byte) read as a latin1 string and lower-cased, so the server can build the key
 * straight from the query's bytes with one `toString('latin1')` and no label splitting.
 */

/** A lower-cased, dot-free-at-the-end DNS name ("web.mynet"), validated. */
export type DnsName = string & { readonly __brand: 'DnsName' };

// Letters, digits, '-' and '_' (Docker names allow '_' and a trailing '-'; both travel fine in DNS).
const LABEL = /^[a-z0-9_-]{1,63}$/;

/** Lower-cases, drops one trailing dot, checks RFC 1035 lengths (labels ≤ 63, name ≤ 253). */
export function parseName(input: string): DnsName {
  const name = input.endsWith('.') ? input.slice(0, -1).toLowerCase() : input.toLowerCase();
  if (name.length === 0 || name.length > 253) {
    throw invalid('ERR_DNS_INVALID_NAME', `DNS name "${input}" must have 1 to 253 characters`);
  }
  for (const label of name.split('.')) {
    if (!LABEL.test(label)) {
      throw invalid('ERR_DNS_INVALID_NAME', `DNS name "${input}" has an invalid label "${label}"`);
    }
  }
  return name as DnsName;
}

/** Wire-form key of a validated name: "\x03web\x05mynet\x00". */
export function nameKey(name: string): string {
  let key = '';
  for (const label of name.split('.')) key += String.fromCharCode(label.length) + label;
  return key + '\0';
}

/** Inverse of nameKey, for logs and debug output. */
export function keyToName(key: string): string {
  const labels: string[] = [];
  let i = 0;
  while (i < key.length) {
    const len = key.charCodeAt(i);
    if (len === 0) break;
    labels.push(key.slice(i + 1, i + 1 + len));
    i += len + 1;
  }
  return labels.join('.');
}

export type IpFamily = 4 | 6;

/** A parsed address: canonical text, family and the 4 or 16 bytes of its RDATA. */
export interface ParsedAddress {
  text: string;
  family: IpFamily;
  bytes: Buffer;
}

/** Parses an IPv4 or IPv6 address; a "/len" suffix (as libnetwork hands out) is dropped. */
export function parseAddress(input: string): ParsedAddress {
  const plain = input.includes('/') ? input.slice(0, input.indexOf('/')) : input;
  if (isIPv4(plain)) {
    const bytes = Buffer.from(plain.split('.').map(Number));
    return { text: plain, family: 4, bytes };
  }
  if (isIPv6(plain)) {
    const bytes = ipv6Bytes(plain.toLowerCase());
    return { text: ipv6Text(bytes), family: 6, bytes };
  }
  throw invalid('ERR_DNS_INVALID_ADDRESS', `"${input}" is not an IPv4 or IPv6 address`);
}

function ipv6Bytes(text: string): Buffer {
  // An embedded IPv4 tail ("::ffff:1.2.3.4") becomes two hex groups first.
  let s = text;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    s = s.slice(0, v4.index) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') as [string, string] : [s, undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** RFC 5952 text: lower case, longest zero run (≥ 2 groups) compressed. */
function ipv6Text(bytes: Buffer): string {
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** The PTR owner name of an address: "4.3.2.1.in-addr.arpa" or the 32-nibble ip6.arpa form. */
export function reverseName(addr: ParsedAddress): string {
  if (addr.family === 4) return `${[...addr.bytes].reverse().join('.')}.in-addr.arpa`;
  const nibbles: string[] = [];
  for (let i = 15; i >= 0; i -= 1) {
    const b = addr.bytes[i]!;
    nibbles.push((b & 0xf).toString(16), (b >> 4).toString(16));
  }
  return `${nibbles.join('.')}.ip6.arpa`;
}
