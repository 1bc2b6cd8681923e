import { randomBytes } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Subject, type Observable } from 'rxjs';
import { conflict, invalid, notFound } from '@tsnet/errors';
import {
  bundlePaths, lastRuncError, readExit, readStatus, startFailureExitCode, toState, writeRun,
  type BundlePaths, type ExitRecord, type RunRecord, type SpecRecord,
} from './bundle.js';
import { collectExec, execInContainer, type ExecHandle } from './exec.js';
import type { ContainerRuntime } from './interface.js';
import { Mutex, readJsonIfExists, writeJsonAtomic } from './files.js';
import { readLogs } from './logs.js';
import { buildOciConfig, ownNofileLimit } from './oci-spec.js';
import { mountOverlay, unmount } from './overlay.js';
import { Runc } from './runc.js';
import { installShim, launchShim } from './shim.js';
import { awaitExec, awaitRunning } from './start.js';
import { normalizeSignal } from './signals.js';
import type { ContainerSpec, ContainerState, ContainerStatus, ExecOptions, LogEntry, LogOptions, RuntimeEvent } from './types.js';

export interface RuntimeOptions {
  /** Bundles in `<dataRoot>/containers`, runc state in `<dataRoot>/runc`, the shim script at the top. */
  dataRoot: string;
  /** runc binary; default `runc` from PATH. */
  runc?: string;
  /** perl binary for the shim; default `perl`. */
  perl?: string;
  /** cgroup parent of every container (`<parent>/<id>`); default `/tsnet`. */
  cgroupParent?: string;
  /** How long start() waits for runc to report the process running; default 30 s. */
  startTimeoutMs?: number;
}

interface Entry {
  record: SpecRecord;
  paths: BundlePaths;
  run: RunRecord | undefined;
  status: ContainerStatus;
  pid: number;
  exit: ExitRecord | undefined;
  lock: Mutex;
  watcher?: FSWatcher;
  timer?: NodeJS.Timeout;
  exited: Set<() => void>;
  checking?: Promise<void>;
  deleting?: boolean;
}

const ID = /^[0-9a-f]{64}$/;

/**
 * Containers on runc: one bundle per container, an overlay rootfs, a detached shim per running
 * container (see README.md). All state lives in files, so `Runtime.open` over an existing data
 * root adopts what a previous daemon left: running containers keep running, exit codes are kept.
 */
export class Runtime implements ContainerRuntime {
  readonly #containersDir: string;
  readonly #runc: Runc;
  readonly #options: RuntimeOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #events = new Subject<RuntimeEvent>();
  #shimPath = '';
  #nofile: number | undefined;

  /** create, start, kill, exit and delete, as they happen (exits of adopted containers too). */
  readonly events: Observable<RuntimeEvent> = this.#events.asObservable();

  private constructor(options: RuntimeOptions) {
    this.#options = options;
    this.#containersDir = join(options.dataRoot, 'containers');
    this.#runc = new Runc(options.runc ?? 'runc', join(options.dataRoot, 'runc'));
  }

  static async open(options: RuntimeOptions): Promise<Runtime> {
    // Mount points in /proc/self/mountinfo are real paths: a symlinked data root would make
    // isMounted() miss our own overlay and stack a second one on it.
    await mkdir(options.dataRoot, { recursive: true, mode: 0o711 });
    const runtime = new Runtime({ ...options, dataRoot: await realpath(options.dataRoot) });
    await runtime.#adopt();
    return runtime;
  }

  async #adopt(): Promise<void> {
    await mkdir(this.#containersDir, { recursive: true, mode: 0o700 });
    await mkdir(this.#runc.root, { recursive: true, mode: 0o700 });
    this.#shimPath = await installShim(this.#options.dataRoot);
    this.#nofile = ownNofileLimit(await readFile('/proc/self/limits', 'utf8'));
    for (const id of await readdir(this.#containersDir)) {
      if (!ID.test(id)) continue;
      const paths = bundlePaths(this.#containersDir, id);
      const record = await readJsonIfExists<SpecRecord>(paths.spec);
      if (!record) {
        // A create() that died half-way; unmount first so rm never walks into the overlay.
        await unmount(paths.rootfs);
        await rm(paths.dir, { recursive: true, force: true });
        continue;
      }
      const entry = this.#newEntry(record, paths, await readJsonIfExists<RunRecord>(paths.run));
      this.#entries.set(id, entry);
      await this.#refresh(entry);
      if (entry.status === 'running') this.#monitor(entry);
    }
  }

  #newEntry(record: SpecRecord, paths: BundlePaths, run: RunRecord | undefined): Entry {
    return { record, paths, run, status: 'created', pid: 0, exit: undefined, lock: new Mutex(), exited: new Set() };
  }

  /** Re-reads the files; a shim that vanished without a status is cleaned up and reported as 255. */
  async #refresh(entry: Entry): Promise<void> {
    const live = await readStatus(entry.paths, entry.run);
    if (live.status === 'lost') {
      const id = entry.record.spec.id;
      await this.#runc.kill(id, 'SIGKILL');
      await this.#runc.delete(id);
      // Another runtime watching the same bundle may have recorded the real exit meanwhile: keep it.
      const exit = (await readExit(entry.paths)) ?? { exitCode: 255, finishedAt: new Date().toISOString() };
      await writeJsonAtomic(entry.paths.exit, exit);
      Object.assign(entry, { status: 'exited', pid: 0, exit });
      return;
    }
    Object.assign(entry, { status: live.status, pid: live.pid, exit: live.exit });
  }

  #get(id: string): Entry {
    const entry = this.#entries.get(id);
    if (!entry) throw notFound('ERR_CONTAINER_NOT_FOUND', `No such container: ${id}`, { details: { id } });
    return entry;
  }

  #state(entry: Entry): ContainerState {
    return toState(entry.paths, entry.record, entry.run, entry);
  }

  state(id: string): ContainerState {
    return this.#state(this.#get(id));
  }

  list(): ContainerState[] {
    return [...this.#entries.values()].map((e) => this.#state(e)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /** Writes the bundle and mounts the rootfs; no process yet (`docker create`). */
  async create(input: ContainerSpec): Promise<ContainerState> {
    const id = input.id ?? randomBytes(32).toString('hex');
    if (!ID.test(id)) throw invalid('ERR_CONTAINER_ID_INVALID', `container id "${id}" must be 64 lowercase hex characters`);
    if (this.#entries.has(id)) throw conflict('ERR_CONTAINER_EXISTS', `container ${id} already exists`);
    const rootfsOk = await stat(input.rootfs).then((s) => s.isDirectory(), () => false);
    if (!rootfsOk) throw invalid('ERR_ROOTFS_MISSING', `image rootfs "${input.rootfs}" is not a directory`);
    const spec = { ...input, id };
    const config = buildOciConfig(spec, {
      id,
      cgroupParent: this.#options.cgroupParent ?? '/tsnet',
      ...(this.#nofile ? { nofile: this.#nofile } : {}),
    });
    const paths = bundlePaths(this.#containersDir, id);
    const record: SpecRecord = { spec, createdAt: new Date().toISOString() };
    try {
      await mkdir(paths.dir, { mode: 0o700 });
      for (const dir of [paths.rootfs, paths.upper, paths.work]) await mkdir(dir, { mode: 0o755 });
      await writeJsonAtomic(paths.config, config);
      await writeFile(paths.log, '', { mode: 0o600 });
      await mountOverlay({ lower: spec.rootfs, upper: paths.upper, work: paths.work, target: paths.rootfs });
      // spec.json last: its presence is what makes a bundle a container for adoption.
      await writeJsonAtomic(paths.spec, record);
    } catch (error) {
      await unmount(paths.rootfs).catch(() => undefined);
      await rm(paths.dir, { recursive: true, force: true });
      throw error;
    }
    const entry = this.#newEntry(record, paths, undefined);
    this.#entries.set(id, entry);
    this.#events.next({ type: 'create', id });
    return this.#state(entry);
  }

  /**
   * Runs the container's process through the shim and resolves once runc reports it running.
   * Starting a running container is a no-op (Docker answers 304); an exited one runs again.
   */
  async start(id: string): Promise<ContainerState> {
    const entry = this.#get(id);
    return entry.lock.run(async () => {
      if (entry.status === 'running') return this.#state(entry);
      const { paths } = entry;
      await mountOverlay({ lower: entry.record.spec.rootfs, upper: paths.upper, work: paths.work, target: paths.rootfs });
      await this.#runc.delete(id); // state left by a runc that was SIGKILLed
      await Promise.all([paths.exit, paths.pid, paths.runcLog].map((p) => rm(p, { force: true })));
      const runcArgv = [...this.#runc.global(paths.runcLog), 'run', '--bundle', paths.dir, '--pid-file', paths.pid, id];
      const shim = await launchShim({
        shimPath: this.#shimPath, id, logPath: paths.log, exitPath: paths.exit, shimLogPath: paths.shimLog, runcArgv,
        ...(this.#options.perl ? { perl: this.#options.perl } : {}),
      });
      entry.run = { startedAt: new Date().toISOString(), shimPid: shim.pid, shimStartTime: shim.startTime };
      entry.exit = undefined;
      await writeRun(paths, entry.run);
      const pid = await this.#awaitRunning(entry);
      if (pid === 0) return this.#failStart(entry);
      await awaitExec(pid);
      // runc writes init.pid right after the process starts: its mtime is Docker's StartedAt.
      entry.run.startedAt = (await stat(paths.pid).then((s) => s.mtime, () => new Date())).toISOString();
      await writeRun(paths, entry.run);
      Object.assign(entry, { status: 'running', pid });
      this.#events.next({ type: 'start', id });
      this.#monitor(entry);
      return this.#state(entry);
    });
  }

  async #awaitRunning(entry: Entry): Promise<number> {
    const result = await awaitRunning(entry.paths, entry.run!, this.#options.startTimeoutMs ?? 30_000);
    if (result.timedOut) await this.#runc.kill(entry.record.spec.id, 'SIGKILL');
    return result.pid;
  }

  async #failStart(entry: Entry): Promise<never> {
    const message = (await readExit(entry.paths)) ? await lastRuncError(entry.paths) : 'container did not start in time';
    const exitCode = startFailureExitCode(message);
    const finishedAt = new Date().toISOString();
    entry.run = { ...entry.run!, error: message, exitCode, finishedAt };
    await writeRun(entry.paths, entry.run);
    await this.#runc.delete(entry.record.spec.id);
    Object.assign(entry, { status: 'exited', pid: 0, exit: { exitCode, finishedAt } });
    const make = exitCode === 128 ? conflict : invalid;
    throw make('ERR_CONTAINER_START_FAILED', `cannot start container ${entry.record.spec.id.slice(0, 12)}: ${message}`, {
      details: { id: entry.record.spec.id, exitCode },
    });
  }

  /** Watches the bundle for exit.json (inotify), with a slow poll for a shim that died silently. */
  #monitor(entry: Entry): void {
    const check = (): void => void this.#checkExit(entry);
    try {
      entry.watcher = watch(entry.paths.dir, (_event, name) => {
        if (name === 'exit.json') check();
      });
      entry.watcher.unref();
    } catch {
      // The poll below still notices the exit.
    }
    entry.timer = setInterval(check, 1000);
    entry.timer.unref();
    check();
  }

  #unmonitor(entry: Entry): void {
    entry.watcher?.close();
    if (entry.timer) clearInterval(entry.timer);
    delete entry.watcher;
    delete entry.timer;
  }

  /** One check at a time per container: two overlapping ones could both see "lost" and race a delete. */
  #checkExit(entry: Entry): Promise<void> {
    entry.checking ??= this.#doCheckExit(entry).finally(() => delete entry.checking);
    return entry.checking;
  }

  async #doCheckExit(entry: Entry): Promise<void> {
    if (entry.status !== 'running' || entry.deleting) return;
    await this.#refresh(entry);
    if ((entry.status as ContainerStatus) !== 'exited') return; // #refresh changed it
    this.#unmonitor(entry);
    this.#events.next({ type: 'exit', id: entry.record.spec.id, exitCode: entry.exit?.exitCode ?? 0 });
    for (const resolve of entry.exited) resolve();
    entry.exited.clear();
  }

  /** Resolves true when the container is not running (now or within timeoutMs; -1 = forever). */
  async #waitExited(entry: Entry, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (entry.status !== 'running') return true;
    return new Promise<boolean>((resolve) => {
      const done = (value: boolean): void => {
        entry.exited.delete(onExit);
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const onExit = (): void => done(true);
      const onAbort = (): void => done(false);
      const timer = timeoutMs >= 0 ? setTimeout(() => done(false), timeoutMs) : setInterval(() => undefined, 60_000);
      entry.exited.add(onExit);
      signal?.addEventListener('abort', onAbort);
      void this.#checkExit(entry);
    });
  }

  /** Sends a signal (name like SIGTERM / TERM, or number) to the container's init. */
  async kill(id: string, signal: string | number = 'SIGKILL'): Promise<void> {
    const entry = this.#get(id);
    const sig = normalizeSignal(signal);
    if (entry.status !== 'running') throw notRunning(id);
    await this.#runc.kill(id, sig);
    this.#events.next({ type: 'kill', id, signal: sig });
  }

  /** `docker stop`: the stop signal, then SIGKILL after timeoutSeconds (default 10; -1 waits forever). */
  async stop(id: string, options: { timeoutSeconds?: number; signal?: string } = {}): Promise<ContainerState> {
    const entry = this.#get(id);
    if (entry.status !== 'running') return this.#state(entry);
    const timeout = options.timeoutSeconds ?? 10;
    const first = normalizeSignal(options.signal ?? entry.record.spec.stopSignal ?? 'SIGTERM');
    if (timeout !== 0 && (await this.#runc.kill(id, first))) {
      this.#events.next({ type: 'kill', id, signal: first });
      if (await this.#waitExited(entry, timeout < 0 ? -1 : timeout * 1000)) return this.#state(entry);
    }
    if (await this.#runc.kill(id, 'SIGKILL')) this.#events.next({ type: 'kill', id, signal: 'SIGKILL' });
    await this.#waitExited(entry, 30_000);
    return this.#state(entry);
  }

  /**
   * `docker wait`: resolves with the exit code once the container is not running. Condition
   * `next-exit` waits for the next exit even if it is not running now (as `docker run` does).
   */
  async wait(id: string, options: { condition?: 'not-running' | 'next-exit'; signal?: AbortSignal } = {}): Promise<{ exitCode: number; error: string }> {
    const entry = this.#get(id);
    if (options.condition === 'next-exit' || entry.status === 'running') {
      await new Promise<void>((resolve, reject) => {
        // The monitor's handles are unref'd (a daemon lives on its server); a waiter keeps the process up.
        const keepAlive = setInterval(() => void this.#checkExit(entry), 1000);
        const onExit = (): void => {
          clearInterval(keepAlive);
          options.signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = (): void => {
          clearInterval(keepAlive);
          entry.exited.delete(onExit);
          reject(options.signal?.reason ?? new Error('aborted'));
        };
        entry.exited.add(onExit);
        options.signal?.addEventListener('abort', onAbort);
        void this.#checkExit(entry);
      });
    }
    const state = this.#state(entry);
    return { exitCode: state.exitCode, error: state.error };
  }

  /** `docker rm`: runc state, overlay mount and bundle directory go; `force` kills a running one first. */
  async delete(id: string, options: { force?: boolean } = {}): Promise<void> {
    const entry = this.#get(id);
    await entry.lock.run(async () => {
      if (entry.status === 'running') {
        if (!options.force) {
          throw conflict('ERR_CONTAINER_RUNNING', `cannot remove container ${id.slice(0, 12)}: container is running: stop the container before removing or force remove`);
        }
        await this.#runc.kill(id, 'SIGKILL');
        await this.#waitExited(entry, 30_000);
      }
      entry.deleting = true;
      this.#unmonitor(entry);
      await entry.checking;
      await this.#runc.delete(id);
      await unmount(entry.paths.rootfs);
      await rm(entry.paths.dir, { recursive: true, force: true, maxRetries: 3 });
      this.#entries.delete(id);
      this.#events.next({ type: 'delete', id });
    });
  }

  /** Non-interactive `runc exec` (see exec.ts); the container must be running. */
  exec(id: string, options: ExecOptions): ExecHandle {
    const entry = this.#get(id);
    if (entry.status !== 'running') throw notRunning(id);
    return execInContainer(this.#runc, id, options);
  }

  /** Runs exec to completion and collects its output. */
  async execCollect(id: string, options: ExecOptions): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    return collectExec(this.exec(id, options));
  }

  /**
   * The container's json-file log (see logs.ts). `follow` streams until the container has exited;
   * opened on a created container it waits for the start, which is how attach-before-start works.
   */
  logs(id: string, options: LogOptions = {}): AsyncGenerator<LogEntry> {
    const entry = this.#get(id);
    return readLogs(entry.paths.log, options, () => entry.status !== 'exited' && this.#entries.has(id));
  }

  /** Stops watching; containers keep running (the next daemon adopts them). */
  close(): void {
    for (const entry of this.#entries.values()) this.#unmonitor(entry);
    this.#events.complete();
  }
}

function notRunning(id: string): Error {
  return conflict('ERR_CONTAINER_NOT_RUNNING', `Container ${id} is not running`, { details: { id } });
}
