import { spawn } from 'node:child_process';
import { closeSync, constants, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { conflict, unavailable } from '@tsnet/errors';
import { StoreErrorCode } from '../errors.js';

export interface DirectoryLock {
  readonly path: string;
  release(): void;
}

const LOCK_FILE = 'store.lock';
const CONFLICT_EXIT = 75;

/**
 * Takes an exclusive flock(2) on `<dir>/store.lock`, so one process at a time owns a directory.
 *
 * Why flock: the kernel drops it when the holder dies however it dies (SIGKILL included), so there
 * is no stale-lock guessing and no takeover race between two restarting daemons; a pid file with
 * O_EXCL would need both. Node has no flock binding, so util-linux's `flock` is run once on a
 * descriptor we pass it as fd 3: the lock belongs to the open file description, which our own fd
 * keeps alive after the helper exits. Our fd is close-on-exec, so no other child inherits the lock.
 * The holder's pid is written into the file only to name it in the error a second opener gets.
 */
export async function lockDirectory(dir: string): Promise<DirectoryLock> {
  const path = join(dir, LOCK_FILE);
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
  try {
    await acquire(fd, dir, path);
    ftruncateSync(fd, 0);
    writeSync(fd, `${process.pid}\n`, 0);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  let held = true;
  return {
    path,
    release() {
      if (!held) return;
      held = false;
      try {
        ftruncateSync(fd, 0); // no holder to name any more
      } finally {
        closeSync(fd); // the last descriptor of the description: the kernel drops the lock
      }
    },
  };
}

async function acquire(fd: number, dir: string, path: string): Promise<void> {
  // A holder that just died may leave the lock to its exiting `flock` helper for a moment: retry
  // briefly, but only while the recorded holder is gone — a live holder is refused at once.
  for (let attempt = 0; ; attempt += 1) {
    if ((await runFlock(fd, path)) === 0) return;
    const holder = readHolder(path);
    if (holder !== undefined && !isAlive(holder)) {
      if (attempt < 40) {
        await sleep(25);
        continue;
      }
    }
    const who = holder === undefined ? 'another process' : holder === process.pid ? `this process (${holder})` : `process ${holder}`;
    throw conflict(StoreErrorCode.locked, `store directory "${dir}" is locked by ${who}; one process may open it at a time`, {
      details: { dir, lockFile: path, holderPid: holder },
    });
  }
}

function runFlock(fd: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('flock', ['--exclusive', '--nonblock', '--conflict-exit-code', String(CONFLICT_EXIT), '3'], {
      stdio: ['ignore', 'ignore', 'pipe', fd],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (cause) =>
      reject(unavailable(StoreErrorCode.io, `cannot lock "${path}": running flock(1) failed (is util-linux installed?)`, { cause })),
    );
    child.on('close', (code) => {
      if (code === 0 || code === CONFLICT_EXIT) resolve(code);
      else reject(unavailable(StoreErrorCode.io, `cannot lock "${path}": flock exited with ${code}: ${stderr.trim()}`));
    });
  });
}

function readHolder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
