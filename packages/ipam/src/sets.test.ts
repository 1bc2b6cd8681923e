import { describe, expect, it } from 'vitest';
import { BitmapSet } from './bitmap.js';
import type { AddressSet } from './set.js';
import { SparseSet } from './sparse.js';

/** A tiny deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function naiveFirstFree(model: Set<bigint>, lo: bigint, hi: bigint): bigint | undefined {
  for (let i = lo; i <= hi; i += 1n) if (!model.has(i)) return i;
  return undefined;
}

function runs(model: Set<bigint>): [bigint, bigint][] {
  const sorted = [...model].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: [bigint, bigint][] = [];
  for (const x of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && last[1] + 1n === x) last[1] = x;
    else out.push([x, x]);
  }
  return out;
}

describe.each([
  ['BitmapSet', () => new BitmapSet(300), 300n, 0n],
  ['SparseSet', () => new SparseSet(), 300n, 0n],
  // Around a 2^64 block boundary: runs are split inside and joined again when listed.
  ['SparseSet across blocks', () => new SparseSet(), 300n, (1n << 64n) - 150n],
] as const)('%s against a model', (_name, make, span, base) => {
  it('agrees with a plain Set over random operations', () => {
    const set: AddressSet = make();
    const model = new Set<bigint>();
    const rand = rng(7);
    for (let step = 0; step < 5000; step += 1) {
      const x = base + BigInt(Math.floor(rand() * Number(span)));
      const r = rand();
      if (r < 0.45) expect(set.add(x)).toBe(!model.has(x)), model.add(x);
      else if (r < 0.75) expect(set.delete(x)).toBe(model.delete(x));
      else if (r < 0.85) expect(set.has(x)).toBe(model.has(x));
      else {
        const y = x + BigInt(Math.floor(rand() * 40));
        const hi = y < base + span ? y : base + span - 1n;
        expect(set.firstFree(x, hi)).toBe(naiveFirstFree(model, x, hi));
      }
      expect(set.count()).toBe(model.size);
    }
    expect([...set.runs()]).toEqual(runs(model));
  });
});

describe('BitmapSet', () => {
  it('scans whole words and honours the range end', () => {
    const set = new BitmapSet(100);
    for (let i = 0; i < 70; i += 1) set.addN(i);
    expect(set.firstFreeN(0, 99)).toBe(70);
    expect(set.firstFreeN(0, 69)).toBe(-1);
    set.deleteN(33);
    expect(set.firstFreeN(0, 99)).toBe(33); // the hint moves back on release
    expect(set.firstFreeN(40, 99)).toBe(70);
  });

  it('fills ranges word by word', () => {
    const set = new BitmapSet(256);
    set.addN(40);
    set.addRangeN(3, 200);
    expect(set.count()).toBe(198);
    expect([...set.runs()]).toEqual([[3n, 200n]]);
  });
});

describe('SparseSet', () => {
  it('keeps a sequential million in one run', () => {
    const set = new SparseSet();
    for (let i = 0n; i < 100_000n; i += 1n) set.add(set.firstFree(0n, (1n << 64n) - 1n)!);
    expect([...set.runs()]).toEqual([[0n, 99_999n]]);
    expect(set.byteSize()).toBeLessThanOrEqual(64);
  });

  it('drops an emptied block', () => {
    const set = new SparseSet();
    set.add(5n << 64n);
    expect(set.byteSize()).toBeGreaterThan(0);
    set.delete(5n << 64n);
    expect(set.byteSize()).toBe(0);
  });
});
