import { mkdir, rm, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { conflict, invalid } from '@tsnet/errors';
import { mountFs, unmountFs, isMountPoint } from '../mount.js';
import type { VolumeName } from '../names.js';
import type { VolumeDriver } from './types.js';

const validOpts = new Set(['type', 'o', 'device', 'size']);
/** volume/local: each option needs its partners (`o` alone means nothing to mount). */
const mandatoryOpts: Record<string, string[]> = { device: ['type'], type: ['device'], o: ['device', 'type'] };

export interface LocalDriverOptions {
  /** The data root; volumes live in `<root>/volumes/<name>/_data`. */
  root: string;
}

/**
 * Docker's `local` driver. A volume is a directory; with `type`/`device`/`o` it is a mount made on
 * first use (`type=tmpfs,device=tmpfs,o=size=100m`, `type=none,o=bind,device=/path`, nfs...) and
 * unmounted when its last user leaves. Users are counted per container id in memory: after a
 * daemon restart the engine's prepare of each running container re-registers its use, and an
 * existing mount is adopted rather than stacked.
 */
export class LocalDriver implements VolumeDriver {
  readonly name = 'local';
  readonly scope = 'local' as const;
  readonly volumesDir: string;
  readonly #users = new Map<string, Set<string>>();

  constructor(options: LocalDriverOptions) {
    this.volumesDir = join(options.root, 'volumes');
  }

  dataPath(name: VolumeName): string {
    return join(this.volumesDir, name, '_data');
  }

  validateOptions(opts: Record<string, string>): void {
    for (const key of Object.keys(opts)) {
      if (!validOpts.has(key)) throw invalid('ERR_VOLUME_OPTION_INVALID', `invalid option: "${key}"`, { details: { option: key } });
    }
    // Quotas need project quotas on the backing filesystem, which tsnet does not manage (as Docker without them).
    if (opts['size'] !== undefined) {
      throw invalid('ERR_VOLUME_OPTION_INVALID', 'quota size requested but no quota support', { details: { option: 'size' } });
    }
    for (const [opt, needs] of Object.entries(mandatoryOpts)) {
      if (opts[opt] === undefined) continue;
      for (const need of needs) {
        if (opts[need] === undefined) throw invalid('ERR_VOLUME_OPTION_INVALID', `missing required option: "${need}"`, { details: { option: need } });
      }
    }
  }

  async create(name: VolumeName, _opts: Record<string, string>): Promise<void> {
    await mkdir(this.volumesDir, { recursive: true, mode: 0o701 });
    await mkdir(join(this.volumesDir, name), { recursive: true, mode: 0o701 });
    await mkdir(this.dataPath(name), { recursive: true, mode: 0o755 });
  }

  async remove(name: VolumeName, _opts: Record<string, string>): Promise<void> {
    const users = this.#users.get(name);
    if (users && users.size > 0) {
      throw conflict('ERR_VOLUME_IN_USE', `remove ${name}: volume is in use - [${[...users].join(', ')}]`, { details: { holders: [...users] } });
    }
    await unmountFs(this.dataPath(name));
    // Never recurse through a still-mounted filesystem: that would delete a bind source's files.
    if (isMountPoint(this.dataPath(name))) {
      throw conflict('ERR_VOLUME_IN_USE', `remove ${name}: volume data is still mounted at ${this.dataPath(name)}`);
    }
    await rm(join(this.volumesDir, name), { recursive: true, force: true });
    this.#users.delete(name);
  }

  /** Removes the volume's directory if its data dir is empty and unmounted (undoing a create). */
  async removeIfEmpty(name: string): Promise<boolean> {
    const data = join(this.volumesDir, name, '_data');
    if (isMountPoint(data)) return false;
    const entries = await readdir(data).catch(() => [] as string[]);
    if (entries.length > 0) return false;
    await rm(join(this.volumesDir, name), { recursive: true, force: true });
    return true;
  }

  /**
   * At open: directories without a record are leftovers of a create cut short by a crash. Empty
   * ones go; one holding data is left alone (and returned) — data is never deleted on a guess.
   */
  async sweep(known: Set<string>): Promise<string[]> {
    const names = await readdir(this.volumesDir).catch(() => [] as string[]);
    const kept: string[] = [];
    for (const name of names) {
      if (name.startsWith('.') || known.has(name)) continue;
      if (!(await this.removeIfEmpty(name))) kept.push(name);
    }
    return kept;
  }

  async mount(name: VolumeName, containerId: string, opts: Record<string, string>): Promise<string> {
    const path = this.dataPath(name);
    await mkdir(path, { recursive: true, mode: 0o755 });
    const users = this.#users.get(name) ?? new Set<string>();
    if (needsMount(opts) && users.size === 0 && !isMountPoint(path)) {
      await mountFs({ type: opts['type'] ?? '', device: opts['device'] ?? '', options: opts['o'] ?? '', target: path });
    }
    users.add(containerId);
    this.#users.set(name, users);
    return path;
  }

  async unmount(name: VolumeName, containerId: string, opts: Record<string, string>): Promise<void> {
    const users = this.#users.get(name);
    users?.delete(containerId);
    if (users && users.size > 0) return;
    this.#users.delete(name);
    if (needsMount(opts)) await unmountFs(this.dataPath(name));
  }

  /** Container ids currently using the volume's data (mount without a matching unmount). */
  users(name: VolumeName): string[] {
    return [...(this.#users.get(name) ?? [])];
  }

  async path(name: VolumeName): Promise<string> {
    return this.dataPath(name);
  }

  async usage(name: VolumeName): Promise<number> {
    return directorySize(this.dataPath(name));
  }
}

function needsMount(opts: Record<string, string>): boolean {
  return Boolean(opts['device'] || opts['type']);
}

/** Sum of file sizes, each inode counted once (hardlinks), like Docker's `directory.Size`. */
export async function directorySize(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      const st = await lstat(p);
      if (e.isDirectory()) {
        await walk(p);
        continue;
      }
      const key = `${st.dev}:${st.ino}`;
      if (st.nlink > 1 && seen.has(key)) continue;
      seen.add(key);
      total += st.size;
    }
  };
  await walk(dir);
  return total;
}
