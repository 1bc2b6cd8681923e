import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { internal } from '@tsnet/errors';

const run = promisify(execFile);

/** Mount points of this process's mount namespace (field 5 of /proc/self/mountinfo, unescaped). */
export async function mountPoints(): Promise<Set<string>> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const points = new Set<string>();
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (field) points.add(field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))));
  }
  return points;
}

export async function isMounted(path: string): Promise<boolean> {
  return (await mountPoints()).has(path);
}

export interface OverlayLayout {
  lower: string;
  upper: string;
  work: string;
  target: string;
}

/**
 * The container's rootfs: the image directory read-only below, the container's own layer above.
 * Mounted by us (not runc) so the bundle's rootfs exists before `runc run` and stays for `docker cp`
 * style access; made in the daemon's mount namespace. Idempotent.
 */
export async function mountOverlay(layout: OverlayLayout): Promise<void> {
  if (await isMounted(layout.target)) return;
  for (const dir of [layout.lower, layout.upper, layout.work]) {
    if (/[,:]/.test(dir)) throw internal('ERR_OVERLAY_PATH', `overlay path "${dir}" must not contain "," or ":"`);
  }
  const options = `lowerdir=${layout.lower},upperdir=${layout.upper},workdir=${layout.work}`;
  try {
    await run('mount', ['-t', 'overlay', 'overlay', '-o', options, layout.target]);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim() ?? String(error);
    throw internal('ERR_OVERLAY_MOUNT', `cannot mount container rootfs at ${layout.target}: ${stderr}`, { cause: error });
  }
}

/** Unmounts if mounted; falls back to a lazy unmount when something still holds it busy. */
export async function unmount(target: string): Promise<void> {
  if (!(await isMounted(target))) return;
  try {
    await run('umount', [target]);
  } catch {
    await run('umount', ['-l', target]);
  }
}
