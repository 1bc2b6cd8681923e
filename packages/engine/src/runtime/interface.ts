import type { Observable } from 'rxjs';
import type { ExecHandle } from './exec.js';
import type { ContainerSpec, ContainerState, ExecOptions, LogEntry, LogOptions, RuntimeEvent } from './types.js';

/**
 * What the daemon needs from a container runtime. `Runtime` (runc) and `FakeRuntime` (memory, for
 * unit tests of the API without root) both implement it; see README.md for semantics and errors.
 */
export interface ContainerRuntime {
  readonly events: Observable<RuntimeEvent>;
  create(spec: ContainerSpec): Promise<ContainerState>;
  start(id: string): Promise<ContainerState>;
  kill(id: string, signal?: string | number): Promise<void>;
  stop(id: string, options?: { timeoutSeconds?: number; signal?: string }): Promise<ContainerState>;
  wait(id: string, options?: { condition?: 'not-running' | 'next-exit'; signal?: AbortSignal }): Promise<{ exitCode: number; error: string }>;
  delete(id: string, options?: { force?: boolean }): Promise<void>;
  state(id: string): ContainerState;
  list(): ContainerState[];
  has(id: string): boolean;
  exec(id: string, options: ExecOptions): ExecHandle;
  execCollect(id: string, options: ExecOptions): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  logs(id: string, options?: LogOptions): AsyncGenerator<LogEntry>;
  close(): void;
}
