import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonIfExists, writeJsonAtomic } from './files.js';
import { isProcessAlive } from './shim.js';
import { ZERO_TIME, type ContainerSpec, type ContainerState, type ContainerStatus } from './types.js';

/**
 * The files of one container bundle `<dataRoot>/containers/<id>/` and how its state is read back
 * from them — the only source of truth, so a restarted daemon sees exactly what the old one saw:
 *
 *   spec.json      what create() was given (written once)
 *   config.json    the OCI runtime config runc reads
 *   run.json       the last start: time, shim pid + kernel start time, or why it failed
 *   init.pid       written by runc once the container process runs
 *   exit.json      written by the shim when runc returns: exit code and time
 *   container.log  json-file log written by the shim
 *   rootfs/ upper/ work/   overlay mount point and the container's layer
 */
export interface BundlePaths {
  dir: string;
  spec: string;
  config: string;
  run: string;
  pid: string;
  exit: string;
  log: string;
  runcLog: string;
  shimLog: string;
  rootfs: string;
  upper: string;
  work: string;
}

export function bundlePaths(containersDir: string, id: string): BundlePaths {
  const dir = join(containersDir, id);
  return {
    dir,
    spec: join(dir, 'spec.json'),
    config: join(dir, 'config.json'),
    run: join(dir, 'run.json'),
    pid: join(dir, 'init.pid'),
    exit: join(dir, 'exit.json'),
    log: join(dir, 'container.log'),
    runcLog: join(dir, 'runc.log'),
    shimLog: join(dir, 'shim.log'),
    rootfs: join(dir, 'rootfs'),
    upper: join(dir, 'upper'),
    work: join(dir, 'work'),
  };
}

export interface SpecRecord {
  spec: ContainerSpec & { id: string };
  createdAt: string;
}

export interface RunRecord {
  startedAt: string;
  shimPid: number;
  shimStartTime: string;
  /** Set when the start itself failed (runc could not run the process). */
  error?: string;
  exitCode?: number;
  finishedAt?: string;
}

export interface ExitRecord {
  exitCode: number;
  finishedAt: string;
}

/**
 * No fsync: run.json must survive the daemon's death (the page cache does), not the machine's —
 * after a reboot no container is running anyway — and it sits on the start path.
 */
export const writeRun = (paths: BundlePaths, run: RunRecord): Promise<void> => writeJsonAtomic(paths.run, run, { sync: false });

export async function readPid(paths: BundlePaths): Promise<number> {
  const text = await readFile(paths.pid, 'utf8').catch(() => '');
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : 0;
}

export const readExit = (paths: BundlePaths): Promise<ExitRecord | undefined> => readJsonIfExists<ExitRecord>(paths.exit);

/**
 * Status from the files: never started → created; a start error or exit.json → exited; a live
 * shim → running; a shim gone without exit.json (killed, or the machine rebooted) → `lost`, which
 * the runtime turns into exited with code 255 after cleaning up.
 */
export async function readStatus(
  paths: BundlePaths,
  run: RunRecord | undefined,
): Promise<{ status: ContainerStatus | 'lost'; pid: number; exit?: ExitRecord }> {
  if (!run) return { status: 'created', pid: 0 };
  if (run.error !== undefined) {
    return { status: 'exited', pid: 0, exit: { exitCode: run.exitCode ?? 128, finishedAt: run.finishedAt ?? run.startedAt } };
  }
  const exit = await readExit(paths);
  if (exit) return { status: 'exited', pid: 0, exit };
  if (await isProcessAlive(run.shimPid, run.shimStartTime)) return { status: 'running', pid: await readPid(paths) };
  // The shim may have written exit.json and exited between the two checks above: read it again
  // before calling the container lost, so a real exit code always wins over 255.
  const lateExit = await readExit(paths);
  if (lateExit) return { status: 'exited', pid: 0, exit: lateExit };
  return { status: 'lost', pid: 0 };
}

export function toState(
  paths: BundlePaths,
  record: SpecRecord,
  run: RunRecord | undefined,
  live: { status: ContainerStatus; pid: number; exit?: ExitRecord | undefined },
): ContainerState {
  return {
    id: record.spec.id,
    status: live.status,
    pid: live.status === 'running' ? live.pid : 0,
    exitCode: live.status === 'exited' ? (live.exit?.exitCode ?? 0) : 0,
    error: run?.error ?? '',
    createdAt: record.createdAt,
    startedAt: run?.startedAt ?? ZERO_TIME,
    finishedAt: live.status === 'exited' ? (live.exit?.finishedAt ?? ZERO_TIME) : ZERO_TIME,
    bundle: paths.dir,
    rootfsPath: paths.rootfs,
    logPath: paths.log,
    spec: record.spec,
  };
}

/** The last error runc logged (its --log file is JSON lines), without runc's own prefix. */
export async function lastRuncError(paths: BundlePaths): Promise<string> {
  const text = await readFile(paths.runcLog, 'utf8').catch(() => '');
  for (const line of text.trim().split('\n').reverse()) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if (entry.level === 'error' && entry.msg) return entry.msg.replace(/^runc run failed: /, '');
    } catch {
      // not a JSON line
    }
  }
  return 'container process failed to start (no error from runc)';
}

/** Docker's exit codes for a process that could not be started: 127 not found, 126 not executable. */
export function startFailureExitCode(message: string): number {
  if (/no such file or directory|executable file not found|not found/i.test(message)) return 127;
  if (/permission denied/i.test(message)) return 126;
  return 128;
}
