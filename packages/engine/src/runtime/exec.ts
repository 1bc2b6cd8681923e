import type { Readable, Writable } from 'node:stream';
import type { Runc } from './runc.js';
import type { ExecOptions } from './types.js';

export interface ExecHandle {
  /** Host pid of the `runc exec` process. */
  readonly pid: number;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly stdin: Writable;
  /** The process's exit code (Docker's 126/127 when it could not be started). */
  readonly exitCode: Promise<number>;
}

/**
 * Non-interactive `runc exec`: runc copies the process's stdio through pipes. runc itself exits
 * 255 with a message on its stderr when the process cannot be started; that becomes Docker's
 * 127 (not found) or 126 (not executable).
 */
export function execInContainer(runc: Runc, id: string, options: ExecOptions): ExecHandle {
  const user = options.user ? `${options.user.uid}:${options.user.gid}` : undefined;
  const child = runc.exec(id, options.args, {
    ...(options.env ? { env: options.env } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(user ? { user } : {}),
  });
  let stderrTail = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-4096);
  });
  if (options.stdin !== undefined) child.stdin!.end(options.stdin);
  else child.stdin!.end();
  const exitCode = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 255 && /exec failed|unable to start container process/.test(stderrTail)) {
        resolve(/permission denied/i.test(stderrTail) ? 126 : 127);
      } else resolve(code ?? 128 + (signal ? 9 : 0));
    });
  });
  return { pid: child.pid ?? 0, stdout: child.stdout!, stderr: child.stderr!, stdin: child.stdin!, exitCode };
}

/** Waits for an exec to finish and returns its whole output. */
export async function collectExec(handle: ExecHandle): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  handle.stdout.on('data', (c: Buffer) => chunks.stdout.push(c));
  handle.stderr.on('data', (c: Buffer) => chunks.stderr.push(c));
  const exitCode = await handle.exitCode;
  return { exitCode, stdout: Buffer.concat(chunks.stdout).toString('utf8'), stderr: Buffer.concat(chunks.stderr).toString('utf8') };
}
