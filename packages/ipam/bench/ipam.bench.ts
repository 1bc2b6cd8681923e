/**
 * IPAM benchmarks (`npm run bench -- ipam`). Each figure says what it measures in its name and in
 * the comment above it; the `*_core` / `*_memstore` / `*_serial` extras are printed beside the
 * issue's four figures so nobody mistakes the allocator core for the persisted path.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Ipam, parseAddress, parseCidr, parseDefaultPools, pickSubnet, PoolState } from '@tsnet/ipam';
import { MemoryStore, openFileStore } from '@tsnet/store';
import { type BenchFigure, median, reportBench } from '@tsnet/testkit';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const now = () => Number(process.hrtime.bigint()) / 1e6;

/** ipam.v4_alloc_per_s — the allocator core (PoolState over the IPv4 bitmap), in memory, no store:
 * allocate every address of a /16 first-free, then release every one; (allocate+release)/s. */
function v4AllocPerS(): number {
  const pool = new PoolState({ space: 'LocalDefault', pool: parseCidr('10.0.0.0/16'), serial: false, options: {} });
  const addresses: bigint[] = new Array(65534);
  const rates: number[] = [];
  for (let round = 0; round < 12; round += 1) {
    const start = now();
    for (let i = 0; i < 65534; i += 1) addresses[i] = pool.allocate();
    for (let i = 0; i < 65534; i += 1) pool.releaseValue(addresses[i]!);
    const ms = now() - start;
    if (round >= 2) rates.push(65534 / (ms / 1000));
  }
  if (pool.held() !== 0) throw new Error('v4 bench: pool not empty after release');
  return median(rates);
}

/** ipam.v4_alloc_per_s_ipam_memstore — the same /16 through the public async Ipam API over a
 * MemoryStore (every batch of concurrent requests persisted as one compare-and-set write). */
async function v4AllocViaIpam(): Promise<number> {
  const ipam = await Ipam.open({ store: new MemoryStore() });
  const { poolId } = await ipam.requestPool({ pool: '10.0.0.0/16' });
  const start = now();
  const window = 1024;
  const all: string[] = [];
  for (let i = 0; i < 65534; i += window) {
    const n = Math.min(window, 65534 - i);
    const got = await Promise.all(Array.from({ length: n }, () => ipam.requestAddress(poolId)));
    for (const g of got) all.push(g.address.slice(0, g.address.indexOf('/')));
  }
  for (let i = 0; i < all.length; i += window) {
    await Promise.all(all.slice(i, i + window).map((a) => ipam.releaseAddress(poolId, a)));
  }
  return all.length / ((now() - start) / 1000);
}

/** ipam.v6_bytes_per_addr — heap + array-buffer growth (after gc) for 1,000,000 first-free
 * allocations in a /64; `_scattered`: 1,000,000 static addresses with a gap after each, the
 * structure's worst shape (one run per address). */
function v6Bytes(scattered: boolean): number {
  const n = 1_000_000;
  const measure = () => {
    gc();
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const before = measure();
  const pool = new PoolState({ space: 'LocalDefault', pool: parseCidr('fd00:1:2:3::/64'), serial: false, options: {} });
  const base = parseAddress('fd00:1:2:3::').value;
  if (scattered) for (let i = 1; i <= n; i += 1) pool.allocate({ address: { v6: true, value: base + BigInt(2 * i) } });
  else for (let i = 0; i < n; i += 1) pool.allocate();
  const after = measure();
  if (pool.held() !== n) throw new Error('v6 bench: wrong count');
  return Math.max(0, after - before) / n;
}

/** ipam.pool_pick_ms — a whole requestPool() without a subnet (pick + compare-and-set write of the
 * space index and the new pool) over a MemoryStore, with 1,000 pools already taken; median.
 * `_core`: pickSubnet() alone over the same 1,000 taken subnets. */
async function poolPick(): Promise<{ full: number; core: number }> {
  const ipam = await Ipam.open({ store: new MemoryStore(), defaultPools: [{ base: '10.0.0.0/8', size: 24 }] });
  for (let i = 0; i < 1000; i += 1) await ipam.requestPool();
  const samples: number[] = [];
  for (let i = 0; i < 200; i += 1) {
    const start = now();
    const { poolId } = await ipam.requestPool();
    samples.push(now() - start);
    await ipam.releasePool(poolId);
  }
  const defaults = parseDefaultPools([{ base: '10.0.0.0/8', size: 24 }]);
  const taken = Array.from({ length: 1000 }, (_, i) => ({ start: 0x0a000000n + BigInt(i * 256), end: 0x0a000000n + BigInt(i * 256 + 255), id: String(i) }));
  const core: number[] = [];
  for (let i = 0; i < 200; i += 1) {
    const start = now();
    pickSubnet(defaults, false, taken, []);
    core.push(now() - start);
  }
  return { full: median(samples), core: median(core) };
}

/** ipam.durable_alloc_per_s — requestAddress() calls acknowledged only once committed to the file
 * store (fdatasync'd), 256 in flight over 4 pools; `_serial`: one request at a time. */
async function durable(inFlight: number, total: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'tsnet-ipam-bench-'));
  const store = await openFileStore(dir);
  try {
    const ipam = await Ipam.open({ store });
    const pools = await Promise.all(['10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16', '10.4.0.0/16'].map((pool) => ipam.requestPool({ pool })));
    let issued = 0;
    const start = now();
    await Promise.all(Array.from({ length: inFlight }, async (_, w) => {
      while (issued < total) {
        issued += 1;
        await ipam.requestAddress(pools[w % pools.length]!.poolId);
      }
    }));
    return total / ((now() - start) / 1000);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const figures: BenchFigure[] = [];
figures.push({ name: 'ipam.v4_alloc_per_s', value: Math.round(v4AllocPerS()), unit: 'allocs/s', target: '>= 1000000 (allocator core, in memory)' });
figures.push({ name: 'ipam.v4_alloc_per_s_ipam_memstore', value: Math.round(await v4AllocViaIpam()), unit: 'allocs/s', target: 'info: public API over MemoryStore' });
figures.push({ name: 'ipam.v6_bytes_per_addr', value: v6Bytes(false), unit: 'bytes/addr', target: '<= 64' });
figures.push({ name: 'ipam.v6_bytes_per_addr_scattered', value: v6Bytes(true), unit: 'bytes/addr', target: 'info: worst case' });
const pick = await poolPick();
figures.push({ name: 'ipam.pool_pick_ms', value: pick.full, unit: 'ms', target: '<= 1 (requestPool with 1000 pools taken)' });
figures.push({ name: 'ipam.pool_pick_core_ms', value: pick.core, unit: 'ms', target: 'info: pickSubnet alone' });
figures.push({ name: 'ipam.durable_alloc_per_s', value: Math.round(await durable(256, 20_000)), unit: 'allocs/s', target: '>= 2000 (file store, fdatasync)' });
figures.push({ name: 'ipam.durable_alloc_per_s_serial', value: Math.round(await durable(1, 500)), unit: 'allocs/s', target: 'info: one request at a time' });
reportBench('ipam', figures);
