import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { internal } from '@tsnet/errors';

const run = promisify(execFile);

/**
 * Mounts with mount(8) in the calling process's mount namespace: it knows every filesystem type
 * and option spelling (`o=addr=...`, `bind`, `size=`), which a hand-rolled mount(2) call would
 * have to re-learn. Called only on the first use of a volume, so the fork is off the hot path.
 */
export async function mountFs(spec: { type: string; device: string; options: string; target: string }): Promise<void> {
  const argv = ['-t', spec.type];
  if (spec.options !== '') argv.push('-o', spec.options);
  argv.push('--', spec.device, spec.target);
  try {
    await run('mount', argv);
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    throw internal('ERR_VOLUME_MOUNT_FAILED', `failed to mount local volume: mount ${spec.device} on ${spec.target}: ${redact(stderr, spec.options)}`, {
      cause: error,
      details: { target: spec.target, type: spec.type },
    });
  }
}

/** Never echo a CIFS password back (Docker redacts it the same way). */
function redact(text: string, options: string): string {
  const password = /(?:^|,)password=([^,]*)/.exec(options)?.[1];
  return password ? text.replaceAll(password, '********') : text;
}

export async function unmountFs(target: string): Promise<void> {
  if (!isMountPoint(target)) return;
  try {
    await run('umount', ['--', target]);
  } catch (error) {
    if (!isMountPoint(target)) return;
    throw internal('ERR_VOLUME_UNMOUNT_FAILED', `failed to unmount ${target}: ${String((error as { stderr?: string }).stderr ?? '').trim()}`, {
      cause: error,
      details: { target },
    });
  }
}

/** mountinfo escapes space, tab, newline and backslash as \ooo octal. */
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

/** Mount points of this process's mount namespace (field 5 of /proc/self/mountinfo). */
export function mountPoints(): Set<string> {
  const out = new Set<string>();
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const field = line.split(' ')[4];
    if (field) out.add(unescape(field));
  }
  return out;
}

export function isMountPoint(path: string): boolean {
  return mountPoints().has(path);
}
