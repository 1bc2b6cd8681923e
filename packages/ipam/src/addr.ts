import { invalid } from '@tsnet/errors';
import IPCIDR from 'ip-cidr';
import { IpamErrorCode } from './errors.js';

/**
 * Addresses and subnets as integers. Input is validated with `ip-cidr` (the trust boundary);
 * everything after that — allocation, overlap, formatting — works on bigints, which is exact for
 * both families and cheap enough off the hot path (the bitmap works on plain numbers).
 */

/** A parsed, canonical subnet: `base` has no host bits set. */
export interface Cidr {
  readonly v6: boolean;
  readonly base: bigint;
  readonly prefix: number;
}

export const bitsOf = (v6: boolean): number => (v6 ? 128 : 32);

/** Number of addresses in the subnet. */
export const sizeOf = (c: Cidr): bigint => 1n << BigInt(bitsOf(c.v6) - c.prefix);

/** Last address of the subnet (inclusive). */
export const endOf = (c: Cidr): bigint => c.base + sizeOf(c) - 1n;

export const containsAddress = (c: Cidr, v6: boolean, address: bigint): boolean =>
  c.v6 === v6 && address >= c.base && address <= endOf(c);

export const containsCidr = (outer: Cidr, inner: Cidr): boolean =>
  outer.v6 === inner.v6 && inner.prefix >= outer.prefix && inner.base >= outer.base && endOf(inner) <= endOf(outer);

export const overlaps = (a: Cidr, b: Cidr): boolean =>
  a.v6 === b.v6 && a.base <= endOf(b) && b.base <= endOf(a);

export function formatAddress(value: bigint, v6: boolean): string {
  return v6 ? formatV6(value) : formatV4(Number(value));
}

export function formatV4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
export function formatV6(value: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i += 1; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLen) { bestAt = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

export const formatCidr = (c: Cidr): string => `${formatAddress(c.base, c.v6)}/${c.prefix}`;

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const DOTTED_QUAD = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/**
 * Plain dotted-quad IPv4 — the overwhelmingly common input — without ip-cidr, which costs
 * ~40 µs a call here and would dominate every request. The pattern accepts exactly the strings
 * ip-cidr accepts as IPv4 (no leading zeros, 0-255); a test holds the two to the same table.
 * Everything else (IPv6, and every malformed string) goes through ip-cidr.
 */
function fastV4(text: string): bigint | undefined {
  const m = DOTTED_QUAD.exec(text);
  if (m === null) return undefined;
  return BigInt(((Number(m[1]) << 24) >>> 0) + (Number(m[2]) << 16) + (Number(m[3]) << 8) + Number(m[4]));
}

/** `what` names the field in error messages ("subnet", "ip-range", "gateway"...). */
export function parseAddress(text: unknown, what = 'address'): { v6: boolean; value: bigint } {
  if (typeof text === 'string') {
    const v4 = fastV4(text);
    if (v4 !== undefined) return { v6: false, value: v4 };
  }
  if (typeof text !== 'string' || text.includes('/') || text.includes('%') || !IPCIDR.isValidAddress(text)) {
    throw invalid(IpamErrorCode.invalidAddress, `invalid ${what} ${JSON.stringify(text)}: not an IP address`, {
      details: { value: text },
    });
  }
  const v6 = text.includes(':');
  // ip-cidr parses the address; `/32` or `/128` makes it a one-address range whose start is it.
  try {
    const value = BigInt(new IPCIDR(`${text}/${bitsOf(v6)}`).start<bigint>({ type: 'bigInteger' }).toString());
    return { v6, value };
  } catch (cause) {
    throw invalid(IpamErrorCode.invalidAddress, `invalid ${what} ${JSON.stringify(text)}: not an IP address`, {
      cause, details: { value: text },
    });
  }
}

/**
 * Parses a CIDR and refuses one with host bits set, naming the canonical form — as Docker does
 * (`invalid subnet 10.0.0.1/24: it should be 10.0.0.0/24`). `lenient` masks host bits instead
 * (for facts about the host such as an interface address with its prefix).
 */
export function parseCidr(text: unknown, what = 'subnet', lenient = false): Cidr {
  const bad = (reason: string, extra: Record<string, unknown> = {}, cause?: unknown) =>
    invalid(IpamErrorCode.invalidCidr, `invalid ${what} ${JSON.stringify(text)}: ${reason}`, {
      ...(cause === undefined ? {} : { cause }),
      details: { value: text, ...extra },
    });
  if (typeof text !== 'string') throw bad('not a string');
  const slash = text.indexOf('/');
  if (slash < 0) throw bad('missing /prefix-length');
  const prefixText = text.slice(slash + 1);
  const { v6, value } = (() => {
    try {
      return parseAddress(text.slice(0, slash), what);
    } catch (cause) {
      throw bad('not an IP address with a prefix length', {}, cause);
    }
  })();
  // The address part is validated above; ip-cidr re-checks the whole text where it is cheap to.
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > bitsOf(v6) || (v6 && !IPCIDR.isValidCIDR(text))) {
    throw bad(`prefix length must be 0..${bitsOf(v6)}`);
  }
  const prefix = Number(prefixText);
  const hostBits = BigInt(bitsOf(v6) - prefix);
  const base = (value >> hostBits) << hostBits;
  const cidr: Cidr = { v6, base, prefix };
  if (base !== value && !lenient) {
    const canonical = formatCidr(cidr);
    throw bad(`host bits are set, it should be ${canonical}`, { canonical });
  }
  return cidr;
}

/** Rounds `value` up to the next multiple of 2^bits. */
export const alignUp = (value: bigint, bits: number): bigint => {
  const step = 1n << BigInt(bits);
  return ((value + step - 1n) / step) * step;
};
