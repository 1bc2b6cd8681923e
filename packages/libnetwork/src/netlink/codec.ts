import { isIPv4, isIPv6 } from 'node:net';
import { invalid } from '@tsnet/errors';

/**
 * Pure encoding: validated names, addresses, CIDRs and MACs to the bytes rtnetlink wants, and
 * netlink attribute (NLA) building and parsing. No sockets here, so all of it is unit-tested.
 */

// -- validation ------------------------------------------------------------------------------

/** Interface names as the kernel's dev_valid_name() accepts them: 1-15 bytes, no '/', ':' or space. */
export function checkIfName(name: string, what = 'interface name'): string {
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    Buffer.byteLength(name) > 15 ||
    name === '.' ||
    name === '..' ||
    /[/:\s]/.test(name)
  ) {
    throw invalid('ERR_INVALID_IFNAME', `invalid ${what} ${JSON.stringify(name)}: 1-15 characters, no "/", ":" or whitespace`, {
      details: { name },
    });
  }
  return name;
}

export function checkMtu(mtu: number): number {
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
    throw invalid('ERR_INVALID_MTU', `invalid MTU ${String(mtu)}: use an integer from 68 to 65535`, { details: { mtu } });
  }
  return mtu;
}

// -- addresses -------------------------------------------------------------------------------

export type Family = 4 | 6;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_BRIDGE = 7;

/** An IP address as bytes (4 or 16) — throws ERR_INVALID_ADDRESS for anything else. */
export function ipToBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) throw invalid('ERR_INVALID_ADDRESS', `invalid IP address ${JSON.stringify(ip)}`, { details: { address: ip } });
  let text = ip.replace(/%.*$/, '');
  const out = Buffer.alloc(16);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups first.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    text = text.slice(0, -v4[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** Bytes (4 or 16) back to text; IPv6 in RFC 5952 form (longest zero run compressed, lower case). */
export function bytesToIp(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join('.');
  if (b.length !== 16) throw new RangeError(`address of ${b.length} bytes`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  let best = -1;
  let bestLen = 1; // RFC 5952 §4.2.2: a single zero group is not compressed
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export interface ParsedCidr {
  family: Family;
  /** The address as written (host bits kept: "10.0.0.2/24" is an interface address). */
  address: string;
  bytes: Buffer;
  prefixLen: number;
}

/** "10.0.0.2/24", "fd00::1/64" — throws ERR_INVALID_CIDR. */
export function parseCidr(cidr: string): ParsedCidr {
  const m = typeof cidr === 'string' ? /^([^/]+)\/(\d{1,3})$/.exec(cidr) : null;
  const family: Family | 0 = m ? (isIPv4(m[1]!) ? 4 : isIPv6(m[1]!) ? 6 : 0) : 0;
  const prefixLen = m ? Number(m[2]) : -1;
  if (!m || family === 0 || prefixLen > (family === 4 ? 32 : 128)) {
    throw invalid('ERR_INVALID_CIDR', `invalid CIDR ${JSON.stringify(cidr)}: expected address/prefix like 10.0.0.2/24`, {
      details: { cidr },
    });
  }
  return { family, address: m[1]!, bytes: ipToBytes(m[1]!), prefixLen };
}

/** The network address of a CIDR (host bits cleared) as "a.b.c.d/n". */
export function networkOf(c: ParsedCidr): ParsedCidr {
  const bytes = Buffer.from(c.bytes);
  for (let bit = c.prefixLen; bit < bytes.length * 8; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return { ...c, bytes, address: bytesToIp(bytes) };
}

/** IPv4 broadcast address of an interface address (all host bits set), as `ip addr add ... brd +`. */
export function broadcastOf(c: ParsedCidr): Buffer {
  const bytes = Buffer.from(c.bytes);
  for (let bit = c.prefixLen; bit < 32; bit++) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  return bytes;
}

export function familyOf(ip: string): Family {
  if (isIPv4(ip)) return 4;
  if (isIPv6(ip)) return 6;
  throw invalid('ERR_INVALID_ADDRESS', `invalid IP address ${JSON.stringify(ip)}`, { details: { address: ip } });
}

export const afOf = (f: Family): number => (f === 4 ? AF_INET : AF_INET6);

/** "02:42:ac:11:00:02" → 6 bytes; throws ERR_INVALID_MAC. */
export function macToBytes(mac: string): Buffer {
  if (typeof mac !== 'string' || !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac)) {
    throw invalid('ERR_INVALID_MAC', `invalid MAC address ${JSON.stringify(mac)}: expected six hex pairs like 02:42:ac:11:00:02`, {
      details: { mac },
    });
  }
  return Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
}

export function bytesToMac(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

// -- netlink attributes ----------------------------------------------------------------------

const NLA_F_NESTED = 0x8000;
const NLA_TYPE_MASK = 0x3fff;

const align4 = (n: number): number => (n + 3) & ~3;

/** One attribute: 4-byte header (len, type) + payload, padded to 4 bytes. */
export function nla(type: number, payload: Uint8Array): Buffer {
  const len = 4 + payload.length;
  const out = Buffer.alloc(align4(len));
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  out.set(payload, 4);
  return out;
}

export const nlaNested = (type: number, children: Uint8Array[]): Buffer => nla(type | NLA_F_NESTED, Buffer.concat(children));
export const nlaString = (type: number, s: string): Buffer => nla(type, Buffer.from(`${s}\0`));
export const nlaU8 = (type: number, v: number): Buffer => nla(type, Buffer.of(v & 0xff));
export function nlaU16(type: number, v: number, bigEndian = false): Buffer {
  const b = Buffer.alloc(2);
  if (bigEndian) b.writeUInt16BE(v);
  else b.writeUInt16LE(v);
  return nla(type, b);
}
export function nlaU32(type: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return nla(type, b);
}

/** Attributes of a buffer as a map type → payload (nested flag stripped; later duplicates win). */
export function parseNlas(buf: Uint8Array): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let off = 0; off + 4 <= b.length; ) {
    const len = b.readUInt16LE(off);
    if (len < 4 || off + len > b.length) break;
    out.set(b.readUInt16LE(off + 2) & NLA_TYPE_MASK, b.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

/** A NUL-terminated string attribute payload. */
export function nlaToString(b: Buffer | undefined): string | undefined {
  if (b === undefined) return undefined;
  const end = b.indexOf(0);
  return b.toString('utf8', 0, end < 0 ? b.length : end);
}
