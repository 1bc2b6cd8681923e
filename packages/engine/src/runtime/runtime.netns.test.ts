import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it, onTestFinished } from 'vitest';
import { isTsnetError } from '@tsnet/errors';
import { createParentLink, describeNetns, trackedTestNs, type TestNs } from '@tsnet/testkit';
import { ImageStore } from '../images/index.js';
import { makeBusyboxRootfsTar } from '../rootfs/index.js';
import { Runtime, type ContainerSpec } from './index.js';

let dataRoot: string;
let rootfs: string;
let runtime: Runtime;
const namespaces: TestNs[] = [];

function ns(): TestNs {
  const n = trackedTestNs();
  namespaces.push(n);
  return n;
}

function spec(args: string[], extra: Partial<ContainerSpec> = {}): ContainerSpec {
  return { rootfs, process: { args, env: ['PATH=/bin', 'HOME=/root'], cwd: '/' }, network: { path: ns().path }, ...extra };
}

function mountinfo(): string {
  return readFileSync('/proc/self/mountinfo', 'utf8');
}

function cgroupExists(id: string): boolean {
  return existsSync(`/sys/fs/cgroup/memory/tsnet/${id}`) || existsSync(`/sys/fs/cgroup/unified/tsnet/${id}`) || existsSync(`/sys/fs/cgroup/tsnet/${id}`);
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describeNetns('runtime: containers on runc', () => {
  beforeAll(async () => {
    dataRoot = mkdtempSync(join(tmpdir(), 'tsnet-rt-'));
    await makeBusyboxRootfsTar(join(dataRoot, 'busybox.tar'));
    const images = await ImageStore.open({ dataRoot });
    rootfs = (await images.importRootfs(createReadStream(join(dataRoot, 'busybox.tar')), { repo: 'busybox' })).rootfsPath;
    runtime = await Runtime.open({ dataRoot });
  });

  afterEach(async () => {
    for (const c of runtime.list()) await runtime.delete(c.id, { force: true });
    for (const n of namespaces.splice(0)) n.destroy();
  });

  afterAll(() => {
    runtime?.close();
    if (dataRoot) rmSync(dataRoot, { recursive: true, force: true });
  });

  it('runs in the given network namespace with hostname, env, binds and a sized /dev/shm', async () => {
    const host = ns();
    createParentLink(host, 'tsv0');
    host.sh('ip addr add 10.99.0.1/24 dev tsv0');
    const shared = mkdtempSync(join(tmpdir(), 'tsnet-bind-'));
    onTestFinished(() => rmSync(shared, { recursive: true, force: true }));
    writeFileSync(join(shared, 'from-host'), 'hello from host\n');
    const c = await runtime.create({
      ...spec(['sleep', '1000']),
      network: { path: host.path },
      hostname: 'web1',
      process: { args: ['sleep', '1000'], env: ['PATH=/bin', 'GREETING=hi there'], cwd: '/tmp' },
      mounts: [{ destination: '/data', type: 'bind', source: shared, options: ['rbind', 'rw'] }],
      shmSize: 16 * 1024 * 1024,
    });
    const started = await runtime.start(c.id);
    expect(started.status).toBe('running');
    expect(readFileSync(`/proc/${started.pid}/cmdline`, 'utf8')).toBe('sleep\u00001000\u0000');
    // The container's network namespace is the test's: same inode, and it sees tsv0's address.
    expect(spawnSync('readlink', [`/proc/${started.pid}/ns/net`]).stdout.toString()).toBe(
      spawnSync('nsenter', [`--net=${host.path}`, 'readlink', '/proc/self/ns/net']).stdout.toString(),
    );
    const ip = await runtime.execCollect(c.id, { args: ['ip', '-o', 'addr', 'show', 'tsv0'] });
    expect(ip.stdout).toContain('10.99.0.1/24');
    const inside = await runtime.execCollect(c.id, { args: ['sh', '-c', 'hostname; echo "$GREETING"; pwd; cat /data/from-host; echo back > /data/from-container'] });
    expect(inside).toEqual({ exitCode: 0, stdout: 'web1\nhi there\n/tmp\nhello from host\n', stderr: '' });
    expect(readFileSync(join(shared, 'from-container'), 'utf8')).toBe('back\n');
    const df = await runtime.execCollect(c.id, { args: ['df', '-k', '/dev/shm'] });
    expect(df.stdout).toMatch(/shm\s+16384\s/);
    // exec gets its own env, cwd and user, and reports its exit code.
    const ex = await runtime.execCollect(c.id, { args: ['sh', '-c', 'echo $X; pwd; id -u; echo err >&2; exit 7'], env: ['X=1'], cwd: '/etc', user: { uid: 65534, gid: 65534 } });
    expect(ex).toEqual({ exitCode: 7, stdout: '1\n/etc\n65534\n', stderr: 'err\n' });
    expect((await runtime.execCollect(c.id, { args: ['no-such-binary'] })).exitCode).toBe(127);
  });

  it('host mode shares the daemon namespace; read-only rootfs, a non-root user and dropped caps apply', async () => {
    const host = ns();
    createParentLink(host, 'hostv0');
    const script = join(dataRoot, 'host-mode.mts');
    writeFileSync(
      script,
      `import { Runtime } from ${JSON.stringify(join(import.meta.dirname, 'index.ts'))};
const rt = await Runtime.open({ dataRoot: ${JSON.stringify(dataRoot)} });
const c = await rt.create({ ...${JSON.stringify(spec(['sleep', '100']))}, network: 'host', readonlyRootfs: true, capDrop: ['NET_RAW'],
  process: { args: ['sleep', '100'], env: ['PATH=/bin'], cwd: '/', user: { uid: 65534, gid: 65534 } } });
await rt.start(c.id);
const r = await rt.execCollect(c.id, { args: ['sh', '-c', 'ip -o link show hostv0 >/dev/null && echo link; id -u; touch /x 2>/dev/null || echo ro; grep CapBnd /proc/1/status'] });
console.log(JSON.stringify(r));
await rt.delete(c.id, { force: true });
rt.close();
`,
    );
    // The daemon runs inside the test namespace (as tests start tsnetd): "host" is that namespace.
    const child = host.exec([process.execPath, '--conditions=source', '--import', 'tsx', script], { timeoutMs: 60_000 });
    expect(child.status, child.stderr).toBe(0);
    const result = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { exitCode: number; stdout: string };
    const [link, uid, ro, capLine] = result.stdout.trim().split('\n');
    expect([link, uid, ro]).toEqual(['link', '65534', 'ro']);
    const bounding = BigInt(`0x${capLine!.split(/\s+/)[1]}`);
    expect(bounding & (1n << 13n)).toBe(0n); // CAP_NET_RAW dropped
    expect(bounding & (1n << 10n)).toBe(1n << 10n); // CAP_NET_BIND_SERVICE kept
  });

  it('keeps exit codes and captures stdout and stderr apart in the json-file log', async () => {
    const c = await runtime.create(spec(['sh', '-c', 'echo to-out; echo to-err >&2; printf partial; exit 3']));
    await runtime.start(c.id);
    expect(await runtime.wait(c.id)).toEqual({ exitCode: 3, error: '' });
    const state = runtime.state(c.id);
    expect(state.status).toBe('exited');
    expect(Date.parse(state.finishedAt)).toBeGreaterThanOrEqual(Date.parse(state.startedAt));
    const lines = readFileSync(state.logPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    // Two pipes: order across streams is not defined, order within one stream is.
    const pairs = lines.map(({ log, stream }) => ({ log, stream }));
    expect(pairs).toHaveLength(3);
    expect(pairs).toEqual(expect.arrayContaining([{ log: 'to-err\n', stream: 'stderr' }]));
    expect(pairs.filter((p) => p.stream === 'stdout')).toEqual([
      { log: 'to-out\n', stream: 'stdout' },
      { log: 'partial', stream: 'stdout' },
    ]);
    for (const l of lines) expect(l['time']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    const errOnly = [];
    for await (const e of runtime.logs(c.id, { stdout: false })) errOnly.push(e.log);
    expect(errOnly).toEqual(['to-err\n']);
    const tail = [];
    for await (const e of runtime.logs(c.id, { tail: 1 })) tail.push(e.log);
    expect(tail).toHaveLength(1);
    // Runs again after exiting (docker start on a stopped container); the log is appended to.
    await runtime.start(c.id);
    expect((await runtime.wait(c.id)).exitCode).toBe(3);
    expect(readFileSync(state.logPath, 'utf8').trim().split('\n')).toHaveLength(6);
  });

  it('splits lines over 16 KiB into partial entries and keeps every line of a burst', async () => {
    const c = await runtime.create(spec(['sh', '-c', 'seq 1 20000; head -c 40000 /dev/zero | tr "\\0" x; echo']));
    await runtime.start(c.id);
    expect((await runtime.wait(c.id)).exitCode).toBe(0);
    const entries = readFileSync(c.logPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { log: string });
    expect(entries.slice(0, 20000).map((e) => e.log)).toEqual(Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`));
    expect(entries.slice(20000).map((e) => e.log.length)).toEqual([16384, 16384, 40001 - 2 * 16384]);
  });

  it('follows logs while the container runs', async () => {
    const c = await runtime.create(spec(['sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.2; done']));
    await runtime.start(c.id);
    const seen: string[] = [];
    for await (const e of runtime.logs(c.id, { follow: true })) seen.push(e.log);
    expect(seen).toEqual(['line1\n', 'line2\n', 'line3\n']);
    expect(runtime.state(c.id).status).toBe('exited');
  });

  it('attach before start: a follower opened on a created container gets everything, then the exit code', async () => {
    const c = await runtime.create(spec(['sh', '-c', 'echo one; echo two >&2; exit 4']));
    const seen: string[] = [];
    const follower = (async () => {
      for await (const e of runtime.logs(c.id, { follow: true, tail: 0 })) seen.push(`${e.stream}:${e.log}`);
    })();
    const exit = runtime.wait(c.id, { condition: 'next-exit' });
    await new Promise((r) => setTimeout(r, 300)); // the follower is waiting, nothing has run yet
    expect(seen).toEqual([]);
    await runtime.start(c.id);
    expect(await exit).toEqual({ exitCode: 4, error: '' });
    await follower;
    expect(seen.sort()).toEqual(['stderr:two\n', 'stdout:one\n']);
  });

  it('stop sends SIGTERM, then SIGKILL to a process that ignores it', async () => {
    const polite = await runtime.create(spec(['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.1; done']));
    await runtime.start(polite.id);
    await new Promise((r) => setTimeout(r, 200)); // let sh install its trap
    const t0 = Date.now();
    expect((await runtime.stop(polite.id, { timeoutSeconds: 10 })).exitCode).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);

    const stubborn = await runtime.create(spec(['sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done']));
    const { pid } = await runtime.start(stubborn.id);
    const t1 = Date.now();
    const stopped = await runtime.stop(stubborn.id, { timeoutSeconds: 1 });
    expect(Date.now() - t1).toBeGreaterThanOrEqual(1000);
    expect(stopped).toMatchObject({ status: 'exited', exitCode: 137, pid: 0 });
    expect(existsSync(`/proc/${pid}`)).toBe(false);
  });

  it('fails start with Docker exit code 127 when the command does not exist', async () => {
    const c = await runtime.create(spec(['/no/such/command']));
    const error = await runtime.start(c.id).catch((e: unknown) => e);
    expect(isTsnetError(error, 'ERR_CONTAINER_START_FAILED')).toBe(true);
    expect(String((error as Error).message)).toContain('/no/such/command');
    expect(runtime.state(c.id)).toMatchObject({ status: 'exited', exitCode: 127 });
  });

  it('rejects bad input with stable codes and leaves nothing behind', async () => {
    const before = readdirSync(join(dataRoot, 'containers')).sort();
    const bad = (await runtime.create({ ...spec(['true']), id: '../../etc' }).catch((e: unknown) => e)) as Error;
    expect(isTsnetError(bad, 'ERR_CONTAINER_ID_INVALID')).toBe(true);
    const noRootfs = await runtime.create({ ...spec(['true']), rootfs: join(dataRoot, 'missing') }).catch((e: unknown) => e);
    expect(isTsnetError(noRootfs, 'ERR_ROOTFS_MISSING')).toBe(true);
    const badMount = await runtime.create({ ...spec(['true']), mounts: [{ destination: 'rel', type: 'bind', source: '/tmp' }] }).catch((e: unknown) => e);
    expect(isTsnetError(badMount, 'ERR_MOUNT_INVALID')).toBe(true);
    expect(readdirSync(join(dataRoot, 'containers')).sort()).toEqual(before);
    const c = await runtime.create(spec(['sleep', '100']));
    await runtime.start(c.id);
    expect(isTsnetError(await runtime.kill(c.id, '--all').catch((e: unknown) => e), 'ERR_SIGNAL_INVALID')).toBe(true);
    expect(isTsnetError(await runtime.delete(c.id).catch((e: unknown) => e), 'ERR_CONTAINER_RUNNING')).toBe(true);
    expect(runtime.state(c.id).status).toBe('running');
  });

  it('a new runtime over the same data root adopts running and exited containers', async () => {
    const running = await runtime.create(spec(['sleep', '1000']));
    const { pid } = await runtime.start(running.id);
    const exited = await runtime.create(spec(['sh', '-c', 'exit 42']));
    await runtime.start(exited.id);
    await runtime.wait(exited.id);

    const second = await Runtime.open({ dataRoot });
    try {
      expect(second.state(running.id)).toMatchObject({ status: 'running', pid });
      expect(second.state(exited.id)).toMatchObject({ status: 'exited', exitCode: 42 });
      const stopped = await second.stop(running.id, { timeoutSeconds: 1 });
      expect(stopped).toMatchObject({ status: 'exited', exitCode: 137 });
      // The first instance learns of the exit too (same files), as a restarted daemon would.
      await until(() => runtime.state(running.id).status === 'exited');
      await second.delete(running.id);
      await second.delete(exited.id);
    } finally {
      second.close();
    }
    expect(existsSync(join(dataRoot, 'containers', running.id))).toBe(false);
  });

  it('live-restore: a container started by a daemon process that died keeps running, logging, and its exit code', async () => {
    const script = join(dataRoot, 'start-one.mts');
    writeFileSync(
      script,
      `import { Runtime } from ${JSON.stringify(join(import.meta.dirname, 'index.ts'))};
const rt = await Runtime.open({ dataRoot: ${JSON.stringify(dataRoot)} });
const c = await rt.create(${JSON.stringify(spec(['sh', '-c', 'echo before; sleep 1.5; echo after >&2; exit 7']))});
await rt.start(c.id);
console.log(c.id);
process.exit(0);
`,
    );
    const child = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', script], { encoding: 'utf8', cwd: join(import.meta.dirname, '../../../..') });
    expect(child.status, child.stderr).toBe(0);
    const id = child.stdout.trim().split('\n').at(-1)!;
    const adopted = await Runtime.open({ dataRoot });
    try {
      expect(adopted.state(id).status).toBe('running');
      expect(await adopted.wait(id)).toEqual({ exitCode: 7, error: '' });
      const logs: string[] = [];
      for await (const e of adopted.logs(id)) logs.push(`${e.stream}:${e.log}`);
      expect(logs).toEqual(['stdout:before\n', 'stderr:after\n']);
      await adopted.delete(id);
    } finally {
      adopted.close();
    }
  });

  it('a shim killed with SIGKILL is noticed: container killed, exit code 255, nothing left running', async () => {
    const c = await runtime.create(spec(['sleep', '1000']));
    const { pid } = await runtime.start(c.id);
    const run = JSON.parse(readFileSync(join(c.bundle, 'run.json'), 'utf8')) as { shimPid: number };
    process.kill(run.shimPid, 'SIGKILL');
    expect(await runtime.wait(c.id)).toEqual({ exitCode: 255, error: '' });
    await until(() => !existsSync(`/proc/${pid}`));
    expect(existsSync(join(dataRoot, 'runc', c.id))).toBe(false);
  });

  it('adoption removes a bundle whose create() died half-way, mount included', async () => {
    const c = await runtime.create(spec(['true']));
    rmSync(join(c.bundle, 'spec.json')); // as if the daemon died before writing it
    expect(mountinfo()).toContain(c.rootfsPath);
    const second = await Runtime.open({ dataRoot });
    second.close();
    expect(second.has(c.id)).toBe(false);
    expect(existsSync(c.bundle)).toBe(false);
    expect(mountinfo()).not.toContain(c.rootfsPath);
    await runtime.delete(c.id); // the first instance's view; the bundle is already gone
  });

  it('delete removes the mount, the bundle, runc state and the cgroup', async () => {
    const c = await runtime.create(spec(['sleep', '1000']));
    expect(mountinfo()).toContain(c.rootfsPath);
    await runtime.start(c.id);
    expect(cgroupExists(c.id)).toBe(true);
    await runtime.delete(c.id, { force: true });
    expect(mountinfo()).not.toContain(c.id);
    expect(existsSync(c.bundle)).toBe(false);
    expect(existsSync(join(dataRoot, 'runc', c.id))).toBe(false);
    expect(cgroupExists(c.id)).toBe(false);
    expect(runtime.has(c.id)).toBe(false);
  });
});
