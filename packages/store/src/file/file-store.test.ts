import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTsnetError } from '@tsnet/errors';
import type { Store } from '../types.js';
import { openFileStore } from './file-store.js';
import { encodeLogRecord } from './records.js';
import { exited, spawnScript, waitForLine } from './testing/spawn.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsnet-filestore-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const wal = (): string => join(dir, 'store.wal');
const snap = (): string => join(dir, 'store.snap');

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isTsnetError(error) ? error.code : String(error);
  }
}

async function dump(store: Store): Promise<unknown> {
  return { entries: await store.list('/'), revision: await store.revision() };
}

async function writeSample(store: Store): Promise<void> {
  await store.put('/r/a', '1');
  await store.put('/r/b', '2');
  await store.put('/r/a', '3');
  await store.txn({ success: [{ op: 'put', key: '/r/c', value: 'c' }, { op: 'delete', key: '/r/b' }] });
  await store.delete('/r/c');
  await store.put('/r/d/1', 'x');
  await store.txn({ success: [{ op: 'deletePrefix', prefix: '/r/d/' }, { op: 'put', key: '/r/z', value: 'ünïcødé ✓' }] });
}

describe('file store persistence', () => {
  it('reopening gives back the same entries and revisions, and continues the revision', async () => {
    const store = await openFileStore(dir);
    await writeSample(store);
    const before = await dump(store);
    await store.close();
    const again = await openFileStore(dir);
    expect(await dump(again)).toEqual(before);
    expect(await again.put('/r/next', 'n')).toBe((before as { revision: number }).revision + 1);
    await again.close();
  });

  it('creates missing parent directories', async () => {
    const nested = join(dir, 'var', 'lib', 'tsnet');
    const store = await openFileStore(nested);
    await store.put('/a', '1');
    await store.close();
    expect(existsSync(join(nested, 'store.wal'))).toBe(true);
  });

  it('compacts the log into a snapshot and reads both back', async () => {
    const store = await openFileStore(dir, { compactBytes: 2048 });
    for (let i = 0; i < 400; i += 1) await store.put(`/k/${i % 50}`, `value ${i}`);
    await writeSample(store);
    const before = await dump(store);
    await store.close();
    expect(existsSync(snap())).toBe(true);
    expect(statSync(wal()).size).toBeLessThan(4096); // folded, not growing without bound
    const again = await openFileStore(dir);
    expect(await dump(again)).toEqual(before);
    await again.close();
  });

  // Each row is a tail a crash can leave after the last fdatasync'd batch.
  it.each([
    ['a frame cut short', () => Buffer.concat([Buffer.from([100, 0, 0, 0, 1, 2, 3, 4]), Buffer.from('{"r":')])],
    ['a header cut short', () => Buffer.from([7, 0, 0])],
    ['zeros from a file extended but never written', () => Buffer.alloc(4096)],
    ['a whole frame with a bad checksum', () => {
      const frame = encodeLogRecord(99, [{ op: 'put', key: '/torn', value: 'x' }]);
      frame.writeUInt32LE((frame.readUInt32LE(4) ^ 1) >>> 0, 4);
      return frame;
    }],
  ])('a torn log tail (%s) is cut off and the store stays writable', async (_name, tail) => {
    const store = await openFileStore(dir);
    await writeSample(store);
    const before = await dump(store);
    await store.close();
    const goodSize = statSync(wal()).size;
    appendFileSync(wal(), tail());
    const again = await openFileStore(dir);
    expect(await dump(again)).toEqual(before);
    expect(statSync(wal()).size).toBe(goodSize);
    await again.put('/after', 'tear');
    await again.close();
    const third = await openFileStore(dir);
    expect((await third.get('/after'))?.value).toBe('tear');
    await third.close();
  });

  it('a leftover snapshot temp file from an interrupted compaction is ignored and removed', async () => {
    const store = await openFileStore(dir);
    await writeSample(store);
    const before = await dump(store);
    await store.close();
    writeFileSync(`${snap()}.tmp`, 'half a snapshot');
    const again = await openFileStore(dir);
    expect(await dump(again)).toEqual(before);
    expect(existsSync(`${snap()}.tmp`)).toBe(false);
    await again.close();
  });

  it('a damaged snapshot is ERR_STORE_CORRUPT, and the failed open leaves the directory unlocked', async () => {
    const store = await openFileStore(dir, { compactBytes: 0 });
    await writeSample(store);
    await store.close();
    const data = readFileSync(snap());
    data.writeUInt8(data.readUInt8(data.length - 2) ^ 0xff, data.length - 2);
    writeFileSync(snap(), data);
    expect(await codeOf(openFileStore(dir))).toBe('ERR_STORE_CORRUPT');
    expect(await codeOf(openFileStore(dir))).toBe('ERR_STORE_CORRUPT'); // not ERR_STORE_LOCKED
  });

  it('a log that skips revisions is ERR_STORE_CORRUPT', async () => {
    const store = await openFileStore(dir);
    await store.put('/a', '1');
    await store.close();
    appendFileSync(wal(), encodeLogRecord(5, [{ op: 'put', key: '/b', value: '2' }]));
    expect(await codeOf(openFileStore(dir))).toBe('ERR_STORE_CORRUPT');
  });
});

describe('file store directory lock', () => {
  it('a second opener in the same process gets ERR_STORE_LOCKED until the first closes', async () => {
    const store = await openFileStore(dir);
    await store.put('/a', '1');
    const error = await openFileStore(dir).catch((e: unknown) => e);
    expect(isTsnetError(error, 'ERR_STORE_LOCKED') && error.kind).toBe('conflict');
    expect((error as Error).message).toContain(dir);
    expect((error as Error).message).toContain(String(process.pid));
    expect((await store.get('/a'))?.value).toBe('1'); // the holder is unaffected
    await store.close();
    const again = await openFileStore(dir);
    expect((await again.get('/a'))?.value).toBe('1');
    await again.close();
  });

  it('a live process holding the directory locks out others; its death (SIGKILL) frees it', async () => {
    const holder = spawnScript('hold-lock.ts', [dir]);
    try {
      const ready = await waitForLine(holder, /^ready \d+$/);
      const pid = ready.split(' ')[1]!;
      const error = await openFileStore(dir).catch((e: unknown) => e);
      expect(isTsnetError(error, 'ERR_STORE_LOCKED')).toBe(true);
      expect((error as Error).message).toContain(`process ${pid}`);
      expect((error as Error).message).toContain(dir);
      holder.kill('SIGKILL');
      await exited(holder);
      const store = await openFileStore(dir);
      expect((await store.get('/holder'))?.value).toBe(pid);
      await store.close();
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
