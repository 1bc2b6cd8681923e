import { closeSync, fdatasync, fsync, fsyncSync, openSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { promisify } from 'node:util';

/** Small promise wrappers over the callback fs API (cheaper per call than FileHandle on the hot path). */
export const fdatasyncAsync = promisify(fdatasync);
export const fsyncAsync = promisify(fsync);

/** Writes all of buf at position (a write may be short). */
export function writeAllSync(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done);
}

/** fsync a directory so that a file created or renamed in it survives a crash. */
export function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces path with data atomically and durably: write a temp file, fsync, rename, fsync the dir. */
export async function replaceFileDurably(dir: string, path: string, data: Buffer): Promise<void> {
  const tmp = `${path}.tmp`;
  const handle = await open(tmp, 'w', 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  fsyncDirSync(dir);
}
