import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageDeleteItem } from '../images/index.js';
import { summarizeContainer } from '../services/container-view.js';
import type { ApiServices } from './context.js';
import { createdUntil, labelsMatch } from './filters.js';

/** Bytes under `dir` (files counted once per inode, symlinks not followed); a missing dir is 0. */
export async function dirSize(dir: string, seen = new Set<string>()): Promise<number> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let total = 0;
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) total += await dirSize(path, seen);
    else {
      const st = await lstat(path).catch(() => undefined);
      if (!st || seen.has(`${st.dev}:${st.ino}`)) continue;
      seen.add(`${st.dev}:${st.ino}`);
      total += st.size;
    }
  }
  return total;
}

/** Which containers use each image id and each volume name. */
function usage(s: ApiServices): { images: Map<string, number>; volumes: Map<string, number> } {
  const images = new Map<string, number>();
  const volumes = new Map<string, number>();
  for (const r of s.containers.records()) {
    images.set(r.imageId, (images.get(r.imageId) ?? 0) + 1);
    for (const name of new Set(r.mountPlan.mounts.flatMap((m) => (m.name ? [m.name] : [])))) volumes.set(name, (volumes.get(name) ?? 0) + 1);
  }
  return { images, volumes };
}

/** `GET /system/df` (`docker system df`): images, containers, volumes with their sizes; no build cache. */
export async function systemDf(s: ApiServices): Promise<Record<string, unknown>> {
  const used = usage(s);
  const images = s.images.list().map((i) => ({ ...i, Containers: used.images.get(i.Id) ?? 0 }));
  const containers = s.containers.records().reverse().map((r) => ({ ...summarizeContainer(s.controller, r, s.runtime.state(r.id)), SizeRw: 0, SizeRootFs: 0 }));
  const { Volumes } = await s.volumes.list();
  const volumes = await Promise.all(Volumes.map(async (v) => ({ ...v, UsageData: { Size: await dirSize(v.Mountpoint), RefCount: used.volumes.get(v.Name) ?? 0 } })));
  return {
    LayersSize: images.reduce((sum, i) => sum + i.Size, 0),
    Images: images,
    Containers: containers,
    Volumes: volumes,
    BuildCache: [],
  };
}

/**
 * `POST /images/prune`: images no container uses; only untagged ones unless `dangling=false`
 * (`prune -a`). Removal goes through the image store's own rules.
 */
export async function pruneImages(s: ApiServices, danglingOnly: boolean, filters: Map<string, string[]> = new Map()): Promise<{ ImagesDeleted: ImageDeleteItem[]; SpaceReclaimed: number }> {
  const used = usage(s).images;
  const deleted: ImageDeleteItem[] = [];
  let space = 0;
  for (const i of s.images.list()) {
    if (used.has(i.Id) || (danglingOnly && i.RepoTags.length > 0)) continue;
    if (!labelsMatch(i.Labels ?? {}, filters) || !createdUntil(new Date(i.Created * 1000).toISOString(), filters)) continue;
    const items = await s.images.remove(i.Id, { force: i.RepoTags.length > 1 }).catch(() => undefined);
    if (!items) continue;
    deleted.push(...items);
    if (items.some((x) => 'Deleted' in x)) space += i.Size;
  }
  return { ImagesDeleted: deleted, SpaceReclaimed: space };
}
