import { invalid } from '@tsnet/errors';
import { alignUp, bitsOf, type Cidr, endOf, formatCidr, parseCidr } from './addr.js';
import { IpamErrorCode } from './errors.js';

/** One `default-address-pools` entry of daemon.json: split `base` into subnets of `/size`. */
export interface DefaultPool {
  base: string;
  size: number;
}

export interface ParsedDefaultPool {
  base: Cidr;
  size: number;
}

/** Docker's built-in defaults (libnetwork ipamutils), in Docker's order. */
export const DOCKER_DEFAULT_POOLS: readonly DefaultPool[] = [
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/16', size: 16 },
  { base: '172.19.0.0/16', size: 16 },
  { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/14', size: 16 },
  { base: '172.28.0.0/14', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

export function parseDefaultPools(list: unknown): ParsedDefaultPool[] {
  if (!Array.isArray(list)) {
    throw invalid(IpamErrorCode.invalidRequest, `default-address-pools must be a list of {base, size}, got ${JSON.stringify(list)}`);
  }
  return list.map((entry: unknown) => {
    const { base, size } = (entry ?? {}) as { base?: unknown; size?: unknown };
    const cidr = parseCidr(base, 'default-address-pools base');
    const max = cidr.v6 ? 126 : 30;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < cidr.prefix || size > max) {
      throw invalid(IpamErrorCode.invalidRequest,
        `invalid default-address-pools size ${JSON.stringify(size)} for base ${formatCidr(cidr)}: must be an integer from ${cidr.prefix} to ${max}`,
        { details: { value: size, base: formatCidr(cidr) } });
    }
    return { base: cidr, size };
  });
}

/** A subnet already taken in an address space: disjoint, kept sorted by start. */
export interface Taken {
  start: bigint;
  end: bigint;
  id: string;
}

/** The taken subnet overlapping [start, end] with the highest end, if any (binary search). */
export function findOverlap(taken: readonly Taken[], start: bigint, end: bigint): Taken | undefined {
  // Taken ranges are disjoint, so the last one starting at or before `end` reaches furthest.
  let lo = 0;
  let hi = taken.length - 1;
  let last = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (taken[mid]!.start <= end) { last = mid; lo = mid + 1; } else hi = mid - 1;
  }
  const candidate = last >= 0 ? taken[last] : undefined;
  return candidate !== undefined && candidate.end >= start ? candidate : undefined;
}

/**
 * The lowest subnet of the first default pool that has one, overlapping no taken subnet and no
 * excluded range (host routes, nameservers). Each collision jumps past the blocker to the next
 * aligned subnet, so the cost grows with the number of blockers, not with the size of the bases.
 */
export function pickSubnet(
  defaults: readonly ParsedDefaultPool[], v6: boolean, taken: readonly Taken[], exclude: readonly Cidr[],
): Cidr | undefined {
  for (const { base, size } of defaults) {
    if (base.v6 !== v6) continue;
    const hostBits = bitsOf(v6) - size;
    const blockSize = 1n << BigInt(hostBits);
    const last = endOf(base);
    for (let cand = base.base; cand + blockSize - 1n <= last; ) {
      const candEnd = cand + blockSize - 1n;
      let blockerEnd = findOverlap(taken, cand, candEnd)?.end ?? -1n;
      for (const x of exclude) {
        if (x.v6 === v6 && x.base <= candEnd && endOf(x) >= cand && endOf(x) > blockerEnd) blockerEnd = endOf(x);
      }
      if (blockerEnd < 0n) return { v6, base: cand, prefix: size };
      cand = alignUp(blockerEnd + 1n, hostBits);
    }
  }
  return undefined;
}
