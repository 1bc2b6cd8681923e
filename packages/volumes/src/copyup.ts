import { spawn, spawnSync } from 'node:child_process';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { forbidden, internal } from '@tsnet/errors';

export type CopyUpResult = 'copied' | 'not-empty' | 'no-source';

export interface CopyUpOptions {
  /** Image content to copy: a directory already resolved inside the rootfs (see secureJoin). */
  source: string;
  /** The volume's data directory (never a symlink). */
  target: string;
  /** A marker file that exists exactly while a copy is unfinished (outside the volume's data). */
  marker: string;
  /** syncfs before the marker goes, so a power cut cannot leave a volume that looks complete. */
  durable?: boolean;
}

/**
 * Fills an empty volume with image content (Docker's copy-up), crash-safely.
 *
 * The copy itself is `cp -a -T source target` (GNU coreutils): it keeps owners, modes, times,
 * symlinks as links, hardlinks as links and xattrs, never follows a symlink inside the tree, and
 * is the yardstick we are measured against anyway. Crash safety is a marker file written (and
 * fsynced) before the copy and removed after it: a marker found later means the last copy died
 * half way, so the volume's content is ours to wipe and the copy is redone from scratch. Without
 * a marker, a volume holding anything is never touched.
 */
export async function copyUp(options: CopyUpOptions): Promise<CopyUpResult> {
  const { source, target, marker } = options;
  const targetStat = await lstat(target);
  if (!targetStat.isDirectory()) {
    throw forbidden('ERR_COPYUP_TARGET', `copy-up target ${target} is not a directory`, { details: { target } });
  }
  const interrupted = await exists(marker);
  if (interrupted) await clearDirectory(target);
  else if ((await readdir(target)).length > 0) return 'not-empty';
  const src = await stat(source).catch(() => undefined);
  if (!src?.isDirectory()) {
    if (interrupted) await removeMarker(marker);
    return 'no-source';
  }
  if (!interrupted) await writeMarker(marker);
  // PDEATHSIG: if the daemon dies mid-copy, cp dies with it instead of racing the redo.
  await run(...withParentDeathSignal('cp', ['-a', '-T', '--', source, target]));
  if (options.durable !== false) await run('sync', ['-f', target]);
  await removeMarker(marker);
  return 'copied';
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/** Removes every entry of dir without following symlinks (fs.rm lstat()s, never follows). */
async function clearDirectory(dir: string): Promise<void> {
  for (const entry of await readdir(dir)) await rm(join(dir, entry), { recursive: true, force: true });
}

async function fsyncPath(path: string, flags = constants.O_RDONLY): Promise<void> {
  const fh = await open(path, flags);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function writeMarker(marker: string): Promise<void> {
  await mkdir(dirname(marker), { recursive: true, mode: 0o700 });
  const fh = await open(marker, 'w', 0o600);
  try {
    await fh.writeFile(`${process.pid}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsyncPath(dirname(marker));
}

async function removeMarker(marker: string): Promise<void> {
  await unlink(marker).catch(() => undefined);
  await fsyncPath(dirname(marker)).catch(() => undefined);
}

let setprivOk: boolean | undefined;

function withParentDeathSignal(command: string, argv: string[]): [string, string[]] {
  setprivOk ??= spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore' }).status === 0;
  return setprivOk ? ['setpriv', ['--pdeathsig', 'KILL', '--', command, ...argv]] : [command, argv];
}

function run(command: string, argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(internal('ERR_COPYUP_FAILED', `${command} ${argv.join(' ')} failed: ${stderr.trim() || `exit ${code}`}`));
    });
  });
}
