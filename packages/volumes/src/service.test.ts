import { mkdtempSync, rmSync, existsSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTsnetError } from '@tsnet/errors';
import { MemoryStore, openFileStore, type Store } from '@tsnet/store';
import { VolumeService } from './service.js';
import { ANONYMOUS_LABEL } from './names.js';

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (error) {
    if (isTsnetError(error)) return error.code;
    throw error;
  }
  return 'ok';
};

let root: string;
let store: Store;
let svc: VolumeService;

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'tsnet-vol-'));
  store = new MemoryStore();
  svc = await VolumeService.open({ store, root });
});
afterEach(async () => {
  await store.close();
  rmSync(root, { recursive: true, force: true });
});

describe('VolumeService', () => {
  it('creates with Docker\'s JSON and the data dir on disk', async () => {
    const v = await svc.create({ Name: 'web-data', Labels: { a: 'b' } });
    expect(v).toMatchObject({ Name: 'web-data', Driver: 'local', Mountpoint: join(root, 'volumes/web-data/_data'), Labels: { a: 'b' }, Scope: 'local', Options: {} });
    expect(v.CreatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(existsSync(v.Mountpoint)).toBe(true);
    expect(JSON.parse((await store.get('/volumes/volumes/web-data'))!.value)).toMatchObject({ Name: 'web-data', Labels: { a: 'b' } });
  });

  it('creates anonymous volumes with 64-hex names and the anonymous label', async () => {
    const v = await svc.create();
    expect(v.Name).toMatch(/^[0-9a-f]{64}$/);
    expect(v.Labels).toEqual({ [ANONYMOUS_LABEL]: '' });
  });

  it('returns the existing volume on a second create, refuses another driver', async () => {
    const a = await svc.create({ Name: 'v1', Labels: { x: '1' } });
    expect(await svc.create({ Name: 'v1', Labels: { y: '2' } })).toEqual(a);
    expect(await codeOf(svc.create({ Name: 'v1', Driver: 'other' }))).toBe('ERR_VOLUME_DRIVER_CONFLICT');
  });

  it.each(['../x', '/x', 'a/b', '.hidden', 'x', '', 'a b', 'a:b'])('refuses name %j and leaves nothing', async (name) => {
    if (name === '') return; // '' means anonymous
    const before = await store.list('/volumes/');
    expect(await codeOf(svc.create({ Name: name }))).toBe('ERR_VOLUME_NAME_INVALID');
    expect(await store.list('/volumes/')).toEqual(before);
    expect(existsSync(join(root, 'volumes')) ? readdirSync(join(root, 'volumes')) : []).toEqual([]);
  });

  it.each([
    [{ foo: 'bar' }, 'invalid option: "foo"'],
    [{ type: 'tmpfs' }, 'missing required option: "device"'],
    [{ o: 'size=1m' }, 'missing required option: "device"'],
    [{ device: '/x' }, 'missing required option: "type"'],
    [{ size: '1g' }, 'quota size requested but no quota support'],
  ])('refuses local options %j', async (opts, text) => {
    const error = await svc.create({ Name: 'opt1', DriverOpts: opts }).catch((e: unknown) => e);
    expect(isTsnetError(error, 'ERR_VOLUME_OPTION_INVALID') && error.message).toContain(text);
    expect(svc.has('opt1')).toBe(false);
  });

  it('gets, lists with filters', async () => {
    await svc.create({ Name: 'alpha', Labels: { env: 'prod', tier: 'db' } });
    await svc.create({ Name: 'beta', Labels: { env: 'dev' } });
    const anon = await svc.create();
    await svc.addRef('alpha', 'c1');
    const names = async (f: Record<string, string[]>) => (await svc.list(f)).Volumes.map((v) => v.Name);
    expect(await names({})).toEqual(['alpha', 'beta', anon.Name].sort());
    expect(await names({ name: ['alp'] })).toEqual(['alpha']);
    // `^bet`, not `^b`: the anonymous volume's random hex name starts with b one time in 16.
    expect(await names({ name: ['^bet'] })).toEqual(['beta']);
    expect(await names({ label: ['env'] })).toEqual(['alpha', 'beta']);
    expect(await names({ label: ['env=prod', 'tier=db'] })).toEqual(['alpha']);
    expect(await names({ label: ['env=prod', 'tier=web'] })).toEqual([]);
    expect(await names({ 'label!': ['env'] })).toEqual([anon.Name]);
    expect(await names({ dangling: ['true'] })).toEqual([anon.Name, 'beta'].sort());
    expect(await names({ dangling: ['false'] })).toEqual(['alpha']);
    expect(await names({ driver: ['local'] })).toHaveLength(3);
    expect(await names({ driver: ['nfs'] })).toEqual([]);
    expect((await svc.list({ label: { 'env=dev': true } })).Volumes.map((v) => v.Name)).toEqual(['beta']);
    expect(await codeOf(svc.list({ bogus: ['x'] }))).toBe('ERR_FILTER_INVALID');
    expect(await codeOf(svc.list({ dangling: ['maybe'] }))).toBe('ERR_FILTER_INVALID');
    expect(await codeOf(svc.get('nope'))).toBe('ERR_VOLUME_NOT_FOUND');
  });

  it('refuses to remove a referenced volume, naming the holders, even with force', async () => {
    const v = await svc.create({ Name: 'held' }, { ref: 'c1' });
    await svc.addRef('held', 'c2');
    const error = await svc.remove('held', { force: true }).catch((e: unknown) => e);
    expect(isTsnetError(error, 'ERR_VOLUME_IN_USE')).toBe(true);
    expect((error as Error).message).toBe('remove held: volume is in use - [c1, c2]');
    expect(existsSync(v.Mountpoint)).toBe(true);
    await svc.removeRef('held', 'c1');
    await svc.removeRef('held', 'c2');
    await svc.remove('held');
    expect(existsSync(join(root, 'volumes/held'))).toBe(false);
    expect(await store.list('/volumes/')).toEqual([]);
  });

  it('remove: missing is not-found, force makes it a no-op', async () => {
    expect(await codeOf(svc.remove('ghost'))).toBe('ERR_VOLUME_NOT_FOUND');
    expect(await codeOf(svc.remove('ghost', { force: true }))).toBe('ok');
  });

  it('force removes the record of a volume whose driver is gone', async () => {
    await store.put('/volumes/volumes/orphan', JSON.stringify({ Name: 'orphan', Driver: 'gone', CreatedAt: '2020-01-01T00:00:00Z', Labels: {}, Options: {} }));
    const again = await VolumeService.open({ store, root, pluginDir: join(root, 'no-plugins') });
    expect(await codeOf(again.remove('orphan'))).toBe('ERR_VOLUME_DRIVER_NOT_FOUND');
    await again.remove('orphan', { force: true });
    expect(again.has('orphan')).toBe(false);
    expect(await store.get('/volumes/volumes/orphan')).toBeUndefined();
  });

  it('prunes anonymous unused volumes by default, named with all, label filters ANDed', async () => {
    const anon1 = await svc.create();
    const anon2 = await svc.create({ Labels: { keep: '1' } });
    const anonHeld = await svc.create({}, { ref: 'c9' });
    await svc.create({ Name: 'named1', Labels: { team: 'a', env: 'x' } });
    await svc.create({ Name: 'named2', Labels: { team: 'a' } });
    writeFileSync(join(anon1.Mountpoint, 'f'), Buffer.alloc(1000));
    const r1 = await svc.prune({ filters: { 'label!': ['keep'] } });
    expect(r1).toEqual({ VolumesDeleted: [anon1.Name], SpaceReclaimed: 1000 });
    const r2 = await svc.prune({ all: true, filters: { label: ['team=a', 'env=x'] } });
    expect(r2.VolumesDeleted).toEqual(['named1']);
    const r3 = await svc.prune({ filters: { all: ['true'] } });
    expect(r3.VolumesDeleted.sort()).toEqual([anon2.Name, 'named2'].sort());
    expect((await svc.list()).Volumes.map((v) => v.Name)).toEqual([anonHeld.Name]);
  });

  it('keeps references and volumes across a restart over the same file store', async () => {
    const dir = join(root, 'store');
    let fileStore = await openFileStore(dir);
    let s1 = await VolumeService.open({ store: fileStore, root });
    await s1.create({ Name: 'persist' }, { ref: 'c1' });
    const anon = await s1.create();
    await s1.addRef('persist', 'c2');
    await fileStore.close();

    fileStore = await openFileStore(dir);
    s1 = await VolumeService.open({ store: fileStore, root });
    expect(s1.refs('persist')).toEqual(['c1', 'c2']);
    expect(await codeOf(s1.remove('persist'))).toBe('ERR_VOLUME_IN_USE');
    expect(await s1.retainRefs(['c2'])).toEqual(['persist/c1']);
    expect((await s1.prune()).VolumesDeleted).toEqual([anon.Name]);
    await s1.removeRef('persist', 'c2');
    await fileStore.close();

    fileStore = await openFileStore(dir);
    s1 = await VolumeService.open({ store: fileStore, root });
    expect(s1.refs('persist')).toEqual([]);
    expect((await s1.prune({ all: true })).VolumesDeleted).toEqual(['persist']);
    await fileStore.close();
  });

  it('sweeps empty directories left by a create cut short, keeps any holding data', async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(root, 'volumes/halfmade/_data'), { recursive: true });
    mkdirSync(join(root, 'volumes/hasdata/_data'), { recursive: true });
    writeFileSync(join(root, 'volumes/hasdata/_data/f'), 'x');
    await svc.create({ Name: 'real' });
    await VolumeService.open({ store, root });
    expect(readdirSync(join(root, 'volumes')).sort()).toEqual(['hasdata', 'real']);
  });

  it('undoes the record when the driver cannot create, and the dir when the store refuses', async () => {
    await store.put('/volumes/volumes/raced', JSON.stringify({ Name: 'raced', Driver: 'local', CreatedAt: '', Labels: {}, Options: {} }));
    expect(await codeOf(svc.create({ Name: 'raced' }))).toBe('ERR_STORE_CONFLICT'); // another writer got there first
    expect(existsSync(join(root, 'volumes/raced'))).toBe(false);
  });
});
