import { chown, chmod, lstat, readdir, rename, rm, utimes } from 'node:fs/promises';
import { join } from 'node:path';

const OPAQUE = '.wh..wh..opq';
const WHITEOUT = '.wh.';

/**
 * Merges one extracted layer (`layerDir`, a fresh directory the layer tar was unpacked into) onto
 * the image filesystem built so far, with the overlay semantics of Docker's layer format:
 * `.wh.NAME` deletes NAME from the layers below, `.wh..wh..opq` hides everything below in that
 * directory, a directory merges into a directory, anything else replaces what was there.
 *
 * Why not untar each layer straight onto the rootfs: a lower layer's symlink (`etc -> /`) would
 * let the next layer's `etc/passwd` write outside. Here every step goes through `lstat`, names
 * come from readdir (no `/`, no `..`) and renames stay inside one filesystem, so nothing is
 * followed and nothing is copied.
 */
export async function mergeLayer(layerDir: string, rootfs: string): Promise<void> {
  await mergeDir(layerDir, rootfs);
}

async function mergeDir(src: string, dst: string): Promise<void> {
  const names = await readdir(src);
  if (names.includes(OPAQUE)) {
    for (const name of await readdir(dst)) await rm(join(dst, name), { recursive: true, force: true });
  }
  for (const name of names) {
    if (!name.startsWith(WHITEOUT) || name === OPAQUE) continue;
    const target = name.slice(WHITEOUT.length);
    if (target === '' || target === '.' || target === '..') continue;
    await rm(join(dst, target), { recursive: true, force: true });
  }
  for (const name of names) {
    if (name.startsWith(WHITEOUT)) continue;
    await mergeEntry(join(src, name), join(dst, name));
  }
}

async function mergeEntry(src: string, dst: string): Promise<void> {
  const from = await lstat(src);
  const to = await lstat(dst).catch(() => undefined);
  if (from.isDirectory() && to?.isDirectory()) {
    await mergeDir(src, dst);
    // The upper layer's directory metadata wins, as in overlayfs.
    await chown(dst, from.uid, from.gid);
    await chmod(dst, from.mode & 0o7777);
    await utimes(dst, from.atime, from.mtime);
    return;
  }
  if (to) await rm(dst, { recursive: true, force: true });
  await rename(src, dst);
}

/** Bytes used by a tree (sum of lstat sizes), for the image's Size. */
export async function treeSize(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await treeSize(path);
    else total += (await lstat(path)).size;
  }
  return total;
}
