import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTsnetError } from '@tsnet/errors';
import { MemoryStore, openFileStore, type Store, type WatchEvent } from './index.js';

/** Every backend must behave the same; the file backend twice, once compacting on every batch. */
const backends: Array<{ name: string; open: (dir: string) => Promise<Store> }> = [
  { name: 'memory', open: async () => new MemoryStore() },
  { name: 'file', open: (dir) => openFileStore(dir) },
  { name: 'file, compacting every batch', open: (dir) => openFileStore(dir, { compactBytes: 0 }) },
];

async function expectCode(promise: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  let error: unknown;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (caught) {
    error = caught;
  }
  expect(isTsnetError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
}

describe.each(backends)('Store behaviour: $name', ({ open }) => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsnet-store-'));
    store = await open(dir);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('put/get track the global revision and per-key create/mod revisions', async () => {
    expect(await store.revision()).toBe(0);
    expect(await store.get('/a')).toBeUndefined();
    expect(await store.put('/a', '1')).toBe(1);
    expect(await store.put('/b', '2')).toBe(2);
    expect(await store.put('/a', '3')).toBe(3);
    expect(await store.get('/a')).toEqual({ key: '/a', value: '3', createRevision: 1, modRevision: 3 });
    expect(await store.revision()).toBe(3);
  });

  it('compare-and-set: 0 means absent, a stale revision is a conflict that changes nothing', async () => {
    const rev = await store.put('/k', 'v1', { expectedRevision: 0 });
    await expectCode(store.put('/k', 'other', { expectedRevision: 0 }), 'ERR_STORE_CONFLICT');
    await expectCode(store.put('/k', 'other', { expectedRevision: rev + 7 }), 'ERR_STORE_CONFLICT');
    await expectCode(store.delete('/k', { expectedRevision: rev + 7 }), 'ERR_STORE_CONFLICT');
    expect(await store.get('/k')).toEqual({ key: '/k', value: 'v1', createRevision: rev, modRevision: rev });
    expect(await store.revision()).toBe(rev);
    const rev2 = await store.put('/k', 'v2', { expectedRevision: rev });
    expect(await store.delete('/k', { expectedRevision: rev2 })).toBe(true);
    expect(await store.get('/k')).toBeUndefined();
  });

  it('a conflict error names the key and both revisions', async () => {
    await store.put('/ipam/pool', 'x');
    const error = await store.put('/ipam/pool', 'y', { expectedRevision: 0 }).catch((e: unknown) => e);
    expect(isTsnetError(error, 'ERR_STORE_CONFLICT') && error.kind).toBe('conflict');
    expect((error as Error).message).toContain('"/ipam/pool"');
    expect((error as { details: unknown }).details).toMatchObject({ key: '/ipam/pool', expectedRevision: 0, actualRevision: 1 });
  });

  it('delete reports whether something was deleted; deleting nothing is no write', async () => {
    await store.put('/d', 'x');
    expect(await store.delete('/d')).toBe(true);
    const rev = await store.revision();
    expect(await store.delete('/d')).toBe(false);
    expect(await store.delete('/never')).toBe(false);
    expect(await store.revision()).toBe(rev);
    // recreated keys start a new life: createRevision moves on
    const again = await store.put('/d', 'y');
    expect((await store.get('/d'))?.createRevision).toBe(again);
  });

  it('list returns the prefix only, sorted by key, as copies', async () => {
    for (const key of ['/n/b', '/n/a/2', '/m/x', '/n/a/1', '/nn']) await store.put(key, key);
    const listed = await store.list('/n/');
    expect(listed.map((e) => e.key)).toEqual(['/n/a/1', '/n/a/2', '/n/b']);
    listed[0]!.value = 'mutated';
    expect((await store.get('/n/a/1'))?.value).toBe('/n/a/1');
    expect((await store.list('/')).length).toBe(5);
    expect(await store.list('/none/')).toEqual([]);
  });

  it('txn: compares on modRevision, value and existence pick the branch', async () => {
    const rev = await store.put('/t/a', 'A');
    const cases = [
      { compare: [{ key: '/t/a', modRevision: rev }], ok: true },
      { compare: [{ key: '/t/a', modRevision: 0 }], ok: false },
      { compare: [{ key: '/t/none', modRevision: 0 }], ok: true }, // 0 = absent
      { compare: [{ key: '/t/a', value: 'A' }], ok: true },
      { compare: [{ key: '/t/a', value: 'B' }], ok: false },
      { compare: [{ key: '/t/none', value: '' }], ok: false }, // a missing key has no value, not ''
      { compare: [{ key: '/t/a', exists: true }], ok: true },
      { compare: [{ key: '/t/none', exists: true }], ok: false },
      { compare: [{ key: '/t/a', exists: true }, { key: '/t/a', value: 'B' }], ok: false }, // all must hold
      { compare: [], ok: true },
    ];
    for (const { compare, ok } of cases) {
      const result = await store.txn({ compare, success: [], failure: [] });
      expect(result.succeeded, JSON.stringify(compare)).toBe(ok);
    }
    expect(await store.revision()).toBe(rev); // branches without operations write nothing
  });

  it('txn applies a branch atomically at one revision', async () => {
    await store.put('/t/old/1', 'x');
    await store.put('/t/old/2', 'x');
    const before = await store.revision();
    const result = await store.txn({
      compare: [{ key: '/t/lock', exists: false }],
      success: [
        { op: 'put', key: '/t/lock', value: 'me' },
        { op: 'put', key: '/t/new', value: 'n' },
        { op: 'deletePrefix', prefix: '/t/old/' },
      ],
      failure: [{ op: 'put', key: '/t/lost', value: 'x' }],
    });
    expect(result).toEqual({ succeeded: true, revision: before + 1 });
    expect((await store.list('/t/')).map((e) => [e.key, e.modRevision])).toEqual([
      ['/t/lock', before + 1],
      ['/t/new', before + 1],
    ]);
    const second = await store.txn({
      compare: [{ key: '/t/lock', exists: false }],
      success: [{ op: 'put', key: '/t/won', value: 'x' }],
      failure: [{ op: 'put', key: '/t/lost', value: 'x' }],
    });
    expect(second).toEqual({ succeeded: false, revision: before + 2 });
    expect(await store.get('/t/won')).toBeUndefined();
    expect((await store.get('/t/lost'))?.value).toBe('x');
  });

  it('a transaction with one bad key applies nothing', async () => {
    await store.put('/v/a', '1');
    const before = await store.list('/');
    await expectCode(
      store.txn({ success: [{ op: 'put', key: '/v/b', value: '2' }, { op: 'delete', key: 'no-slash' }] }),
      'ERR_STORE_INVALID_KEY',
    );
    await expectCode(store.txn({ compare: [{ key: '', exists: true }], success: [{ op: 'put', key: '/v/c', value: '3' }] }), 'ERR_STORE_INVALID_KEY');
    await expectCode(store.txn({ success: [{ op: 'deletePrefix', prefix: '' }] }), 'ERR_STORE_INVALID_KEY');
    await expectCode(store.txn({ success: [{ op: 'put', key: '/v/d', value: 7 as unknown as string }] }), 'ERR_STORE_INVALID_VALUE');
    expect(await store.list('/')).toEqual(before);
  });

  it.each([[''], ['relative/key'], [42 as unknown as string]])('rejects the invalid key %j everywhere', async (key) => {
    await expectCode(store.get(key), 'ERR_STORE_INVALID_KEY');
    await expectCode(store.put(key, 'x'), 'ERR_STORE_INVALID_KEY');
    await expectCode(store.delete(key), 'ERR_STORE_INVALID_KEY');
    await expectCode(store.list(key), 'ERR_STORE_INVALID_KEY');
    await expectCode(() => store.watch(key), 'ERR_STORE_INVALID_KEY');
    expect(await store.revision()).toBe(0);
  });

  it('watch emits committed changes under its prefix, in order, with previous values', async () => {
    const seen: WatchEvent[] = [];
    const sub = store.watch('/w/').subscribe((event) => seen.push(event));
    await store.put('/w/a', '1');
    expect(seen).toHaveLength(1); // delivered by the time the write is acknowledged
    await store.put('/other', 'x');
    await store.put('/w/a', '2');
    await store.put('/w/b', '3');
    await store.txn({ success: [{ op: 'deletePrefix', prefix: '/w/' }] });
    sub.unsubscribe();
    await store.put('/w/after', 'x');
    expect(seen).toEqual([
      { type: 'put', key: '/w/a', value: '1', modRevision: 1 },
      { type: 'put', key: '/w/a', value: '2', modRevision: 3, prevValue: '1' },
      { type: 'put', key: '/w/b', value: '3', modRevision: 4 },
      { type: 'delete', key: '/w/a', modRevision: 5, prevValue: '2' },
      { type: 'delete', key: '/w/b', modRevision: 5, prevValue: '3' },
    ]);
  });

  it('concurrent compare-and-set increments never lose an update', async () => {
    await store.put('/counter', '0');
    let conflicts = 0;
    const increment = async (): Promise<void> => {
      for (;;) {
        const current = (await store.get('/counter'))!;
        try {
          await store.put('/counter', String(Number(current.value) + 1), { expectedRevision: current.modRevision });
          return;
        } catch (error) {
          if (!isTsnetError(error, 'ERR_STORE_CONFLICT')) throw error;
          conflicts += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: 50 }, increment));
    expect((await store.get('/counter'))?.value).toBe('50');
    expect(conflicts).toBeGreaterThan(0); // they really raced
  });

  it('many concurrent writes are all acknowledged and readable', async () => {
    const revisions = await Promise.all(Array.from({ length: 500 }, (_, i) => store.put(`/c/${String(i).padStart(3, '0')}`, `v${i}`)));
    expect(new Set(revisions).size).toBe(500);
    expect((await store.list('/c/')).map((e) => e.value)).toEqual(Array.from({ length: 500 }, (_, i) => `v${i}`));
  });

  it('close completes watchers, is idempotent, and every later call fails with ERR_STORE_CLOSED', async () => {
    const events = firstValueFrom(store.watch('/').pipe(toArray()));
    await store.put('/x', '1');
    await store.close();
    await store.close();
    expect(await events).toHaveLength(1);
    await expectCode(store.get('/x'), 'ERR_STORE_CLOSED');
    await expectCode(store.put('/x', '2'), 'ERR_STORE_CLOSED');
    await expectCode(store.txn({ success: [] }), 'ERR_STORE_CLOSED');
    await expectCode(store.list('/'), 'ERR_STORE_CLOSED');
    await expectCode(() => store.watch('/'), 'ERR_STORE_CLOSED');
  });
});
