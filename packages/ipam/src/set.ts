/**
 * A set of address offsets inside one pool (offset 0 = the subnet's first address). IPv4 pools use
 * a bitmap, IPv6 pools a sparse run set; the pool logic above them is the same.
 */
export interface AddressSet {
  /** Number of offsets in the set. */
  count(): number;
  has(offset: bigint): boolean;
  /** False when it was already there. */
  add(offset: bigint): boolean;
  /** False when it was not there. */
  delete(offset: bigint): boolean;
  /** Lowest offset in [lo, hi] (inclusive) not in the set. */
  firstFree(lo: bigint, hi: bigint): bigint | undefined;
  /** Adds every offset of [lo, hi]; used to load persisted state, in ascending order. */
  addRange(lo: bigint, hi: bigint): void;
  /** The members as ascending, maximal inclusive runs. */
  runs(): Iterable<[bigint, bigint]>;
  /** Bytes the structure holds (memory benchmark, debug output). */
  byteSize(): number;
}
