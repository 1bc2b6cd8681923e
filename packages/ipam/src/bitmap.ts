import type { AddressSet } from './set.js';

const FULL = 0xffffffff;

/** Index of the lowest set bit of a non-zero 32-bit word. */
const lowestBit = (word: number): number => 31 - Math.clz32(word & -word);

/**
 * The IPv4 allocator: one bit per address of the subnet in Uint32Array words (a /16 is 8 KiB).
 * First-free scans skip whole words that are full, and `#hint` — a lower bound of the first free
 * bit — makes sequential allocation amortised O(1) instead of rescanning the full prefix each
 * time (libnetwork's bitseq keeps a similar cursor).
 *
 * The number methods (`*N`) are the hot path; the bigint methods implement AddressSet for the
 * family-independent pool logic.
 */
export class BitmapSet implements AddressSet {
  readonly #words: Uint32Array;
  readonly #bits: number;
  #count = 0;
  /** Every bit below this index is set. */
  #hint = 0;

  constructor(bits: number) {
    this.#bits = bits;
    this.#words = new Uint32Array(Math.ceil(bits / 32));
  }

  get capacity(): bigint {
    return BigInt(this.#bits);
  }

  count(): number {
    return this.#count;
  }

  hasN(i: number): boolean {
    return (this.#words[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  addN(i: number): boolean {
    const w = i >>> 5;
    const mask = 1 << (i & 31);
    const word = this.#words[w]!;
    if ((word & mask) !== 0) return false;
    this.#words[w] = word | mask;
    this.#count += 1;
    return true;
  }

  deleteN(i: number): boolean {
    const w = i >>> 5;
    const mask = 1 << (i & 31);
    const word = this.#words[w]!;
    if ((word & mask) === 0) return false;
    this.#words[w] = word & ~mask;
    this.#count -= 1;
    if (i < this.#hint) this.#hint = i;
    return true;
  }

  /** Lowest clear bit in [lo, hi] (inclusive), or -1. */
  firstFreeN(lo: number, hi: number): number {
    const fromHint = lo <= this.#hint;
    const start = fromHint ? this.#hint : lo;
    const found = this.#scan(start, hi);
    // Everything between the hint and what we found is set: the scan just proved it.
    if (fromHint) this.#hint = found < 0 ? Math.max(this.#hint, Math.min(hi + 1, this.#bits)) : found;
    return found;
  }

  #scan(start: number, hi: number): number {
    if (start > hi) return -1;
    const words = this.#words;
    let w = start >>> 5;
    // The first word: ignore bits below `start`.
    let free = ~words[w]! & (FULL << (start & 31));
    const lastWord = hi >>> 5;
    while (free === 0) {
      w += 1;
      if (w > lastWord) return -1;
      const word = words[w]!;
      if (word !== FULL) free = ~word;
    }
    const found = (w << 5) + lowestBit(free);
    return found <= hi ? found : -1;
  }

  /** Sets every bit of [lo, hi] (used when loading a persisted run list). */
  addRangeN(lo: number, hi: number): void {
    for (let i = lo; i <= hi; ) {
      if ((i & 31) === 0 && i + 31 <= hi) {
        const w = i >>> 5;
        this.#count += 32 - popcount(this.#words[w]!);
        this.#words[w] = FULL;
        i += 32;
      } else {
        this.addN(i);
        i += 1;
      }
    }
  }

  has(i: bigint): boolean {
    return this.hasN(Number(i));
  }

  add(i: bigint): boolean {
    return this.addN(Number(i));
  }

  delete(i: bigint): boolean {
    return this.deleteN(Number(i));
  }

  firstFree(lo: bigint, hi: bigint): bigint | undefined {
    const found = this.firstFreeN(Number(lo), Number(hi));
    return found < 0 ? undefined : BigInt(found);
  }

  addRange(lo: bigint, hi: bigint): void {
    this.addRangeN(Number(lo), Number(hi));
  }

  /** Runs of set bits, ascending, as inclusive [start, end] pairs. Skips empty and full words. */
  *runs(): Generator<[bigint, bigint]> {
    const words = this.#words;
    let runStart = -1;
    for (let w = 0; w < words.length; w += 1) {
      const word = words[w]!;
      if (word === 0 && runStart < 0) continue;
      if (word === FULL && runStart >= 0) continue;
      for (let b = 0; b < 32; b += 1) {
        const i = (w << 5) + b;
        if (i >= this.#bits) break;
        const set = (word & (1 << b)) !== 0;
        if (set && runStart < 0) runStart = i;
        else if (!set && runStart >= 0) {
          yield [BigInt(runStart), BigInt(i - 1)];
          runStart = -1;
        }
      }
    }
    if (runStart >= 0) yield [BigInt(runStart), BigInt(this.#bits - 1)];
  }

  /** Bytes held by the structure (for the memory benchmark and debug output). */
  byteSize(): number {
    return this.#words.byteLength;
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
