import { describe, expect, it } from 'vitest';
import { isTsnetError } from '@tsnet/errors';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '@tsnet/store';
import { MountPlan, planMounts } from './mount-plan.js';
import { VolumeService } from './service.js';
import { planMountRecords, sortMounts } from './plan.js';
import type { MountRecord } from './spec/types.js';

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    if (isTsnetError(error)) return error.code;
    throw error;
  }
  return 'ok';
};

const byDest = (records: MountRecord[]): Record<string, MountRecord> => Object.fromEntries(records.map((r) => [r.destination, r]));

describe('planMountRecords', () => {
  it('applies precedence: image VOLUME < --volumes-from < -v < --mount', () => {
    const source = planMountRecords({ containerId: 'src', binds: ['data:/a', '/host/b:/b', 'other:/c'] });
    const records = planMountRecords({
      containerId: 'c1',
      imageVolumes: ['/a', '/img'],
      volumesFrom: [{ spec: 'src', mounts: source }],
      binds: ['vb:/b'],
      mounts: [{ Type: 'tmpfs', Target: '/c' }],
      checkBindSources: false,
    });
    const d = byDest(records);
    expect(d['/a']).toMatchObject({ type: 'volume', name: 'data', origin: 'volumes-from', copyData: false });
    expect(d['/b']).toMatchObject({ type: 'volume', name: 'vb', origin: 'bind-flag' });
    expect(d['/c']).toMatchObject({ type: 'tmpfs', origin: 'mount-flag' });
    expect(d['/img']).toMatchObject({ type: 'volume', anonymous: true, copyData: true, origin: 'image' });
    expect(d['/img']!.name).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    [{ binds: ['/a:/x', '/b:/x'] }, 'ERR_MOUNT_DUPLICATE'], // -v twice
    [{ binds: ['/a:/x'], mounts: [{ Type: 'tmpfs', Target: '/x' }] }, 'ERR_MOUNT_DUPLICATE'], // -v and --mount
    [{ mounts: [{ Type: 'tmpfs', Target: '/x' }, { Type: 'volume', Target: '/x/' }] }, 'ERR_MOUNT_DUPLICATE'], // --mount twice (cleaned)
    [{ binds: ['v:/x'], tmpfs: { '/x': '' } }, 'ERR_MOUNT_DUPLICATE'], // -v and --tmpfs (moby #10618)
    [{ binds: ['../x:/d'] }, 'ERR_VOLUME_NAME_INVALID'], // a volume name is never a path
    [{ binds: ['a/b:/d'] }, 'ERR_VOLUME_NAME_INVALID'],
    [{ mounts: [{ Type: 'volume', Source: '../x', Target: '/d' }] }, 'ERR_VOLUME_NAME_INVALID'],
    [{ mounts: [{ Type: 'volume', Source: '/x', Target: '/d' }] }, 'ERR_VOLUME_NAME_INVALID'],
    [{ mounts: [{ Type: 'volume', Source: 'x', Target: '/d' }] }, 'ERR_VOLUME_NAME_INVALID'], // one character is too short
    [{ mounts: [{ Type: 'bind', Source: '/definitely/missing/src', Target: '/d' }] }, 'ERR_BIND_SOURCE_MISSING'],
    [{ tmpfs: { 'rel': '' } }, 'ERR_MOUNT_SPEC_INVALID'],
    [{ tmpfs: { '/t': 'bogus' } }, 'ERR_TMPFS_OPTION_INVALID'],
    [{ volumesFrom: [{ spec: 'x:shared', mounts: [] }] }, 'ERR_MOUNT_MODE_INVALID'],
    [{ imageVolumes: ['relative'] }, 'ERR_MOUNT_SPEC_INVALID'],
    [{ binds: ['/a:/x:bogus'] }, 'ERR_MOUNT_MODE_INVALID'],
  ])('refuses %j with %s', (input, code) => {
    expect(codeOf(() => planMountRecords({ containerId: 'c', ...input }))).toBe(code);
  });

  it('accepts a missing --mount bind source with bind-create-src, and a missing -v source', () => {
    expect(codeOf(() => planMountRecords({ containerId: 'c', binds: ['/definitely/missing:/a'], mounts: [{ Type: 'bind', Source: '/definitely/missing2', Target: '/b', BindOptions: { CreateMountpoint: true } }] }))).toBe('ok');
  });

  it('honours :ro on --volumes-from, and never turns a ro mount rw', () => {
    const source = planMountRecords({ containerId: 's', binds: ['d1:/d1', '/h:/h:ro'], tmpfs: { '/t': 'size=1m' } });
    const ro = byDest(planMountRecords({ containerId: 'c', volumesFrom: [{ spec: 's:ro', mounts: source }] }));
    expect(Object.values(ro).map((r) => r.rw)).toEqual([false, false, false]);
    const rw = byDest(planMountRecords({ containerId: 'c', volumesFrom: [{ spec: 's:rw', mounts: source }] }));
    expect([rw['/d1']!.rw, rw['/h']!.rw, rw['/t']!.rw]).toEqual([true, false, true]);
  });

  it('combines several --volumes-from (the later wins on a shared path)', () => {
    const a = planMountRecords({ containerId: 'a', binds: ['va:/a', 'shared1:/s'] });
    const b = planMountRecords({ containerId: 'b', binds: ['vb:/b', 'shared2:/s'] });
    const d = byDest(planMountRecords({ containerId: 'c', volumesFrom: [{ spec: 'a', mounts: a }, { spec: 'b', mounts: b }] }));
    expect(Object.keys(d).sort()).toEqual(['/a', '/b', '/s']);
    expect(d['/s']!.name).toBe('shared2');
  });

  it('keeps the anonymous volume of --volumes-from by name (shared, not a new one)', () => {
    const a = planMountRecords({ containerId: 'a', binds: ['/data'] });
    const c = planMountRecords({ containerId: 'c', volumesFrom: [{ spec: 'a', mounts: a }] });
    expect(c[0]!.name).toBe(a[0]!.name);
  });

  it('orders parents before children', () => {
    const records = planMountRecords({ containerId: 'c', binds: ['/h1:/a/b/c', '/h2:/a', 'v1:/a/b', '/h3:/z'], checkBindSources: false });
    expect(records.map((r) => r.destination)).toEqual(['/a', '/z', '/a/b', '/a/b/c']);
    expect(sortMounts([{ destination: '/x/y' }, { destination: '/x' }]).map((m) => m.destination)).toEqual(['/x', '/x/y']);
  });

  it('uses an existing volume whatever its driver unless one is named', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tsnet-plan-'));
    const svc = await VolumeService.open({ store: new MemoryStore(), root, drivers: [{ ...svc0(root), name: 'other' }] });
    await svc.create({ Name: 'theirs', Driver: 'other' });
    const plan = planMounts({ containerId: 'c', binds: ['theirs:/a'] });
    await plan.register(svc);
    expect(plan.mounts[0]).toMatchObject({ driver: 'other', mode: '' });
    rmSync(root, { recursive: true, force: true });
  });

  it('sets the volume driver for -v volumes, never binds', () => {
    const d = byDest(planMountRecords({ containerId: 'c', binds: ['v1:/a', '/h:/b'], mounts: [{ Type: 'volume', Source: 'v2', Target: '/c', VolumeOptions: { DriverConfig: { Name: 'x' } } }], volumeDriver: 'loc' }));
    expect(d['/a']).toMatchObject({ driver: 'loc', mode: '' });
    expect(d['/b']).toMatchObject({ driver: '', mode: '' });
    expect(d['/c']).toMatchObject({ driver: 'x' });
    expect(byDest(planMountRecords({ containerId: 'c', binds: ['v1:/a'] }))['/a']).toMatchObject({ driver: '', mode: '' }); // decided at register
  });
});

describe('planMounts', () => {
  it('defaults /dev/shm to 64 MiB and takes --shm-size', () => {
    expect(planMounts({ containerId: 'c' }).shmSize).toBe(64 * 1024 * 1024);
    expect(planMounts({ containerId: 'c', shmSize: 1024 * 1024 }).shmSize).toBe(1024 * 1024);
    expect(codeOf(() => planMounts({ containerId: 'c', shmSize: -1 }))).toBe('ERR_SHM_SIZE_INVALID');
  });

  it('round-trips through toJSON/restore and shows Docker inspect Mounts', async () => {
    const plan = planMounts({ containerId: 'c', binds: ['/h:/b:ro', 'v1:/v'], tmpfs: { '/run': '' }, mounts: [{ Type: 'tmpfs', Target: '/t' }] });
    const root = mkdtempSync(join(tmpdir(), 'tsnet-plan-'));
    await plan.register(await VolumeService.open({ store: new MemoryStore(), root }));
    const json = JSON.parse(JSON.stringify(plan.toJSON()));
    expect(MountPlan.restore(json).toJSON()).toEqual(plan.toJSON());
    expect(json.mounts).toHaveLength(4);
    const inspect = plan.inspectMounts();
    expect(inspect).toEqual([
      { Type: 'bind', Source: '/h', Destination: '/b', Mode: 'ro', RW: false, Propagation: 'rprivate' },
      { Type: 'tmpfs', Source: '', Destination: '/t', Mode: '', RW: true, Propagation: '' },
      { Type: 'volume', Name: 'v1', Source: join(root, 'volumes/v1/_data'), Destination: '/v', Driver: 'local', Mode: 'z', RW: true, Propagation: '' },
    ]);
    rmSync(root, { recursive: true, force: true });
  });
});

/** A driver that behaves like local under another name. */
function svc0(root: string) {
  return {
    name: 'other', scope: 'local' as const,
    validateOptions: () => undefined,
    create: async () => undefined, remove: async () => undefined,
    mount: async () => root, unmount: async () => undefined,
    path: async () => root, usage: async () => 0,
  };
}
