import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, copyFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestNs } from './netns.js';

/**
 * A real Docker daemon inside a test namespace, for side-by-side measurements. It runs as
 * `nsenter --net=<ns> unshare --mount --propagation private dockerd ...`: its network objects
 * (docker0, veths, iptables rules) live in the test namespace and go with it, and its mounts
 * (overlay, /run bind mounts) live in a private mount namespace that dies with it — so it is
 * safe outside the test runner's own private mount namespace too.
 */
export interface DockerResponse<T = unknown> {
  status: number;
  body: T;
}

export interface DockerDaemon {
  readonly socket: string;
  readonly dataRoot: string;
  /** One Engine API call (v1.41) over the unix socket; JSON in and out. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<DockerResponse<T>>;
  /** `POST /images/create?fromSrc=-` with a rootfs tar; returns when the image exists. */
  importImage(repo: string, tar: Buffer): Promise<void>;
  /** Kills the daemon (and its containerd), removes its directories. Idempotent. */
  stop(): Promise<void>;
}

/** True when dockerd is installed and this process can run it (root). */
export function dockerAvailable(): boolean {
  return process.getuid?.() === 0 && spawnSync('dockerd', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** One Docker Engine API call over a unix socket (tsnetd's or dockerd's); JSON bodies parsed, other text kept. */
export function engineApiCall<T>(socket: string, method: string, path: string, body?: Buffer | string, contentType = 'application/json'): Promise<DockerResponse<T>> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, headers: body === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          // Not JSON (e.g. /_ping's "OK", or a progress stream): keep the text.
        }
        resolve({ status: res.statusCode ?? 0, body: parsed as T });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export async function startDockerInNs(ns: TestNs, options: { timeoutMs?: number; extraArgs?: string[] } = {}): Promise<DockerDaemon> {
  const dataRoot = mkdtempSync(join(tmpdir(), 'tsnet-docker-data-'));
  const execRoot = mkdtempSync(join(tmpdir(), 'tsnet-docker-exec-'));
  const socket = join(dataRoot, 'docker.sock');
  const pidfile = join(dataRoot, 'pid');
  const argv = [
    `--net=/run/netns/${ns.name}`, '--', 'unshare', '--mount', '--propagation', 'private', '--',
    'dockerd', '--data-root', dataRoot, '--exec-root', execRoot, '-H', `unix://${socket}`, '--pidfile', pidfile,
    '--storage-driver', 'overlay2', ...(options.extraArgs ?? []),
  ];
  const proc: ChildProcess = spawn('nsenter', argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-8000)));
  let stopped = false;
  const daemon: DockerDaemon = {
    socket,
    dataRoot,
    api: <T>(method: string, path: string, body?: unknown) =>
      engineApiCall<T>(socket, method, path.startsWith('/v1.') || path === '/_ping' ? path : `/v1.41${path}`, body === undefined ? undefined : JSON.stringify(body)),
    async importImage(repo, tar) {
      const r = await engineApiCall<string>(socket, 'POST', `/v1.41/images/create?fromSrc=-&repo=${encodeURIComponent(repo)}&tag=latest`, tar, 'application/x-tar');
      if (r.status !== 200) throw new Error(`docker image import failed (${r.status}): ${JSON.stringify(r.body)}`);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const pid = existsSync(pidfile) ? Number(readFileSync(pidfile, 'utf8')) : undefined;
      // dockerd stops its containers and its containerd on SIGTERM; SIGKILL after a grace period.
      if (pid) spawnSync('kill', ['-TERM', String(pid)]);
      const exited = new Promise<void>((resolve) => (proc.exitCode !== null ? resolve() : proc.once('exit', () => resolve())));
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      rmSync(dataRoot, { recursive: true, force: true });
      rmSync(execRoot, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (proc.exitCode !== null) {
      await daemon.stop();
      throw new Error(`dockerd exited with ${proc.exitCode}: ${log}`);
    }
    const ping = await engineApiCall<string>(socket, 'GET', '/_ping').catch(() => undefined);
    if (ping?.status === 200) return daemon;
    if (Date.now() > deadline) {
      await daemon.stop();
      throw new Error(`dockerd did not answer /_ping in time: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A minimal image rootfs: static busybox with `sh` and `sleep`, as a tar (for importImage). */
export function busyboxRootfsTar(busybox = '/usr/bin/busybox'): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'tsnet-rootfs-'));
  try {
    mkdirSync(join(dir, 'bin'));
    copyFileSync(busybox, join(dir, 'bin', 'busybox'));
    for (const tool of ['sh', 'sleep', 'ip', 'ping', 'nc', 'cat', 'hostname']) symlinkSync('busybox', join(dir, 'bin', tool));
    const r = spawnSync('tar', ['-C', dir, '-c', '.'], { maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`tar failed: ${r.stderr?.toString()}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
