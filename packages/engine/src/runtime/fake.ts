import { randomBytes } from 'node:crypto';
import { constants } from 'node:os';
import { PassThrough } from 'node:stream';
import { Subject, type Observable } from 'rxjs';
import { conflict, invalid, notFound } from '@tsnet/errors';
import type { ExecHandle } from './exec.js';
import type { ContainerRuntime } from './interface.js';
import { logFilter } from './logs.js';
import { capabilities, orderMounts } from './oci-spec.js';
import { normalizeSignal } from './signals.js';
import { ZERO_TIME, type ContainerSpec, type ContainerState, type ExecOptions, type LogEntry, type LogOptions, type RuntimeEvent } from './types.js';

/** What a fake container's process does when started. */
export interface FakeBehaviour {
  stdout?: string;
  stderr?: string;
  /** Exit at once with this code; otherwise it runs until killed. */
  exitCode?: number;
  /** Ignore SIGTERM (and the other non-KILL signals), as a process with `trap '' TERM`. */
  ignoreTerm?: boolean;
  /** Fail the start like a missing command (exit code 127). */
  failStart?: string;
}

export interface FakeRuntimeOptions {
  behaviour?: (spec: ContainerSpec & { id: string }) => FakeBehaviour;
  exec?: (state: ContainerState, options: ExecOptions) => { exitCode: number; stdout?: string; stderr?: string };
}

interface FakeEntry {
  state: ContainerState;
  behaviour: FakeBehaviour;
  logs: LogEntry[];
  exited: Set<() => void>;
}

/**
 * An in-memory ContainerRuntime: same validation, errors, states and events as `Runtime`, no root,
 * no processes. For unit tests of the daemon and API.
 */
export class FakeRuntime implements ContainerRuntime {
  readonly #entries = new Map<string, FakeEntry>();
  readonly #events = new Subject<RuntimeEvent>();
  readonly #options: FakeRuntimeOptions;
  #nextPid = 10_000;
  readonly events: Observable<RuntimeEvent> = this.#events.asObservable();

  constructor(options: FakeRuntimeOptions = {}) {
    this.#options = options;
  }

  #get(id: string): FakeEntry {
    const entry = this.#entries.get(id);
    if (!entry) throw notFound('ERR_CONTAINER_NOT_FOUND', `No such container: ${id}`, { details: { id } });
    return entry;
  }

  async create(input: ContainerSpec): Promise<ContainerState> {
    const id = input.id ?? randomBytes(32).toString('hex');
    if (!/^[0-9a-f]{64}$/.test(id)) throw invalid('ERR_CONTAINER_ID_INVALID', `container id "${id}" must be 64 lowercase hex characters`);
    if (this.#entries.has(id)) throw conflict('ERR_CONTAINER_EXISTS', `container ${id} already exists`);
    orderMounts([], input.mounts ?? []);
    capabilities(input.capAdd, input.capDrop);
    const spec = { ...input, id };
    const bundle = `/fake/containers/${id}`;
    const state: ContainerState = {
      id, status: 'created', pid: 0, exitCode: 0, error: '', createdAt: new Date().toISOString(), startedAt: ZERO_TIME,
      finishedAt: ZERO_TIME, bundle, rootfsPath: `${bundle}/rootfs`, logPath: `${bundle}/container.log`, spec,
    };
    this.#entries.set(id, { state, behaviour: this.#options.behaviour?.(spec) ?? {}, logs: [], exited: new Set() });
    this.#events.next({ type: 'create', id });
    return { ...state };
  }

  async start(id: string): Promise<ContainerState> {
    const entry = this.#get(id);
    if (entry.state.status === 'running') return { ...entry.state };
    const { behaviour } = entry;
    const now = new Date().toISOString();
    if (behaviour.failStart) {
      Object.assign(entry.state, { status: 'exited', exitCode: 127, error: behaviour.failStart, startedAt: now, finishedAt: now });
      throw invalid('ERR_CONTAINER_START_FAILED', `cannot start container ${id.slice(0, 12)}: ${behaviour.failStart}`, { details: { id, exitCode: 127 } });
    }
    Object.assign(entry.state, { status: 'running', pid: this.#nextPid++, error: '', startedAt: now, finishedAt: ZERO_TIME });
    this.#events.next({ type: 'start', id });
    for (const stream of ['stdout', 'stderr'] as const) {
      for (const line of (behaviour[stream] ?? '').split(/(?<=\n)/)) if (line) entry.logs.push({ stream, log: line, time: now });
    }
    if (behaviour.exitCode !== undefined) this.#exit(entry, behaviour.exitCode);
    return { ...entry.state };
  }

  #exit(entry: FakeEntry, exitCode: number): void {
    Object.assign(entry.state, { status: 'exited', pid: 0, exitCode, finishedAt: new Date().toISOString() });
    this.#events.next({ type: 'exit', id: entry.state.id, exitCode });
    for (const resolve of entry.exited) resolve();
    entry.exited.clear();
  }

  async kill(id: string, signal: string | number = 'SIGKILL'): Promise<void> {
    const entry = this.#get(id);
    const sig = normalizeSignal(signal);
    if (entry.state.status !== 'running') throw conflict('ERR_CONTAINER_NOT_RUNNING', `Container ${id} is not running`, { details: { id } });
    this.#events.next({ type: 'kill', id, signal: sig });
    if (sig === 'SIGKILL' || !entry.behaviour.ignoreTerm) {
      this.#exit(entry, 128 + (constants.signals[sig as keyof typeof constants.signals] ?? 9));
    }
  }

  async stop(id: string, options: { timeoutSeconds?: number; signal?: string } = {}): Promise<ContainerState> {
    const entry = this.#get(id);
    if (entry.state.status !== 'running') return { ...entry.state };
    if (options.timeoutSeconds !== 0) await this.kill(id, options.signal ?? entry.state.spec.stopSignal ?? 'SIGTERM');
    if (entry.state.status === 'running') await this.kill(id, 'SIGKILL');
    return { ...entry.state };
  }

  async wait(id: string, options: { condition?: 'not-running' | 'next-exit'; signal?: AbortSignal } = {}): Promise<{ exitCode: number; error: string }> {
    const entry = this.#get(id);
    if (options.condition === 'next-exit' || entry.state.status === 'running') {
      await new Promise<void>((resolve, reject) => {
        entry.exited.add(resolve);
        options.signal?.addEventListener('abort', () => {
          entry.exited.delete(resolve);
          reject(options.signal?.reason ?? new Error('aborted'));
        });
      });
    }
    return { exitCode: entry.state.exitCode, error: entry.state.error };
  }

  async delete(id: string, options: { force?: boolean } = {}): Promise<void> {
    const entry = this.#get(id);
    if (entry.state.status === 'running') {
      if (!options.force) throw conflict('ERR_CONTAINER_RUNNING', `cannot remove container ${id.slice(0, 12)}: container is running`);
      this.#exit(entry, 137);
    }
    this.#entries.delete(id);
    this.#events.next({ type: 'delete', id });
  }

  state(id: string): ContainerState {
    return { ...this.#get(id).state };
  }

  list(): ContainerState[] {
    return [...this.#entries.values()].map((e) => ({ ...e.state }));
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  exec(id: string, options: ExecOptions): ExecHandle {
    const entry = this.#get(id);
    if (entry.state.status !== 'running') throw conflict('ERR_CONTAINER_NOT_RUNNING', `Container ${id} is not running`, { details: { id } });
    const result = this.#options.exec?.(entry.state, options) ?? { exitCode: 0 };
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.end(result.stdout ?? '');
    stderr.end(result.stderr ?? '');
    return { pid: this.#nextPid++, stdout, stderr, stdin: new PassThrough(), exitCode: Promise.resolve(result.exitCode) };
  }

  async execCollect(id: string, options: ExecOptions): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const entry = this.#get(id);
    if (entry.state.status !== 'running') throw conflict('ERR_CONTAINER_NOT_RUNNING', `Container ${id} is not running`, { details: { id } });
    const result = this.#options.exec?.(entry.state, options) ?? { exitCode: 0 };
    return { exitCode: result.exitCode, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
  }

  async *logs(id: string, options: LogOptions = {}): AsyncGenerator<LogEntry> {
    const entry = this.#get(id);
    if (options.follow && entry.state.status !== 'exited') {
      const condition = entry.state.status === 'created' ? 'next-exit' : 'not-running';
      await this.wait(id, { condition, ...(options.signal ? { signal: options.signal } : {}) }).catch(() => undefined);
    }
    let lines = entry.logs.filter(logFilter(options));
    if (typeof options.tail === 'number') lines = options.tail === 0 ? [] : lines.slice(-options.tail);
    yield* lines;
  }

  /** Test hook: the process exits by itself with this code. */
  exitContainer(id: string, exitCode: number): void {
    const entry = this.#get(id);
    if (entry.state.status === 'running') this.#exit(entry, exitCode);
  }

  close(): void {
    this.#events.complete();
  }
}
