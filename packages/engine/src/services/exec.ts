import { randomBytes } from 'node:crypto';
import { conflict, invalid, notFound } from '@tsnet/errors';
import type { ExecHandle, Runtime } from '../runtime/index.js';
import type { ContainerService } from './containers.js';

export interface ExecRecord {
  id: string;
  containerId: string;
  args: string[];
  env: string[];
  workingDir: string;
  user: string;
  attachStdout: boolean;
  attachStderr: boolean;
  /** Raw output (no multiplexing frames), as the CLI expects for `exec -t`. */
  tty: boolean;
  /** `exec -i`: the client's input is collected until it half-closes, then given to the process. */
  attachStdin: boolean;
  running: boolean;
  exitCode: number | null;
  pid: number;
}

/** `docker exec` instances: created, then started once; kept in memory (as dockerd does). */
export class ExecService {
  readonly #execs = new Map<string, ExecRecord>();
  readonly #runtime: Runtime;
  readonly #containers: ContainerService;

  constructor(runtime: Runtime, containers: ContainerService) {
    this.#runtime = runtime;
    this.#containers = containers;
  }

  create(containerRef: string, body: Record<string, unknown>): ExecRecord {
    const r = this.#containers.find(containerRef);
    if (this.#runtime.state(r.id).status !== 'running') throw conflict('ERR_CONTAINER_NOT_RUNNING', `Container ${r.id} is not running`);
    const cmd = body.Cmd;
    if (!Array.isArray(cmd) || cmd.length === 0 || !cmd.every((a) => typeof a === 'string')) throw invalid('ERR_EXEC_CONFIG', 'No exec command specified');
    const strs = (v: unknown, what: string): string[] => {
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v) || !v.every((a) => typeof a === 'string')) throw invalid('ERR_EXEC_CONFIG', `${what} must be a list of strings`);
      return v as string[];
    };
    const str = (v: unknown, what: string): string => {
      if (v === undefined || v === null) return '';
      if (typeof v !== 'string') throw invalid('ERR_EXEC_CONFIG', `${what} must be a string`);
      return v;
    };
    const record: ExecRecord = {
      id: randomBytes(32).toString('hex'),
      containerId: r.id,
      args: cmd as string[],
      env: strs(body.Env, 'Env'),
      workingDir: str(body.WorkingDir, 'WorkingDir'),
      user: str(body.User, 'User'),
      attachStdout: body.AttachStdout !== false,
      attachStderr: body.AttachStderr !== false,
      tty: body.Tty === true,
      attachStdin: body.AttachStdin === true,
      running: false,
      exitCode: null,
      pid: 0,
    };
    this.#execs.set(record.id, record);
    return record;
  }

  get(id: string): ExecRecord {
    const e = this.#execs.get(id);
    if (!e) throw notFound('ERR_EXEC_NOT_FOUND', `No such exec instance: ${id}`);
    return e;
  }

  /** Runs it; the handle's streams and exit code are the caller's to follow. */
  start(id: string, stdin?: Uint8Array): ExecHandle {
    const e = this.get(id);
    if (e.running || e.exitCode !== null) throw conflict('ERR_EXEC_STARTED', `Error: Exec command ${id} has already run`);
    const state = this.#runtime.state(e.containerId);
    const user = e.user ? parseNumericUser(e.user) : undefined;
    const handle = this.#runtime.exec(e.containerId, {
      args: e.args,
      env: [...state.spec.process.env, ...e.env],
      ...(e.workingDir ? { cwd: e.workingDir } : {}),
      ...(user ? { user } : {}),
      ...(stdin ? { stdin } : {}),
    });
    e.running = true;
    e.pid = handle.pid;
    void handle.exitCode.then(
      (code) => Object.assign(e, { running: false, exitCode: code }),
      () => Object.assign(e, { running: false, exitCode: 126 }),
    );
    return handle;
  }

  inspect(id: string): Record<string, unknown> {
    const e = this.get(id);
    return {
      ID: e.id,
      Running: e.running,
      ExitCode: e.exitCode,
      ProcessConfig: { tty: e.tty, entrypoint: e.args[0], arguments: e.args.slice(1), privileged: false, user: e.user },
      OpenStdin: e.attachStdin,
      OpenStderr: e.attachStderr,
      OpenStdout: e.attachStdout,
      CanRemove: false,
      ContainerID: e.containerId,
      DetachKeys: '',
      Pid: e.pid,
    };
  }
}

function parseNumericUser(spec: string): { uid: number; gid: number } | undefined {
  const m = /^(\d+)(?::(\d+))?$/.exec(spec);
  if (m) return { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) };
  if (spec === 'root') return { uid: 0, gid: 0 };
  throw invalid('ERR_EXEC_USER', `exec user "${spec}": only numeric uid[:gid] or root is supported`);
}
