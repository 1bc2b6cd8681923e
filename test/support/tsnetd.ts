/**
 * End-to-end support: a tsnetd in its own fresh network namespace (its "host"), driven by the real
 * docker CLI and by raw HTTP on its unix socket. Each test file shares one daemon.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll } from 'vitest';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackedTestNs, type TestNs } from '@tsnet/testkit';
import { makeBusyboxRootfsTar } from '../../packages/engine/src/rootfs/index.js';

const REPO = new URL('../../', import.meta.url).pathname;
const MAIN = join(REPO, 'packages/engine/src/daemon/main.ts');
export const TSNET = join(REPO, 'packages/engine/bin/tsnet.js');

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = any>(): T;
}

export interface Tsnetd {
  ns: TestNs;
  dir: string;
  dataRoot: string;
  sock: string;
  configPath: string;
  /** The docker CLI against this daemon; never throws. */
  docker(args: string[], options?: { input?: string; timeoutMs?: number }): Run;
  /** Same, throws on a non-zero exit; returns trimmed stdout. */
  dockerOk(args: string[], options?: { input?: string; timeoutMs?: number }): string;
  http(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpReply>;
  /** Runs a shell command in the container with `docker exec`, returns the result. */
  exec(container: string, command: string): Run;
  /** Stops the daemon: SIGKILL (crash) or SIGTERM (graceful). */
  stop(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  start(): Promise<void>;
  log(): string;
  /** Removes every container, network and volume, stops the daemon, deletes the namespace and data. */
  destroy(): Promise<void>;
}

let busyboxTar: Promise<string> | undefined;
let busyboxTarDir: string | undefined;

// vitest fork workers don't reliably run process 'exit' handlers; each test file evaluates this
// module afresh (isolate), so a top-level afterAll removes that file's tar dir when the file ends.
afterAll(() => {
  if (busyboxTarDir) rmSync(busyboxTarDir, { recursive: true, force: true });
  busyboxTarDir = undefined;
  busyboxTar = undefined;
});

/** One busybox rootfs tar per test process (the rootfs helper builds it from busybox-static). */
export function busyboxImageTar(): Promise<string> {
  busyboxTar ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsnet-e2e-img-'));
    busyboxTarDir = dir;
    const tar = join(dir, 'busybox.tar');
    await makeBusyboxRootfsTar(tar);
    return tar;
  })();
  return busyboxTar;
}

/** `launcher: 'tsnet'` starts it as `tsnet daemon ...` (the CLI's entry) instead of daemon/main.ts. */
export async function startTsnetd(options: { config?: Record<string, unknown>; image?: boolean; args?: string[]; launcher?: 'main' | 'tsnet' } = {}): Promise<Tsnetd> {
  const ns = trackedTestNs('tsnet-e2e');
  const dir = mkdtempSync(join(tmpdir(), 'tsnet-e2e-'));
  const dataRoot = join(dir, 'root');
  const sock = join(dir, 'run', 'tsnet.sock');
  const configPath = join(dir, 'daemon.json');
  // The daemon's upstream DNS: a resolv.conf of its own would need a mount; the host's is used.
  writeFileSync(configPath, JSON.stringify(options.config ?? {}));
  let child: ChildProcess | undefined;
  let logText = '';
  const env = { ...process.env };
  delete env.DOCKER_HOST;
  const docker = (args: string[], o: { input?: string; timeoutMs?: number } = {}): Run => {
    const r = spawnSync('docker', ['-H', `unix://${sock}`, ...args], { encoding: 'utf8', input: o.input ?? '', timeout: o.timeoutMs ?? 60_000, env });
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const d: Tsnetd = {
    ns,
    dir,
    dataRoot,
    sock,
    configPath,
    docker,
    dockerOk(args, o) {
      const r = docker(args, o);
      if (r.status !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
      return r.stdout.trim();
    },
    exec(container, command) {
      return docker(['exec', container, 'sh', '-c', command]);
    },
    http: (method, path, body, headers) => httpRequest(sock, method, path, body, headers),
    log: () => logText,
    async start() {
      const entry = options.launcher === 'tsnet' ? [TSNET, 'daemon'] : ['--conditions=source', '--import', 'tsx', MAIN];
      child = ns.spawn(['node', ...entry, '--data-root', dataRoot, '--host', `unix://${sock}`, '--config', configPath, ...(options.args ?? [])], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (b: Buffer) => (logText += b.toString()));
      child.stderr!.on('data', (b: Buffer) => (logText += b.toString()));
      const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const ok = await httpRequest(sock, 'GET', '/_ping').then((r) => r.status === 200, () => false);
        if (ok) return;
        const gone = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 100))]);
        if (gone) throw new Error(`tsnetd exited at start:\n${logText}`);
      }
      throw new Error(`tsnetd did not answer in time:\n${logText}`);
    },
    async stop(signal = 'SIGTERM') {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      // nsenter execs node, so the child pid is the daemon itself.
      c.kill(signal);
      await exited;
    },
    async destroy() {
      try {
        if (child) {
          const ids = docker(['ps', '-aq']).stdout.split('\n').filter(Boolean);
          if (ids.length) docker(['rm', '-f', '-v', ...ids]);
          docker(['network', 'prune', '-f']);
          docker(['volume', 'prune', '-af']);
        }
        await d.stop('SIGTERM');
      } finally {
        killLeftovers(dataRoot);
        ns.destroy();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  mkdirSync(join(dir, 'run'), { recursive: true });
  await d.start();
  if (options.image !== false) d.dockerOk(['import', await busyboxImageTar(), 'busybox']);
  return d;
}

/** Last resort after a failed test: containers of this data root and their sandbox namespaces. */
function killLeftovers(dataRoot: string): void {
  const runcRoot = join(dataRoot, 'runc');
  if (existsSync(runcRoot)) {
    for (const id of readdirSync(runcRoot)) {
      spawnSync('runc', ['--root', runcRoot, 'kill', id, 'KILL'], { stdio: 'ignore' });
      spawnSync('runc', ['--root', runcRoot, 'delete', '-f', id], { stdio: 'ignore' });
    }
  }
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(dataRoot)).reverse();
  for (const m of mounts) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
  const sandboxes = join(dataRoot, 'network', 'sandboxes');
  if (existsSync(sandboxes)) {
    for (const id of readdirSync(sandboxes)) spawnSync('ip', ['netns', 'delete', `tsnet-${id.slice(0, 12)}`], { stdio: 'ignore' });
  }
}

export function httpRequest(socketPath: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const req = request({ socketPath, method, path, headers: { ...(payload !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.end(payload);
  });
}

/** Polls until fn() is truthy (or throws after timeoutMs). */
export async function until<T>(fn: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
