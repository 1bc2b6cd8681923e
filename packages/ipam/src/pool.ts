import { conflict, internal, invalid, unavailable } from '@tsnet/errors';
import { type Cidr, containsCidr, endOf, formatAddress, formatCidr, parseAddress, parseCidr, sizeOf } from './addr.js';
import { BitmapSet } from './bitmap.js';
import { IpamErrorCode } from './errors.js';
import type { AddressSet } from './set.js';
import { SparseSet } from './sparse.js';

/** What a pool is: fixed when it is requested. */
export interface PoolSpec {
  space: string;
  pool: Cidr;
  subPool?: Cidr;
  /** Round-robin for every dynamic allocation (Docker's `com.docker.network.ipam.serial`). */
  serial: boolean;
  options: Record<string, string>;
}

export interface AllocateRequest {
  /** A preferred address, already parsed. */
  address?: { v6: boolean; value: bigint };
  gateway?: boolean;
  /** Round-robin for this request even if the pool is not serial. */
  serial?: boolean;
  /** An auxiliary address: owned by the pool, so it does not keep releasePool from succeeding. */
  reserve?: boolean;
}

/** The persisted form of a pool (JSON under `<prefix>pool/...`). Offsets are hex. */
export interface PoolRecord {
  version: 1;
  id: string;
  space: string;
  pool: string;
  subPool?: string;
  serial: boolean;
  options: Record<string, string>;
  cursor: string;
  aux: string[];
  /** Allocated offsets as ascending runs: `0,2-1f,40`. Includes the reserved network/broadcast. */
  allocated: string;
}

/** Docker's pool id: `<space>/<subnet>` or `<space>/<subnet>/<ip-range>`. */
export const poolIdOf = (space: string, pool: Cidr, subPool?: Cidr): string =>
  `${space}/${formatCidr(pool)}${subPool === undefined ? '' : `/${formatCidr(subPool)}`}`;

/** IPv4 pools are bitmaps: refuse what cannot hold a network, and what would not fit in memory. */
export function checkPoolSize(pool: Cidr, what = 'subnet'): void {
  const text = formatCidr(pool);
  const maxPrefix = pool.v6 ? 126 : 30;
  if (pool.prefix > maxPrefix) {
    throw invalid(IpamErrorCode.poolTooSmall,
      `${what} ${text} is too small: a network needs at least a /${maxPrefix} (room for a gateway and one more address)`,
      { details: { value: text } });
  }
  if (!pool.v6 && pool.prefix < 8) {
    throw invalid(IpamErrorCode.poolTooLarge, `${what} ${text} is too large: IPv4 pools can be at most a /8`,
      { details: { value: text } });
  }
}

export function checkSubPool(pool: Cidr, subPool: Cidr): void {
  if (!containsCidr(pool, subPool)) {
    throw invalid(IpamErrorCode.rangeOutsidePool,
      `ip-range ${formatCidr(subPool)} is not inside subnet ${formatCidr(pool)}`,
      { details: { value: formatCidr(subPool), pool: formatCidr(pool) } });
  }
}

/**
 * One pool's allocation state, synchronous and in memory: the allocator core. The persisting
 * `Ipam` wraps it; benchmarks and tests can drive it directly.
 */
export class PoolState {
  readonly spec: PoolSpec;
  readonly id: string;
  readonly set: AddressSet;
  /** Offsets of the dynamic range (the ip-range, else the whole subnet), inclusive. */
  readonly #lo: bigint;
  readonly #hi: bigint;
  readonly #reservedCount: number;
  readonly #aux = new Set<bigint>();
  /** Where the next round-robin search starts (IPv6; IPv4 keeps it in #cursorN). */
  #cursor: bigint;
  /** IPv4 only: the bitmap and the range as plain numbers, for the allocation hot path. */
  readonly #bitmap: BitmapSet | undefined;
  readonly #baseN: number;
  readonly #loN: number;
  readonly #hiN: number;
  #cursorN: number;

  constructor(spec: PoolSpec) {
    this.spec = spec;
    this.id = poolIdOf(spec.space, spec.pool, spec.subPool);
    const size = sizeOf(spec.pool);
    this.#bitmap = spec.pool.v6 ? undefined : new BitmapSet(Number(size));
    this.set = this.#bitmap ?? new SparseSet();
    // Docker reserves the first address (network / IPv6 subnet-router anycast) in both families
    // and the IPv4 broadcast address.
    this.set.add(0n);
    if (!spec.pool.v6) this.set.add(size - 1n);
    this.#reservedCount = spec.pool.v6 ? 1 : 2;
    this.#lo = spec.subPool === undefined ? 0n : spec.subPool.base - spec.pool.base;
    this.#hi = spec.subPool === undefined ? size - 1n : endOf(spec.subPool) - spec.pool.base;
    this.#cursor = this.#lo;
    this.#baseN = spec.pool.v6 ? 0 : Number(spec.pool.base);
    this.#loN = Number(this.#lo);
    this.#hiN = spec.pool.v6 ? 0 : Number(this.#hi);
    this.#cursorN = this.#loN;
  }

  get v6(): boolean {
    return this.spec.pool.v6;
  }

  /** Addresses held by callers: everything but the reserved and auxiliary addresses. */
  held(): number {
    return this.set.count() - this.#reservedCount - this.#aux.size;
  }

  auxCount(): number {
    return this.#aux.size;
  }

  /** Allocates one address and returns it (absolute). Throws, changing nothing, when it cannot. */
  allocate(req: AllocateRequest = {}): bigint {
    if (req.address !== undefined) return this.#allocateStatic(req.address, req.reserve === true);
    const serial = req.gateway !== true && (req.serial === true || this.spec.serial);
    if (this.#bitmap !== undefined) return BigInt(this.#baseN + this.#allocateV4(this.#bitmap, serial, req.reserve === true));
    const offset = serial ? this.#nextRoundRobin() : this.set.firstFree(this.#lo, this.#hi);
    if (offset === undefined) throw this.#exhausted();
    this.set.add(offset);
    if (req.reserve === true) this.#aux.add(offset);
    // The cursor follows every dynamic allocation, so a freed address is not handed out again
    // until the search has gone round the range once (round-robin never reuses one at once).
    this.#cursor = offset + 1n > this.#hi ? this.#lo : offset + 1n;
    return this.spec.pool.base + offset;
  }

  /** The IPv4 path on plain numbers: the same steps as the generic one, without bigint work. */
  #allocateV4(bitmap: BitmapSet, serial: boolean, reserve: boolean): number {
    let n: number;
    if (serial) {
      n = bitmap.firstFreeN(this.#cursorN, this.#hiN);
      if (n < 0 && this.#cursorN > this.#loN) n = bitmap.firstFreeN(this.#loN, this.#cursorN - 1);
    } else n = bitmap.firstFreeN(this.#loN, this.#hiN);
    if (n < 0) throw this.#exhausted();
    bitmap.addN(n);
    if (reserve) this.#aux.add(BigInt(n));
    this.#cursorN = n + 1 > this.#hiN ? this.#loN : n + 1;
    return n;
  }

  #exhausted() {
    return unavailable(IpamErrorCode.poolExhausted, `no available addresses in pool ${this.id}`, { details: { poolId: this.id } });
  }

  #nextRoundRobin(): bigint | undefined {
    const found = this.set.firstFree(this.#cursor, this.#hi);
    if (found !== undefined || this.#cursor === this.#lo) return found;
    return this.set.firstFree(this.#lo, this.#cursor - 1n);
  }

  #allocateStatic(address: { v6: boolean; value: bigint }, reserve: boolean): bigint {
    const offset = this.#offsetOf(address);
    if (this.set.has(offset)) {
      throw conflict(IpamErrorCode.addressInUse,
        `address ${formatAddress(address.value, address.v6)} is already allocated in pool ${this.id}`,
        { details: { address: formatAddress(address.value, address.v6), poolId: this.id } });
    }
    this.set.add(offset);
    if (reserve) this.#aux.add(offset);
    return address.value;
  }

  /** Frees an address; freeing one that is free is not an error (returns false). */
  release(address: { v6: boolean; value: bigint }): boolean {
    const offset = this.#offsetOf(address);
    this.#aux.delete(offset);
    return this.set.delete(offset);
  }

  /** Hot-path release for the IPv4 bitmap benchmarks: an absolute address known to be inside. */
  releaseValue(value: bigint): boolean {
    if (this.#bitmap !== undefined) {
      const n = Number(value) - this.#baseN;
      if (this.#aux.size > 0) this.#aux.delete(BigInt(n));
      return this.#bitmap.deleteN(n);
    }
    const offset = value - this.spec.pool.base;
    this.#aux.delete(offset);
    return this.set.delete(offset);
  }

  isAllocated(address: { v6: boolean; value: bigint }): boolean {
    return this.set.has(this.#offsetOf(address));
  }

  #offsetOf(address: { v6: boolean; value: bigint }): bigint {
    const { pool } = this.spec;
    if (address.v6 !== pool.v6 || address.value < pool.base || address.value > endOf(pool)) {
      const text = formatAddress(address.value, address.v6);
      throw invalid(IpamErrorCode.addressOutOfRange, `address ${text} is not in subnet ${formatCidr(pool)} of pool ${this.id}`,
        { details: { address: text, poolId: this.id } });
    }
    const offset = address.value - pool.base;
    if (offset === 0n || (!pool.v6 && offset === sizeOf(pool) - 1n)) {
      const text = formatAddress(address.value, address.v6);
      const which = offset === 0n ? 'network' : 'broadcast';
      throw invalid(IpamErrorCode.addressReserved, `address ${text} is the ${which} address of pool ${this.id}`,
        { details: { address: text, poolId: this.id } });
    }
    return offset;
  }

  /** Allocated addresses (callers' and auxiliary), ascending, as text; for debugging and tests. */
  *addresses(): Generator<string> {
    const last = sizeOf(this.spec.pool) - 1n;
    for (const [start, end] of this.set.runs()) {
      for (let o = start; o <= end; o += 1n) {
        if (o === 0n || (!this.v6 && o === last)) continue;
        yield formatAddress(this.spec.pool.base + o, this.v6);
      }
    }
  }

  toRecord(): PoolRecord {
    const runs: string[] = [];
    for (const [s, e] of this.set.runs()) runs.push(s === e ? s.toString(16) : `${s.toString(16)}-${e.toString(16)}`);
    const { spec } = this;
    return {
      version: 1,
      id: this.id,
      space: spec.space,
      pool: formatCidr(spec.pool),
      ...(spec.subPool === undefined ? {} : { subPool: formatCidr(spec.subPool) }),
      serial: spec.serial,
      options: spec.options,
      cursor: (this.#bitmap === undefined ? this.#cursor : BigInt(this.#cursorN)).toString(16),
      aux: [...this.#aux].sort((a, b) => (a < b ? -1 : 1)).map((o) => formatAddress(spec.pool.base + o, this.v6)),
      allocated: runs.join(','),
    };
  }

  static fromRecord(record: PoolRecord, key: string): PoolState {
    try {
      const pool = parseCidr(record.pool);
      const subPool = record.subPool === undefined ? undefined : parseCidr(record.subPool);
      const state = new PoolState({
        space: record.space, pool, ...(subPool === undefined ? {} : { subPool }),
        serial: record.serial === true, options: { ...record.options },
      });
      state.#load(record);
      return state;
    } catch (cause) {
      throw internal(IpamErrorCode.corruptState, `ipam record ${key} cannot be read`, { cause, details: { key } });
    }
  }

  #load(record: PoolRecord): void {
    const last = sizeOf(this.spec.pool) - 1n;
    for (const run of record.allocated === '' ? [] : record.allocated.split(',')) {
      const [a, b = a] = run.split('-');
      const start = BigInt(`0x${a}`);
      const end = BigInt(`0x${b}`);
      if (end < start || end > last) throw new RangeError(`bad run ${run}`);
      // The constructor already holds the reserved offsets; add the rest around them.
      const lo = start === 0n ? 1n : start;
      const hi = !this.v6 && end === last ? last - 1n : end;
      if (lo <= hi) this.set.addRange(lo, hi);
    }
    for (const text of record.aux) this.#aux.add(this.#offsetOf(parseAddress(text)));
    const cursor = BigInt(`0x${record.cursor}`);
    this.#cursor = cursor >= this.#lo && cursor <= this.#hi ? cursor : this.#lo;
    this.#cursorN = this.v6 ? 0 : Number(this.#cursor);
  }
}
