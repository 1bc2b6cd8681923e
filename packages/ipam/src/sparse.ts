import type { AddressSet } from './set.js';

const LOW_BITS = 64n;
const LOW_MASK = (1n << LOW_BITS) - 1n;

/**
 * Sorted, coalesced, disjoint runs of 64-bit offsets in two growable BigUint64Arrays: 16 bytes per
 * run (32 at worst just after growing), nothing per address inside a run. First-free allocation
 * keeps everything in one run, so a million sequential addresses cost a few bytes in total;
 * scattered addresses cost at most 32 bytes each.
 */
export class RunSet {
  #starts = new BigUint64Array(4);
  #ends = new BigUint64Array(4);
  #n = 0;
  #count = 0;

  get runCount(): number {
    return this.#n;
  }

  count(): number {
    return this.#count;
  }

  /** Index of the last run starting at or before x, or -1. */
  #find(x: bigint): number {
    let lo = 0;
    let hi = this.#n - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#starts[mid]! <= x) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found;
  }

  has(x: bigint): boolean {
    const j = this.#find(x);
    return j >= 0 && this.#ends[j]! >= x;
  }

  add(x: bigint): boolean {
    const j = this.#find(x);
    if (j >= 0 && this.#ends[j]! >= x) return false;
    const joinsLeft = j >= 0 && this.#ends[j]! + 1n === x;
    const joinsRight = j + 1 < this.#n && this.#starts[j + 1]! === x + 1n;
    if (joinsLeft && joinsRight) {
      this.#ends[j] = this.#ends[j + 1]!;
      this.#remove(j + 1);
    } else if (joinsLeft) this.#ends[j] = x;
    else if (joinsRight) this.#starts[j + 1] = x;
    else this.#insert(j + 1, x, x);
    this.#count += 1;
    return true;
  }

  delete(x: bigint): boolean {
    const j = this.#find(x);
    if (j < 0 || this.#ends[j]! < x) return false;
    const start = this.#starts[j]!;
    const end = this.#ends[j]!;
    if (start === end) this.#remove(j);
    else if (x === start) this.#starts[j] = x + 1n;
    else if (x === end) this.#ends[j] = x - 1n;
    else {
      this.#ends[j] = x - 1n;
      this.#insert(j + 1, x + 1n, end);
    }
    this.#count -= 1;
    return true;
  }

  /** Runs are coalesced, so the address right after the run holding `lo` is always free. */
  firstFree(lo: bigint, hi: bigint): bigint | undefined {
    const j = this.#find(lo);
    if (j < 0 || this.#ends[j]! < lo) return lo <= hi ? lo : undefined;
    const end = this.#ends[j]!;
    if (end === LOW_MASK) return undefined;
    return end + 1n <= hi ? end + 1n : undefined;
  }

  /** Appends [lo, hi]; ranges must come in ascending order (loading persisted runs). */
  appendRange(lo: bigint, hi: bigint): void {
    const last = this.#n - 1;
    if (last >= 0 && lo <= this.#ends[last]!) throw new RangeError('runs must be ascending and disjoint');
    if (last >= 0 && lo === this.#ends[last]! + 1n) this.#ends[last] = hi;
    else this.#insert(this.#n, lo, hi);
    this.#count += Number(hi - lo + 1n);
  }

  *runs(): Generator<[bigint, bigint]> {
    for (let j = 0; j < this.#n; j += 1) yield [this.#starts[j]!, this.#ends[j]!];
  }

  byteSize(): number {
    return this.#starts.byteLength + this.#ends.byteLength;
  }

  #insert(at: number, start: bigint, end: bigint): void {
    if (this.#n === this.#starts.length) {
      const grow = (old: BigUint64Array) => {
        const next = new BigUint64Array(old.length * 2);
        next.set(old);
        return next;
      };
      this.#starts = grow(this.#starts);
      this.#ends = grow(this.#ends);
    }
    if (at < this.#n) {
      this.#starts.copyWithin(at + 1, at, this.#n);
      this.#ends.copyWithin(at + 1, at, this.#n);
    }
    this.#starts[at] = start;
    this.#ends[at] = end;
    this.#n += 1;
  }

  #remove(at: number): void {
    this.#starts.copyWithin(at, at + 1, this.#n);
    this.#ends.copyWithin(at, at + 1, this.#n);
    this.#n -= 1;
  }
}

/**
 * The IPv6 allocator: a RunSet per 2^64 block of the pool, keyed by the offset's high bits, so a
 * pool of any size (a /64 or a /48) costs memory only for what is allocated; an emptied block is
 * dropped.
 */
export class SparseSet implements AddressSet {
  readonly #blocks = new Map<bigint, RunSet>();
  #count = 0;

  count(): number {
    return this.#count;
  }

  has(offset: bigint): boolean {
    return this.#blocks.get(offset >> LOW_BITS)?.has(offset & LOW_MASK) ?? false;
  }

  add(offset: bigint): boolean {
    const high = offset >> LOW_BITS;
    let block = this.#blocks.get(high);
    if (block === undefined) {
      block = new RunSet();
      this.#blocks.set(high, block);
    }
    const added = block.add(offset & LOW_MASK);
    if (added) this.#count += 1;
    return added;
  }

  delete(offset: bigint): boolean {
    const high = offset >> LOW_BITS;
    const block = this.#blocks.get(high);
    if (block === undefined || !block.delete(offset & LOW_MASK)) return false;
    if (block.runCount === 0) this.#blocks.delete(high);
    this.#count -= 1;
    return true;
  }

  firstFree(lo: bigint, hi: bigint): bigint | undefined {
    for (let cur = lo; cur <= hi; ) {
      const high = cur >> LOW_BITS;
      const blockEnd = (high << LOW_BITS) | LOW_MASK;
      const block = this.#blocks.get(high);
      if (block === undefined) return cur;
      const free = block.firstFree(cur & LOW_MASK, (hi < blockEnd ? hi : blockEnd) & LOW_MASK);
      if (free !== undefined) return (high << LOW_BITS) | free;
      cur = blockEnd + 1n;
    }
    return undefined;
  }

  addRange(lo: bigint, hi: bigint): void {
    for (let cur = lo; cur <= hi; ) {
      const high = cur >> LOW_BITS;
      const blockEnd = (high << LOW_BITS) | LOW_MASK;
      const end = hi < blockEnd ? hi : blockEnd;
      let block = this.#blocks.get(high);
      if (block === undefined) {
        block = new RunSet();
        this.#blocks.set(high, block);
      }
      block.appendRange(cur & LOW_MASK, end & LOW_MASK);
      this.#count += Number(end - cur + 1n);
      cur = end + 1n;
    }
  }

  *runs(): Generator<[bigint, bigint]> {
    const highs = [...this.#blocks.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let pending: [bigint, bigint] | undefined;
    for (const high of highs) {
      for (const [s, e] of this.#blocks.get(high)!.runs()) {
        const start = (high << LOW_BITS) | s;
        const end = (high << LOW_BITS) | e;
        // A run that crosses a block boundary is stored as two; report it as one.
        if (pending !== undefined && pending[1] + 1n === start) pending[1] = end;
        else {
          if (pending !== undefined) yield pending;
          pending = [start, end];
        }
      }
    }
    if (pending !== undefined) yield pending;
  }

  byteSize(): number {
    let bytes = 0;
    for (const block of this.#blocks.values()) bytes += block.byteSize();
    return bytes;
  }
}
