import { lstatSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import { forbidden, invalid } from '@tsnet/errors';

const MAX_SYMLINKS = 255;

const splitParts = (p: string): string[] => p.split('/').filter((c) => c !== '' && c !== '.');

function lstatOrNull(p: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(p);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/**
 * filepath-securejoin's `SecureJoin`: `unsafe` is resolved as if `root` were `/` — `..` stops at
 * the root, absolute symlinks restart at the root, relative ones resolve in place — so the result
 * is always inside `root`. Used to find image content for copy-up (the image is the container's
 * view of the world: a link to /etc means the image's /etc, never the host's).
 * Missing trailing components are kept lexically.
 */
export function secureJoin(root: string, unsafe: string): string {
  const resolved: string[] = [];
  let pending = splitParts(unsafe);
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = posix.join(root, ...resolved, part);
    const st = lstatOrNull(candidate);
    if (!st?.isSymbolicLink()) {
      resolved.push(part);
      continue;
    }
    links += 1;
    if (links > MAX_SYMLINKS) throw invalid('ERR_PATH_SYMLINK_LOOP', `too many symlinks resolving ${unsafe} in ${root}`);
    const target = readlinkSync(candidate);
    if (target.startsWith('/')) resolved.length = 0;
    pending = [...splitParts(target), ...pending];
  }
  return posix.join(root, ...resolved);
}

/**
 * Strict resolution of a path that must stay inside `root` (a volume subpath): it must be
 * relative, and `..` or a symlink that would leave `root` (or any absolute symlink, which points
 * somewhere only the host knows) is refused with ERR_PATH_ESCAPES. Symlinks inside are followed.
 */
export function resolveInside(root: string, rel: string, what = 'path'): string {
  const escape = (why: string): never => {
    throw forbidden('ERR_PATH_ESCAPES', `${what} "${rel}" ${why} "${root}"`, { details: { root, path: rel } });
  };
  if (rel.startsWith('/')) escape('is absolute; it must be relative to');
  const resolved: string[] = [];
  let pending = splitParts(rel);
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      if (resolved.length === 0) escape('climbs out of');
      resolved.pop();
      continue;
    }
    const candidate = posix.join(root, ...resolved, part);
    const st = lstatOrNull(candidate);
    if (!st?.isSymbolicLink()) {
      resolved.push(part);
      continue;
    }
    links += 1;
    if (links > MAX_SYMLINKS) escape('has too many symlinks under');
    const target = readlinkSync(candidate);
    if (target.startsWith('/')) escape(`goes through an absolute symlink (${part} -> ${target}) out of`);
    pending = [...splitParts(target), ...pending];
  }
  return posix.join(root, ...resolved);
}

/**
 * A mount destination inside a container rootfs. Absolute symlinks are fine (runc resolves them
 * within the rootfs, as secureJoin does: images do have /var/run -> /run), but a relative symlink
 * that climbs above the rootfs only makes sense as a way out for a host-side follower — the
 * CVE-2018-15664 / CVE-2021-30465 shape — so it is refused (ERR_MOUNT_TARGET_ESCAPES).
 * Returns the target's host path, resolved inside the rootfs.
 */
export function checkMountTarget(rootfs: string, destination: string): string {
  const resolved: string[] = [];
  let pending = splitParts(destination);
  let links = 0;
  let viaLink = 0; // how many pending parts came from symlink targets (a `..` there is the link's doing)
  while (pending.length > 0) {
    const part = pending.shift()!;
    const fromLink = viaLink > 0;
    if (viaLink > 0) viaLink -= 1;
    if (part === '..') {
      if (resolved.length === 0 && fromLink) {
        throw forbidden('ERR_MOUNT_TARGET_ESCAPES', `mount target ${destination} resolves outside the container rootfs through a symlink`, { details: { destination, rootfs } });
      }
      resolved.pop();
      continue;
    }
    const candidate = posix.join(rootfs, ...resolved, part);
    const st = lstatOrNull(candidate);
    if (!st?.isSymbolicLink()) {
      resolved.push(part);
      continue;
    }
    links += 1;
    if (links > MAX_SYMLINKS) throw invalid('ERR_PATH_SYMLINK_LOOP', `too many symlinks resolving ${destination} in ${rootfs}`);
    const target = readlinkSync(candidate);
    if (target.startsWith('/')) resolved.length = 0;
    const parts = splitParts(target);
    viaLink += parts.length;
    pending = [...parts, ...pending];
  }
  return posix.join(rootfs, ...resolved);
}
