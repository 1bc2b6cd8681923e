import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isTsnetError } from '@tsnet/errors';
import { MemoryStore, openFileStore, type Store } from '@tsnet/store';
import { describe, expect, it } from 'vitest';
import { Ipam } from './ipam.js';
import { serveStore } from './testing/process-store.js';

/** Counts the compare-and-set conflicts the store answers, to prove the race really happened. */
function countingConflicts(store: Store): { store: Store; conflicts: () => number } {
  let conflicts = 0;
  const wrapped: Store = {
    get: (key) => store.get(key),
    list: (prefix) => store.list(prefix),
    delete: (key, options) => store.delete(key, options),
    watch: (prefix) => store.watch(prefix),
    revision: () => store.revision(),
    close: () => store.close(),
    put: async (key, value, options) => {
      try {
        return await store.put(key, value, options);
      } catch (error) {
        if (isTsnetError(error, 'ERR_STORE_CONFLICT')) conflicts += 1;
        throw error;
      }
    },
    txn: async (t) => {
      const result = await store.txn(t);
      if (!result.succeeded) conflicts += 1;
      return result;
    },
  };
  return { store: wrapped, conflicts: () => conflicts };
}

describe('several Ipam instances over one store', () => {
  it('never hand out the same address while racing (compare-and-set)', async () => {
    const { store, conflicts } = countingConflicts(new MemoryStore());
    const instances = await Promise.all(Array.from({ length: 4 }, () => Ipam.open({ store })));
    const { poolId } = await instances[0]!.requestPool({ pool: '10.20.0.0/22' });
    const results = await Promise.all(instances.flatMap((ipam) =>
      Array.from({ length: 200 }, async (_, i) => {
        const { address } = await ipam.requestAddress(poolId);
        // Some callers give their address back, so the instances' caches are stale both ways.
        if (i % 10 === 0) {
          await ipam.releaseAddress(poolId, address.split('/')[0]!);
          return undefined;
        }
        return address;
      })));
    const held = results.filter((a): a is string => a !== undefined);
    expect(new Set(held).size).toBe(held.length);
    expect(held).toHaveLength(720);
    expect(conflicts()).toBeGreaterThan(0);
    // The store agrees with what the callers hold.
    const info = await (await Ipam.open({ store })).poolInfo(poolId);
    expect(info.addresses.sort()).toEqual(held.map((a) => a.split('/')[0]!).sort());
  });

  it('never create overlapping pools while racing', async () => {
    const store = new MemoryStore();
    const instances = await Promise.all(Array.from({ length: 4 }, () => Ipam.open({ store, defaultPools: [{ base: '10.30.0.0/16', size: 24 }] })));
    const pools = await Promise.all(instances.flatMap((ipam) => Array.from({ length: 10 }, () => ipam.requestPool())));
    expect(new Set(pools.map((p) => p.pool)).size).toBe(40);
    // The same explicit subnet from two instances at once: exactly one wins.
    const same = await Promise.allSettled(instances.map((ipam) => ipam.requestPool({ pool: '10.31.0.0/16' })));
    expect(same.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(same.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code))
      .toEqual(['ERR_IPAM_POOL_OVERLAP', 'ERR_IPAM_POOL_OVERLAP', 'ERR_IPAM_POOL_OVERLAP']);
  });

  it('an instance with a stale cache sees another one\'s release and pool deletion', async () => {
    const store = new MemoryStore();
    const [a, b] = await Promise.all([Ipam.open({ store }), Ipam.open({ store })]);
    const { poolId } = await a!.requestPool({ pool: '10.40.0.0/30' });
    await a!.requestAddress(poolId);
    await b!.requestAddress(poolId); // b caches a full pool
    await a!.releaseAddress(poolId, '10.40.0.1');
    expect((await b!.requestAddress(poolId)).address).toBe('10.40.0.1/30'); // not "exhausted"
    await b!.releaseAddress(poolId, '10.40.0.1');
    await b!.releaseAddress(poolId, '10.40.0.2');
    await a!.releasePool(poolId);
    await expect(b!.requestAddress(poolId)).rejects.toMatchObject({ code: 'ERR_IPAM_POOL_NOT_FOUND' });
  });

  it('a refusal computed from a stale cached index is re-checked against the store', async () => {
    const store = new MemoryStore();
    const a = await Ipam.open({ store, defaultPools: [{ base: '10.41.0.0/23', size: 24 }] });
    const first = await a.requestPool({ pool: '10.40.0.0/24' });
    await a.requestPool();
    await a.requestPool();
    const b = await Ipam.open({ store, defaultPools: [{ base: '10.41.0.0/23', size: 24 }] }); // caches all three
    await a.releasePool(first.poolId);
    await a.releasePool('LocalDefault/10.41.1.0/24');
    expect((await b.requestPool({ pool: '10.40.0.0/24' })).poolId).toBe(first.poolId); // not "overlaps"
    expect((await b.requestPool()).pool).toBe('10.41.1.0/24'); // not "no available pool"
    await expect(a.requestPool({ pool: '10.40.0.0/16' })).rejects.toMatchObject({ code: 'ERR_IPAM_POOL_OVERLAP' });
  });
});

describe('several processes over one file store', () => {
  it('never hand out the same address', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsnet-ipam-'));
    const fileStore = await openFileStore(dir);
    const { store, conflicts } = countingConflicts(fileStore);
    try {
      const ipam = await Ipam.open({ store });
      const a = await ipam.requestPool({ pool: '10.50.0.0/22' });
      const b = await ipam.requestPool({ pool: 'fd00:50::/64' });
      const worker = fileURLToPath(new URL('./testing/alloc-worker.ts', import.meta.url));
      const children: ChildProcess[] = [];
      let ready = 0;
      const runs = Array.from({ length: 3 }, () => new Promise<string[]>((resolve, reject) => {
        const child = fork(worker, [`${a.poolId},${b.poolId}`, '150', '8', '7'], {
          execArgv: ['--conditions=source', '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        children.push(child);
        serveStore(child, store);
        let held: string[] | undefined;
        child.on('message', (m: { type?: string; held?: string[] }) => {
          if (m.type === 'done') held = m.held;
          // Every worker waits until all three are up, then they allocate at the same time.
          if (m.type === 'ready' && ++ready === 3) for (const c of children) c.send({ type: 'go' });
        });
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 && held !== undefined ? resolve(held) : reject(new Error(`worker exited ${code}`))));
      }));
      const held = (await Promise.all(runs)).flat();
      expect(held).toHaveLength(3 * (300 - Math.floor(300 / 7)));
      expect(new Set(held).size).toBe(held.length);
      expect(conflicts()).toBeGreaterThan(0); // the processes really raced
      // Restored from the file store, the pools hold exactly what the workers hold.
      const restored = await Ipam.open({ store });
      const inStore = [
        ...(await restored.poolInfo(a.poolId)).addresses.map((x) => `${a.poolId} ${x}`),
        ...(await restored.poolInfo(b.poolId)).addresses.map((x) => `${b.poolId} ${x}`),
      ];
      expect(inStore.sort()).toEqual([...held].sort());
    } finally {
      await fileStore.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
