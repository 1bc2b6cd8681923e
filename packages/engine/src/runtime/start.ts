import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { readExit, readPid, type BundlePaths, type RunRecord } from './bundle.js';
import { isProcessAlive } from './shim.js';

/**
 * Waits for init.pid (running: its pid) or exit.json / a dead shim (failed: 0). inotify on the
 * bundle wakes us as soon as runc renames the pid file into place; a 50 ms poll is the fallback.
 */
export async function awaitRunning(paths: BundlePaths, run: RunRecord, timeoutMs: number): Promise<{ pid: number; timedOut: boolean }> {
  const deadline = Date.now() + timeoutMs;
  let wake: (() => void) | undefined;
  const watcher = watch(paths.dir, (_event, name) => {
    if (name === 'init.pid' || name === 'exit.json') wake?.();
  });
  try {
    while (Date.now() < deadline) {
      const pid = await readPid(paths);
      if (pid > 0) return { pid, timedOut: false };
      // Started and already gone (a fast `exit 3`) still wrote init.pid first.
      if (await readExit(paths)) return { pid: await readPid(paths), timedOut: false };
      if (!(await isProcessAlive(run.shimPid, run.shimStartTime)) && !(await readExit(paths))) return { pid: 0, timedOut: false };
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  } finally {
    watcher.close();
  }
  return { pid: 0, timedOut: true };
}

/**
 * Waits until `pid` has exec'd the container's process. `runc run` writes init.pid while the
 * process is still `runc init` blocked on the exec fifo; Docker's start returns only after
 * `runc start` released it, so callers (and /proc readers) see the user's process. Polls
 * /proc/<pid>/cmdline for a few ms at most; a process already gone or a slow exec just returns.
 */
export async function awaitExec(pid: number, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; Date.now() < deadline; delay = Math.min(delay * 2, 20)) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'latin1').catch(() => '');
    if (!cmdline.startsWith('runc\0init')) return;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
