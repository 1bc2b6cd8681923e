/**
 * SCENARIOS.md "Volumes" through the docker CLI against tsnetd; checked on the files under the
 * data root, the mount table of the container and the volume store's answers.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNetns } from '@tsnet/testkit';
import { startTsnetd, type Tsnetd } from './support/tsnetd.js';

describeNetns('tsnetd volumes (docker CLI)', () => {
  let d: Tsnetd;
  beforeAll(async () => {
    d = await startTsnetd();
  });
  afterAll(async () => {
    await d?.destroy();
  });

  const run = (...args: string[]): string => d.dockerOk(['run', '--rm', ...args]);
  const volumes = (): string[] => d.dockerOk(['volume', 'ls', '-q']).split('\n').filter(Boolean);

  it('-v /path makes an anonymous volume under <data-root>/volumes/<name>/_data; rm -v removes it', () => {
    d.dockerOk(['run', '--name', 'anon', '-v', '/data', 'busybox', 'sh', '-c', 'echo kept > /data/f']);
    const [m] = JSON.parse(d.dockerOk(['inspect', '-f', '{{json .Mounts}}', 'anon']));
    expect(m).toMatchObject({ Type: 'volume', Destination: '/data', Driver: 'local', RW: true });
    expect(m.Name).toMatch(/^[0-9a-f]{64}$/);
    expect(m.Source).toBe(join(d.dataRoot, 'volumes', m.Name, '_data'));
    expect(readFileSync(join(m.Source, 'f'), 'utf8')).toBe('kept\n');
    const inUse = d.docker(['volume', 'rm', m.Name]);
    expect(inUse.status).not.toBe(0);
    expect(inUse.stderr).toMatch(/in use/);
    d.dockerOk(['rm', '-v', 'anon']);
    expect(volumes()).not.toContain(m.Name);
    expect(existsSync(join(d.dataRoot, 'volumes', m.Name))).toBe(false);
  });

  it('-v name:/path creates the named volume on first use and keeps it; the docker JSON shape', () => {
    run('-v', 'named1:/data', 'busybox', 'sh', '-c', 'echo one > /data/f');
    expect(run('-v', 'named1:/d2', 'busybox', 'cat', '/d2/f')).toBe('one');
    const [v] = JSON.parse(d.dockerOk(['volume', 'inspect', 'named1']));
    expect(v).toEqual({
      Name: 'named1',
      Driver: 'local',
      Mountpoint: join(d.dataRoot, 'volumes', 'named1', '_data'),
      CreatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      Labels: expect.any(Object),
      Scope: 'local',
      Options: expect.anything(),
    });
    d.dockerOk(['volume', 'create', '--label', 'env=test', 'labelled']);
    expect(d.dockerOk(['volume', 'ls', '-q', '--filter', 'label=env=test'])).toBe('labelled');
    expect(d.dockerOk(['volume', 'ls', '--format', '{{.Driver}} {{.Name}}']).split('\n')).toContain('local named1');
  });

  it('-v /host:/path binds (a missing host directory is created); :ro makes it read-only', () => {
    const src = join(d.dir, 'bind-src');
    expect(existsSync(src)).toBe(false);
    run('-v', `${src}:/b`, 'busybox', 'sh', '-c', 'echo via-bind > /b/x');
    expect(statSync(src).isDirectory()).toBe(true);
    expect(readFileSync(join(src, 'x'), 'utf8')).toBe('via-bind\n');
    const ro = d.docker(['run', '--rm', '-v', `${src}:/b:ro`, 'busybox', 'sh', '-c', 'cat /b/x; touch /b/y']);
    expect(ro.stdout).toBe('via-bind\n');
    expect(ro.stderr).toMatch(/Read-only file system/);
    expect(existsSync(join(src, 'y'))).toBe(false);
  });

  it('--mount: a missing bind source is an error; readonly; tmpfs-size and tmpfs-mode', () => {
    const missing = d.docker(['run', '--rm', '--mount', `type=bind,src=${join(d.dir, 'nope')},dst=/x`, 'busybox', 'true']);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/bind source path does not exist/);
    expect(existsSync(join(d.dir, 'nope'))).toBe(false);
    const src = join(d.dir, 'mnt-src');
    mkdirSync(src);
    writeFileSync(join(src, 'hello'), 'hi\n');
    const ro = d.docker(['run', '--rm', '--mount', `type=bind,src=${src},dst=/m,readonly`, 'busybox', 'sh', '-c', 'cat /m/hello; grep " /m " /proc/mounts; touch /m/z']);
    expect(ro.stdout).toMatch(/^hi$/m);
    expect(ro.stdout).toMatch(/ \/m \S+ ro[, ]/);
    expect(ro.stderr).toMatch(/Read-only/);
    const tmp = run('--mount', 'type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770', 'busybox', 'sh', '-c', 'grep " /t " /proc/mounts; stat -c %a /t');
    expect(tmp).toMatch(/ \/t tmpfs [^\n]*size=1024k/);
    expect(tmp.split('\n').pop()).toBe('1770');
    const vol = run('--mount', 'type=volume,src=mvol,dst=/v', 'busybox', 'sh', '-c', 'grep " /v " /proc/mounts | wc -l');
    expect(vol).toBe('1');
    expect(volumes()).toContain('mvol');
    const optvol = run('--mount', 'type=volume,src=optvol,dst=/o,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=3m', 'busybox', 'grep', ' /o ', '/proc/mounts');
    expect(optvol).toMatch(/ \/o tmpfs [^\n]*size=3072k/);
    const id = d.dockerOk(['create', '--mount', `type=bind,src=${src},dst=/p,bind-propagation=rslave`, 'busybox', 'true']);
    expect(JSON.parse(d.dockerOk(['inspect', '-f', '{{json .Mounts}}', id]))).toEqual([{ Type: 'bind', Source: src, Destination: '/p', Mode: '', RW: true, Propagation: 'rslave' }]);
    expect(JSON.parse(d.dockerOk(['inspect', '-f', '{{json .HostConfig.Mounts}}', id]))[0]).toMatchObject({ Type: 'bind', BindOptions: { Propagation: 'rslave' } });
    d.dockerOk(['rm', id]);
  });

  it('copy-up: an empty volume over image content is filled first, never over data, not with nocopy', () => {
    expect(run('-v', 'etcvol:/etc', 'busybox', 'cat', '/etc/passwd')).toMatch(/^root:x:0:0/);
    const mp = join(d.dataRoot, 'volumes', 'etcvol', '_data');
    expect(readFileSync(join(mp, 'passwd'), 'utf8')).toMatch(/^root:/);
    writeFileSync(join(mp, 'passwd'), 'mine\n');
    expect(run('-v', 'etcvol:/etc', 'busybox', 'cat', '/etc/passwd')).toBe('mine');
    expect(run('-v', 'fresh:/etc:nocopy', 'busybox', 'ls', '-A', '/etc').split('\n').filter((l) => !['hostname', 'hosts', 'resolv.conf'].includes(l) && l)).toEqual([]);
    expect(run('--mount', 'type=volume,src=fresh2,dst=/etc,volume-nocopy', 'busybox', 'sh', '-c', 'ls /etc | grep -c passwd || true')).toBe('0');
  });

  it('--volumes-from mounts all volumes and binds at the same paths (ro/rw, stopped source, several combine)', () => {
    const bindSrc = join(d.dir, 'vf-bind');
    d.dockerOk(['create', '--name', 'src1', '-v', '/vol1', '-v', `${bindSrc}:/bind1`, 'busybox', 'true']);
    d.dockerOk(['create', '--name', 'src2', '-v', 'shared2:/vol2', 'busybox', 'true']);
    const out = run('--volumes-from', 'src1', '--volumes-from', 'src2:ro', 'busybox', 'sh', '-c', 'echo w > /vol1/a && echo w > /bind1/b && echo ok; touch /vol2/c 2>&1 || true');
    expect(out).toMatch(/^ok$/m);
    expect(out).toMatch(/Read-only/);
    expect(readFileSync(join(bindSrc, 'b'), 'utf8')).toBe('w\n');
    expect(run('--volumes-from', 'src1', 'busybox', 'cat', '/vol1/a')).toBe('w');
  });

  it('the backup recipe: tar a data container through --volumes-from, restore into a second one', () => {
    const here = join(d.dir, 'backup');
    mkdirSync(here);
    d.dockerOk(['run', '--name', 'dbdata', '-v', '/dbdata', 'busybox', 'sh', '-c', 'echo precious > /dbdata/file && mkdir /dbdata/sub && echo deep > /dbdata/sub/x']);
    run('--volumes-from', 'dbdata', '-v', `${here}:/backup`, 'busybox', 'tar', 'cvf', '/backup/backup.tar', '/dbdata');
    expect(statSync(join(here, 'backup.tar')).size).toBeGreaterThan(0);
    d.dockerOk(['run', '-v', '/dbdata', '--name', 'dbstore2', 'busybox', 'true']);
    run('--volumes-from', 'dbstore2', '-v', `${here}:/backup`, 'busybox', 'sh', '-c', 'cd /dbdata && tar xvf /backup/backup.tar --strip 1');
    expect(run('--volumes-from', 'dbstore2', 'busybox', 'cat', '/dbdata/file', '/dbdata/sub/x')).toBe('precious\ndeep');
  });

  it('local driver options: a tmpfs volume (type, device, o)', () => {
    d.dockerOk(['volume', 'create', '--driver', 'local', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=size=2m', 'tmpvol']);
    const out = run('-v', 'tmpvol:/tv', 'busybox', 'sh', '-c', 'grep " /tv " /proc/mounts');
    expect(out).toMatch(/ \/tv tmpfs [^\n]*size=2048k/);
    expect(JSON.parse(d.dockerOk(['volume', 'inspect', 'tmpvol']))[0].Options).toEqual({ type: 'tmpfs', device: 'tmpfs', o: 'size=2m' });
  });

  it('--tmpfs with size; /dev/shm is 64 MiB by default and --shm-size changes it', () => {
    expect(run('--tmpfs', '/run:rw,size=1m', 'busybox', 'sh', '-c', 'grep " /run " /proc/mounts')).toMatch(/ \/run tmpfs [^\n]*size=1024k/);
    expect(run('busybox', 'sh', '-c', 'grep " /dev/shm " /proc/mounts')).toMatch(/size=65536k/);
    expect(run('--shm-size', '32m', 'busybox', 'sh', '-c', 'grep " /dev/shm " /proc/mounts')).toMatch(/size=32768k/);
  });

  it('volume prune removes unused anonymous volumes; --all every unused one; used ones stay', () => {
    d.dockerOk(['create', '--name', 'holder', '-v', 'heldvol:/h', '-v', '/anonheld', 'busybox', 'true']);
    d.dockerOk(['run', '--name', 'gone', '-v', '/anonfree', 'busybox', 'true']);
    const anonFree = JSON.parse(d.dockerOk(['inspect', '-f', '{{json .Mounts}}', 'gone']))[0].Name as string;
    d.dockerOk(['rm', 'gone']);
    expect(volumes()).toContain(anonFree);
    const pruned = d.dockerOk(['volume', 'prune', '-f']);
    expect(pruned).toContain(anonFree);
    expect(volumes()).toEqual(expect.arrayContaining(['named1', 'heldvol']));
    d.dockerOk(['volume', 'prune', '-a', '-f']);
    const left = volumes();
    expect(left).toContain('heldvol');
    expect(left).not.toContain('named1');
    const rm = d.docker(['volume', 'rm', 'heldvol']);
    expect(rm.status).not.toBe(0);
    expect(rm.stderr).toMatch(/volume is in use/);
    d.dockerOk(['rm', '-v', 'holder']);
    expect(volumes()).toContain('heldvol');
    d.dockerOk(['volume', 'rm', 'heldvol']);
    expect(volumes()).not.toContain('heldvol');
  });
});
