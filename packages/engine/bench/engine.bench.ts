/**
 * Engine benchmarks (`npm run bench -- engine`): the same Engine API calls against tsnetd and, when
 * dockerd is installed, against a real Docker daemon started in its own namespace in the same run.
 *   engine.run_ms            POST /containers/create + /start on a user-defined network, to running
 *   engine.connect_ms        POST /networks/{id}/connect of a running container
 *   engine.disconnect_ms     POST /networks/{id}/disconnect
 *   engine.network_create_ms POST /networks/create (bridge, default pools)
 * Each figure is the median of N single operations (TSNET_BENCH_N, default 15).
 * Targets (issue 6): run ≤ 0.5x Docker's, connect and disconnect ≤ 0.1x.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxRootfsTar, createTestNs, dockerAvailable, engineApiCall as httpCall, median, reportBench, startDockerInNs, type TestNs } from '@tsnet/testkit';

const N = Number(process.env.TSNET_BENCH_N ?? 15);
const REPO = new URL('../../../', import.meta.url).pathname;

interface Api {
  call<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  importImage(tar: Buffer): Promise<void>;
  stop(): Promise<void>;
}

/** tsnetd in the namespace, in a private mount namespace so its overlay mounts die with it. */
async function startTsnetd(ns: TestNs): Promise<Api> {
  const dir = mkdtempSync(join(tmpdir(), 'tsnet-engine-bench-'));
  const socket = join(dir, 'tsnet.sock');
  writeFileSync(join(dir, 'daemon.json'), '{}');
  const child: ChildProcess = spawn('nsenter', [`--net=${ns.path}`, '--', 'unshare', '--mount', '--propagation', 'private', '--',
    process.execPath, '--conditions=source', '--import', 'tsx', join(REPO, 'packages/engine/src/daemon/main.ts'),
    '--data-root', join(dir, 'root'), '--host', `unix://${socket}`, '--config', join(dir, 'daemon.json')], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if ((await httpCall(socket, 'GET', '/_ping').catch(() => undefined))?.status === 200) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`tsnetd did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    call: (method, path, body) => httpCall(socket, method, `/v1.41${path}`, body === undefined ? undefined : JSON.stringify(body)),
    async importImage(tar) {
      const r = await httpCall(socket, 'POST', '/v1.41/images/create?fromSrc=-&repo=busybox&tag=latest', tar, 'application/x-tar');
      if (r.status !== 200) throw new Error(`import: ${JSON.stringify(r.body)}`);
    },
    async stop() {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startDocker(ns: TestNs): Promise<Api> {
  const docker = await startDockerInNs(ns);
  return {
    call: (method, path, body) => docker.api(method, path, body) as Promise<{ status: number; body: any }>,
    importImage: (tar) => docker.importImage('busybox', tar),
    stop: () => docker.stop(),
  };
}

const ms = async (fn: () => Promise<{ status: number; body: unknown }>, ok: number[]): Promise<number> => {
  const t0 = performance.now();
  const r = await fn();
  const elapsed = performance.now() - t0;
  if (!ok.includes(r.status)) throw new Error(`unexpected ${r.status}: ${JSON.stringify(r.body)}`);
  return elapsed;
};

/** The four figures for one daemon. */
async function measure(api: Api): Promise<Record<'run' | 'connect' | 'disconnect' | 'networkCreate', number>> {
  const samples = { run: [] as number[], connect: [] as number[], disconnect: [] as number[], networkCreate: [] as number[] };
  for (let i = 0; i < N; i++) {
    samples.networkCreate.push(await ms(() => api.call('POST', '/networks/create', { Name: `bn${i}` }), [201]));
  }
  for (let i = 0; i < N; i++) await api.call('DELETE', `/networks/bn${i}`);
  await api.call('POST', '/networks/create', { Name: 'benchnet', IPAM: { Config: [{ Subnet: '10.123.0.0/16' }] } });
  await api.call('POST', '/networks/create', { Name: 'extra', IPAM: { Config: [{ Subnet: '10.124.0.0/16' }] } });
  const ids: string[] = [];
  for (let i = 0; i < N; i++) {
    let id = '';
    samples.run.push(await ms(async () => {
      const created = await api.call<{ Id: string }>('POST', `/containers/create?name=bench${i}`, { Image: 'busybox', Cmd: ['sleep', '600'], HostConfig: { NetworkMode: 'benchnet' } });
      if (created.status !== 201) return created;
      id = created.body.Id;
      return api.call('POST', `/containers/${id}/start`);
    }, [204]));
    ids.push(id);
  }
  for (const id of ids) {
    samples.connect.push(await ms(() => api.call('POST', '/networks/extra/connect', { Container: id }), [200]));
    samples.disconnect.push(await ms(() => api.call('POST', '/networks/extra/disconnect', { Container: id }), [200]));
  }
  for (const id of ids) await api.call('DELETE', `/containers/${id}?force=1`);
  await api.call('DELETE', '/networks/benchnet');
  await api.call('DELETE', '/networks/extra');
  return { run: median(samples.run), connect: median(samples.connect), disconnect: median(samples.disconnect), networkCreate: median(samples.networkCreate) };
}

async function side(start: (ns: TestNs) => Promise<Api>, tar: Buffer): Promise<Awaited<ReturnType<typeof measure>>> {
  const ns = createTestNs('tsnet-bench-eng');
  let api: Api | undefined;
  try {
    api = await start(ns);
    await api.importImage(tar);
    return await measure(api);
  } finally {
    await api?.stop().catch((e: unknown) => console.error(String(e)));
    ns.destroy();
  }
}

const tar = busyboxRootfsTar();
const ours = await side(startTsnetd, tar);
let docker: Awaited<ReturnType<typeof measure>> | undefined;
if (dockerAvailable()) {
  try {
    docker = await side(startDocker, tar);
  } catch (error) {
    console.error(`dockerd comparison skipped: ${(error as Error).message}`);
  }
}
reportBench('engine', [
  { name: 'engine.run_ms', value: ours.run, unit: 'ms', target: '≤ 0.5x docker', ...(docker ? { docker: docker.run } : {}) },
  { name: 'engine.connect_ms', value: ours.connect, unit: 'ms', target: '≤ 0.1x docker', ...(docker ? { docker: docker.connect } : {}) },
  { name: 'engine.disconnect_ms', value: ours.disconnect, unit: 'ms', target: '≤ 0.1x docker', ...(docker ? { docker: docker.disconnect } : {}) },
  { name: 'engine.network_create_ms', value: ours.networkCreate, unit: 'ms', ...(docker ? { docker: docker.networkCreate } : {}) },
]);
if (docker) console.log(`docker: ${JSON.stringify(docker)}`);
