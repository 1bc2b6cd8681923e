/**
 * Durable write throughput of the file store (every figure counts only acknowledged, fdatasync'd
 * writes) and, for scale, the memory store. `npm run bench -- store`.
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reportBench, timeMs } from '@tsnet/testkit';
import { MemoryStore, openFileStore, type Store } from '@tsnet/store';

const value = JSON.stringify({ address: '10.0.0.2/24', endpoint: 'a'.repeat(64) }); // an ipam-sized record

async function withFileStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'tsnet-store-bench-'));
  const store = await openFileStore(dir);
  try {
    return await fn(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One caller, each put awaited before the next: bounded by one fdatasync per write. */
async function sequential(store: Store, count: number): Promise<number> {
  const ms = await timeMs(async () => {
    for (let i = 0; i < count; i += 1) await store.put(`/bench/seq/${i}`, value);
  });
  return (count / ms) * 1000;
}

/** `workers` callers each awaiting its own puts, as concurrent API requests would: group commit shares fsyncs. */
async function concurrent(store: Store, workers: number, perWorker: number): Promise<number> {
  const ms = await timeMs(() =>
    Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        for (let i = 0; i < perWorker; i += 1) await store.put(`/bench/conc/${w}/${i}`, value);
      }),
    ),
  );
  return ((workers * perWorker) / ms) * 1000;
}

/** Read-modify-CAS, the shape of an allocator's write, from 32 concurrent callers with retries. */
async function casAllocations(store: Store, workers: number, perWorker: number): Promise<number> {
  const ms = await timeMs(() =>
    Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        for (let i = 0; i < perWorker; i += 1) {
          const key = `/bench/cas/${w}`;
          const current = await store.get(key);
          await store.put(key, `${value}${i}`, { expectedRevision: current?.modRevision ?? 0 });
        }
      }),
    ),
  );
  return ((workers * perWorker) / ms) * 1000;
}

/** The device's own limit for the sequential case: raw overwrite + fdatasync pairs, no store. */
function rawFdatasync(count: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'tsnet-store-bench-'));
  const fd = openSync(join(dir, 'raw'), 'w+');
  const record = Buffer.from(value);
  writeSync(fd, Buffer.alloc(record.length * count), 0, record.length * count, 0);
  fdatasyncSync(fd);
  const start = performance.now();
  for (let i = 0; i < count; i += 1) {
    writeSync(fd, record, 0, record.length, i * record.length);
    fdatasyncSync(fd);
  }
  const ms = performance.now() - start;
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  return (count / ms) * 1000;
}

const raw = rawFdatasync(2000);
const seq = await withFileStore((store) => sequential(store, 3000));
const conc = await withFileStore((store) => concurrent(store, 64, 300));
const cas = await withFileStore((store) => casAllocations(store, 32, 300));
const memory = new MemoryStore();
const mem = await concurrent(memory, 64, 3000);
await memory.close();

reportBench('store', [
  { name: 'store.raw_fdatasync_per_s', value: Math.round(raw), unit: 'syncs/s' },
  { name: 'store.durable_put_seq_per_s', value: Math.round(seq), unit: 'puts/s' },
  { name: 'store.durable_put_concurrent_per_s', value: Math.round(conc), unit: 'puts/s', target: '>= 2000 (ipam durable allocations)' },
  { name: 'store.durable_cas_concurrent_per_s', value: Math.round(cas), unit: 'puts/s' },
  { name: 'store.memory_put_per_s', value: Math.round(mem), unit: 'puts/s' },
]);
