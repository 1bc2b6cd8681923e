import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeNetns } from '@tsnet/testkit';
import { MemoryStore } from '@tsnet/store';
import { VolumeService } from './service.js';
import { planMounts } from './mount-plan.js';
import { isMountPoint, mountPoints } from './mount.js';
import { applyOciMounts, assertPrivateMountNamespace, unmountAll } from './testing/mountns.js';

let dir: string;
let svc: VolumeService;
let mounted: string[] = [];

function errnoOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
  return 'ok';
}

/** Unmounts everything under dir (deepest first) before deleting it: never rm through a bind. */
function cleanup(path: string): void {
  unmountAll(mounted);
  mounted = [];
  const under = [...mountPoints()].filter((m) => m.startsWith(`${path}/`)).sort((a, b) => b.length - a.length);
  for (const m of under) execFileSync('umount', ['-l', m]);
  rmSync(path, { recursive: true, force: true });
}

function makeImage(root: string): void {
  mkdirSync(join(root, 'data/sub'), { recursive: true });
  writeFileSync(join(root, 'data/a.txt'), 'alpha');
  chownSync(join(root, 'data/a.txt'), 1000, 1001);
  chmodSync(join(root, 'data/a.txt'), 0o640);
  writeFileSync(join(root, 'data/sub/b.txt'), 'beta');
  chmodSync(join(root, 'data/sub'), 0o2750);
  chownSync(join(root, 'data/sub'), 33, 33);
  linkSync(join(root, 'data/a.txt'), join(root, 'data/hard.txt'));
  symlinkSync('/etc/passwd', join(root, 'data/abs-link'));
  symlinkSync('sub/b.txt', join(root, 'data/rel-link'));
  chmodSync(join(root, 'data'), 0o1777);
  chownSync(join(root, 'data'), 7, 8);
}

describeNetns('volumes with real mounts (private mount namespace)', () => {
  beforeAll(() => assertPrivateMountNamespace());
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsnet-volmnt-'));
    svc = await VolumeService.open({ store: new MemoryStore(), root: join(dir, 'root') });
  });
  afterEach(() => cleanup(dir));

  it('reads and writes through a bind; a missing -v source is created 0755 root-owned; :ro gives EROFS', async () => {
    const plan = planMounts({ containerId: 'c1', binds: [`${dir}/host:/in`, `${dir}/host:/ro-in:ro`] });
    const prepared = await plan.prepare(svc);
    const st = statSync(join(dir, 'host'));
    expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o755, 0, 0]);
    const rootfs = join(dir, 'rootfs');
    mounted = applyOciMounts(rootfs, prepared.toOciMounts());
    writeFileSync(join(rootfs, 'in/hello'), 'from container');
    expect(readFileSync(join(dir, 'host/hello'), 'utf8')).toBe('from container');
    expect(readFileSync(join(rootfs, 'ro-in/hello'), 'utf8')).toBe('from container');
    expect(errnoOf(() => writeFileSync(join(rootfs, 'ro-in/nope'), 'x'))).toBe('EROFS');
    expect(existsSync(join(dir, 'host/nope'))).toBe(false);
  });

  it('refuses a missing --mount bind source at start, creating nothing', async () => {
    mkdirSync(join(dir, 'src'));
    const plan = planMounts({ containerId: 'c1', mounts: [{ Type: 'bind', Source: join(dir, 'src'), Target: '/in' }] });
    rmSync(join(dir, 'src'), { recursive: true });
    await expect(plan.prepare(svc)).rejects.toMatchObject({ code: 'ERR_BIND_SOURCE_MISSING' });
    expect(existsSync(join(dir, 'src'))).toBe(false);
  });

  it('enforces tmpfs sizes (--tmpfs, --mount tmpfs-size, /dev/shm) with ENOSPC', async () => {
    const plan = planMounts({ containerId: 'c1', tmpfs: { '/run': 'rw,size=1m' }, mounts: [{ Type: 'tmpfs', Target: '/scratch', TmpfsOptions: { SizeBytes: 512 * 1024, Mode: 0o1770 } }], shmSize: 256 * 1024 });
    const prepared = await plan.prepare(svc);
    const oci = prepared.toOciMounts();
    expect(oci.find((m) => m.destination === '/run')!.options).toEqual(['noexec', 'nosuid', 'nodev', 'rprivate', 'rw', 'size=1m']);
    const rootfs = join(dir, 'rootfs');
    mounted = applyOciMounts(rootfs, oci);
    writeFileSync(join(rootfs, 'run/ok'), Buffer.alloc(900 * 1024));
    expect(errnoOf(() => writeFileSync(join(rootfs, 'run/big'), Buffer.alloc(2 * 1024 * 1024)))).toBe('ENOSPC');
    expect(errnoOf(() => writeFileSync(join(rootfs, 'scratch/big'), Buffer.alloc(600 * 1024)))).toBe('ENOSPC');
    expect(statSync(join(rootfs, 'scratch')).mode & 0o7777).toBe(0o1770);
    expect(errnoOf(() => writeFileSync(join(rootfs, 'dev/shm/big'), Buffer.alloc(300 * 1024)))).toBe('ENOSPC');
    const info = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.includes(`${rootfs}/run `))!;
    expect(info).toMatch(/nosuid,nodev,noexec/);
  });

  it('local driver type=tmpfs: mounted on first use, shared, unmounted when the last user leaves', async () => {
    await svc.create({ Name: 'fast', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } });
    const path = join(dir, 'root/volumes/fast/_data');
    expect(isMountPoint(path)).toBe(false);
    const p1 = await planMounts({ containerId: 'c1', binds: ['fast:/f'] }).prepare(svc);
    const p2 = await planMounts({ containerId: 'c2', binds: ['fast:/f'] }).prepare(svc);
    expect(isMountPoint(path)).toBe(true);
    expect(mountPoints().has(path)).toBe(true);
    expect(errnoOf(() => writeFileSync(join(path, 'big'), Buffer.alloc(2 * 1024 * 1024)))).toBe('ENOSPC');
    await p1.release();
    expect(isMountPoint(path)).toBe(true);
    await p2.release();
    expect(isMountPoint(path)).toBe(false);
  });

  it('local driver type=none,o=bind: the volume is the device directory', async () => {
    mkdirSync(join(dir, 'dev-dir'));
    writeFileSync(join(dir, 'dev-dir/existing'), 'x');
    await svc.create({ Name: 'bound', DriverOpts: { type: 'none', o: 'bind', device: join(dir, 'dev-dir') } });
    const prepared = await planMounts({ containerId: 'c1', binds: ['bound:/b'] }).prepare(svc);
    expect(readdirSync(join(dir, 'root/volumes/bound/_data'))).toEqual(['existing']);
    await prepared.release();
    expect(readdirSync(join(dir, 'root/volumes/bound/_data'))).toEqual([]);
  });

  it('copies image content into an empty volume: owners, modes, symlinks, hardlinks, xattrs', async () => {
    const image = join(dir, 'image');
    makeImage(image);
    const xattr = setXattr(join(image, 'data/a.txt'), 'user.tsnet', 'yes');
    const plan = planMounts({ containerId: 'c1', imageVolumes: ['/data'] });
    const prepared = await plan.prepare(svc, { imageRootfs: image });
    const vol = prepared.hostPaths().get('/data')!;
    expect(vol).toBe(join(dir, 'root/volumes', plan.mounts[0]!.name, '_data'));
    const st = (p: string) => lstatSync(join(vol, p));
    expect([st('').mode & 0o7777, st('').uid, st('').gid]).toEqual([0o1777, 7, 8]);
    expect([st('a.txt').mode & 0o7777, st('a.txt').uid, st('a.txt').gid]).toEqual([0o640, 1000, 1001]);
    expect([st('sub').mode & 0o7777, st('sub').uid]).toEqual([0o2750, 33]);
    expect(readlinkSync(join(vol, 'abs-link'))).toBe('/etc/passwd'); // a link, never the host file
    expect(readlinkSync(join(vol, 'rel-link'))).toBe('sub/b.txt');
    expect(st('hard.txt').ino).toBe(st('a.txt').ino);
    expect(st('a.txt').nlink).toBe(2);
    if (xattr) expect(getXattr(join(vol, 'a.txt'), 'user.tsnet')).toBe('yes');
    expect(existsSync(join(dir, 'root/volumes/.copyup', plan.mounts[0]!.name))).toBe(false);
  });

  it('never copies over existing data, with nocopy, or for --volumes-from', async () => {
    const image = join(dir, 'image');
    makeImage(image);
    const v = await svc.create({ Name: 'used' });
    writeFileSync(join(v.Mountpoint, 'mine'), 'keep');
    await planMounts({ containerId: 'c1', binds: ['used:/data'] }).prepare(svc, { imageRootfs: image });
    expect(readdirSync(v.Mountpoint)).toEqual(['mine']);
    const nocopy = planMounts({ containerId: 'c2', binds: ['empty1:/data:nocopy'] });
    await nocopy.prepare(svc, { imageRootfs: image });
    expect(readdirSync(join(dir, 'root/volumes/empty1/_data'))).toEqual([]);
    const flag = planMounts({ containerId: 'c3', mounts: [{ Type: 'volume', Source: 'empty2', Target: '/data', VolumeOptions: { NoCopy: true } }] });
    await flag.prepare(svc, { imageRootfs: image });
    expect(readdirSync(join(dir, 'root/volumes/empty2/_data'))).toEqual([]);
    const from = planMounts({ containerId: 'c4', volumesFrom: [{ spec: 'c2', mounts: nocopy.records() }] });
    await from.prepare(svc, { imageRootfs: image });
    expect(readdirSync(join(dir, 'root/volumes/empty1/_data'))).toEqual([]);
  });

  it('redoes a copy-up killed half way (SIGKILL), completely', async () => {
    const src = join(dir, 'bigsrc');
    for (let d = 0; d < 20; d += 1) {
      mkdirSync(join(src, `d${d}`), { recursive: true });
      for (let f = 0; f < 50; f += 1) writeFileSync(join(src, `d${d}`, `f${f}`), `${d}/${f}`);
    }
    const target = join(dir, 'vol/_data');
    mkdirSync(target, { recursive: true });
    const marker = join(dir, 'markers/vol');
    // A deterministic kill point: copy-up's `cp` (found on PATH) is a stand-in that copies the first
    // 5 directories with the real cp, says so, and hangs — a copy dying half way, whatever the load.
    const bin = join(dir, 'halfway-bin');
    const ready = join(dir, 'halfway-ready');
    mkdirSync(bin);
    const realCp = execFileSync('sh', ['-c', 'command -v cp'], { encoding: 'utf8' }).trim();
    writeFileSync(join(bin, 'cp'), `#!/bin/sh\nsrc=$4 dst=$5\nfor d in d0 d1 d2 d3 d4; do ${realCp} -a -- "$src/$d" "$dst/$d" || exit 1; done\n: > ${ready}\nexec sleep 1000\n`, { mode: 0o755 });
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', join(import.meta.dirname, 'testing/copyup-child.ts'), src, target, marker], {
      stdio: 'ignore', env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
    });
    await waitFor(() => existsSync(ready));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await new Promise((r) => setTimeout(r, 200)); // cp dies with its parent (PDEATHSIG); let it go
    const partial = count(target);
    expect(partial).toBe(5 * 50 + 5);
    expect(existsSync(marker)).toBe(true); // looks incomplete, because it is
    const { copyUp } = await import('./copyup.js');
    writeFileSync(join(target, 'junk-from-the-crash'), 'x');
    expect(await copyUp({ source: src, target, marker, durable: false })).toBe('copied');
    expect(existsSync(marker)).toBe(false);
    expect(count(target)).toBe(20 * 50 + 20);
    expect(existsSync(join(target, 'junk-from-the-crash'))).toBe(false);
    expect(readFileSync(join(target, 'd19/f49'), 'utf8')).toBe('19/49');
    expect(await copyUp({ source: src, target, marker, durable: false })).toBe('not-empty');
  });

  it('composes --volumes-from: same data at the same paths, :ro honoured, several combine', async () => {
    mkdirSync(join(dir, 'hb'));
    const a = planMounts({ containerId: 'a', binds: ['va:/va', `${dir}/hb:/hb`] });
    const b = planMounts({ containerId: 'b', binds: ['/anon'] });
    const pa = await a.prepare(svc);
    const pb = await b.prepare(svc);
    const c = planMounts({ containerId: 'c', volumesFrom: [{ spec: 'a:ro', mounts: a.records() }, { spec: 'b', mounts: b.records() }] });
    const pc = await c.prepare(svc);
    expect([...pc.hostPaths().entries()].sort()).toEqual([...pa.hostPaths().entries(), ...pb.hostPaths().entries()].sort());
    const rootfs = join(dir, 'rootfs-c');
    mounted = applyOciMounts(rootfs, pc.toOciMounts());
    writeFileSync(join(pa.hostPaths().get('/va')!, 'x'), 'from a');
    expect(readFileSync(join(rootfs, 'va/x'), 'utf8')).toBe('from a');
    expect(errnoOf(() => writeFileSync(join(rootfs, 'va/y'), ''))).toBe('EROFS');
    writeFileSync(join(rootfs, 'anon/z'), 'from c');
    expect(readFileSync(join(pb.hostPaths().get('/anon')!, 'z'), 'utf8')).toBe('from c');
    expect(svc.refs(b.mounts[0]!.name)).toEqual(['b', 'c']);
    // rm -v of c leaves b's anonymous volume: b still holds it.
    await pc.release();
    await pb.release();
    await pa.release();
    await c.unregister(svc, { removeAnonymous: true });
    expect(svc.refs(b.mounts[0]!.name)).toEqual(['b']);
    await b.unregister(svc, { removeAnonymous: true });
    expect(svc.has(b.mounts[0]!.name)).toBe(false);
  });

  it('runs the backup recipe: tar through --volumes-from into a bind, restore into a new data container', async () => {
    const image = join(dir, 'image');
    mkdirSync(join(image, 'dbdata'), { recursive: true });
    writeFileSync(join(image, 'dbdata/db.sql'), 'create table t;');
    const dbdata = planMounts({ containerId: 'dbdata', imageVolumes: ['/dbdata'] });
    await dbdata.prepare(svc, { imageRootfs: image });
    const pwd = join(dir, 'pwd');
    const backup = planMounts({ containerId: 'backup1', volumesFrom: [{ spec: 'dbdata', mounts: dbdata.records() }], binds: [`${pwd}:/backup`] });
    const pb = await backup.prepare(svc);
    expect(busyboxIn(join(dir, 'rootfs-b'), pb.toOciMounts(), ['tar', 'cvf', '/backup/backup.tar', '/dbdata'])).toContain('dbdata/db.sql');
    await pb.release();
    await backup.unregister(svc, { removeAnonymous: true });
    expect(existsSync(join(pwd, 'backup.tar'))).toBe(true);
    const dbdata2 = planMounts({ containerId: 'dbstore2', binds: ['/dbdata'] });
    await dbdata2.prepare(svc);
    const restore = planMounts({ containerId: 'restore1', volumesFrom: [{ spec: 'dbstore2', mounts: dbdata2.records() }], binds: [`${pwd}:/backup`] });
    const pr = await restore.prepare(svc);
    busyboxIn(join(dir, 'rootfs-r'), pr.toOciMounts(), ['tar', 'xvf', '/backup/backup.tar']);
    const restored = join(dir, 'root/volumes', dbdata2.mounts[0]!.name, '_data/db.sql');
    expect(readFileSync(restored, 'utf8')).toBe('create table t;');
  });

  it('refuses subpaths and targets that escape through symlinks, mounting nothing', async () => {
    const v = await svc.create({ Name: 'tricky' });
    mkdirSync(join(dir, 'outside'));
    symlinkSync(join(dir, 'outside'), join(v.Mountpoint, 'abs'));
    symlinkSync('../../../../../../../../..', join(v.Mountpoint, 'up'));
    mkdirSync(join(v.Mountpoint, 'ok'));
    symlinkSync('ok', join(v.Mountpoint, 'rel'));
    const sub = (s: string) => planMounts({ containerId: 'c1', mounts: [{ Type: 'volume', Source: 'tricky', Target: '/t', VolumeOptions: { Subpath: s } }] });
    await expect(sub('abs').prepare(svc)).rejects.toMatchObject({ code: 'ERR_PATH_ESCAPES' });
    await expect(sub('up/etc').prepare(svc)).rejects.toMatchObject({ code: 'ERR_PATH_ESCAPES' });
    expect(svc.local.users('tricky' as never)).toEqual([]); // rolled back
    expect((await sub('rel').prepare(svc)).hostPaths().get('/t')).toBe(join(v.Mountpoint, 'ok'));
    await expect(sub('missing').prepare(svc)).rejects.toMatchObject({ code: 'ERR_VOLUME_SUBPATH' });

    const rootfs = join(dir, 'rootfs');
    mkdirSync(rootfs);
    symlinkSync('../../../../../../outside', join(rootfs, 'evil'));
    const before = mountPoints().size;
    await expect(planMounts({ containerId: 'c2', binds: ['/h:/evil/x'] }).prepare(svc, { imageRootfs: rootfs })).rejects.toMatchObject({ code: 'ERR_MOUNT_TARGET_ESCAPES' });
    expect(mountPoints().size).toBe(before);
  });

  it('copy-up reads image symlinks inside the image and never writes outside the volume', async () => {
    const image = join(dir, 'image');
    mkdirSync(join(image, 'etc'), { recursive: true });
    writeFileSync(join(image, 'etc/only-in-image'), 'image');
    symlinkSync('/etc', join(image, 'conf')); // VOLUME /conf where /conf -> /etc: the image's /etc
    symlinkSync(join(dir, 'outside'), join(image, 'etc/escape')); // a link inside the content
    mkdirSync(join(dir, 'outside'));
    const plan = planMounts({ containerId: 'c1', imageVolumes: ['/conf'] });
    const prepared = await plan.prepare(svc, { imageRootfs: image });
    const vol = prepared.hostPaths().get('/conf')!;
    expect(readdirSync(vol).sort()).toEqual(['escape', 'only-in-image']);
    expect(lstatSync(join(vol, 'escape')).isSymbolicLink()).toBe(true);
    expect(readdirSync(join(dir, 'outside'))).toEqual([]);
    expect(existsSync(join(vol, 'passwd'))).toBe(false); // the host's /etc was never read
  });

  it('wiping an interrupted copy-up removes symlinks without following them', async () => {
    const { copyUp } = await import('./copyup.js');
    mkdirSync(join(dir, 'victim'));
    writeFileSync(join(dir, 'victim/precious'), 'keep');
    const target = join(dir, 'vol2/_data');
    mkdirSync(target, { recursive: true });
    symlinkSync(join(dir, 'victim'), join(target, 'link'));
    mkdirSync(join(dir, 'markers'));
    writeFileSync(join(dir, 'markers/vol2'), '1'); // a copy that died
    mkdirSync(join(dir, 'img/link'), { recursive: true });
    writeFileSync(join(dir, 'img/link/new'), 'n');
    expect(await copyUp({ source: join(dir, 'img'), target, marker: join(dir, 'markers/vol2'), durable: false })).toBe('copied');
    expect(readdirSync(join(dir, 'victim'))).toEqual(['precious']);
    expect(lstatSync(join(target, 'link')).isDirectory()).toBe(true);
    expect(readdirSync(join(target, 'link'))).toEqual(['new']);
  });

  it('refuses an image VOLUME over an existing file', async () => {
    const image = join(dir, 'image');
    mkdirSync(image);
    writeFileSync(join(image, 'file'), 'x');
    await expect(planMounts({ containerId: 'c1', imageVolumes: ['/file'] }).prepare(svc, { imageRootfs: image })).rejects.toMatchObject({ code: 'ERR_MOUNT_OVER_FILE' });
    expect(svc.local.users((await svc.list()).Volumes[0]!.Name as never)).toEqual([]);
  });
});


function busyboxIn(rootfs: string, oci: ReturnType<Awaited<ReturnType<ReturnType<typeof planMounts>['prepare']>>['toOciMounts']>, argv: string[]): string {
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  execFileSync('cp', ['/usr/bin/busybox', join(rootfs, 'bin/busybox')]);
  const targets = applyOciMounts(rootfs, oci);
  try {
    return execFileSync('chroot', [rootfs, '/bin/busybox', ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    unmountAll(targets);
  }
}

function count(path: string): number {
  return readdirSync(path, { recursive: true }).length;
}

async function waitFor(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Node has no xattr API; python's os.setxattr does it when python is there. */
function setXattr(path: string, name: string, value: string): boolean {
  try {
    execFileSync('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode())', path, name, value], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function getXattr(path: string, name: string): string {
  return execFileSync('python3', ['-c', 'import os,sys; print(os.getxattr(sys.argv[1], sys.argv[2]).decode(), end="")', path, name], { encoding: 'utf8' });
}
