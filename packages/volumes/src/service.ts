import { conflict, invalid, isTsnetError, notFound, unavailable } from '@tsnet/errors';
import type { Store } from '@tsnet/store';
import { LocalDriver } from './drivers/local.js';
import { RemoteDriver } from './drivers/remote.js';
import type { VolumeDriver } from './drivers/types.js';
import { matchLabels, matchName, normalizeFilters, parseBoolFilter, type FilterInput } from './filters.js';
import { ANONYMOUS_LABEL, anonymousVolumeName, parseVolumeName, type VolumeName } from './names.js';

/** Docker's volume JSON (`volume inspect`, `GET /volumes`). */
export interface Volume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Scope: 'local' | 'global';
  Options: Record<string, string>;
  Status?: Record<string, unknown>;
}

/** `POST /volumes/create` body. */
export interface VolumeCreateRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string>;
  Labels?: Record<string, string>;
}

interface VolumeRecord {
  Name: VolumeName;
  Driver: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Options: Record<string, string>;
}

export interface VolumeServiceOptions {
  store: Store;
  /** The data root: local volumes live under `<root>/volumes`. */
  root: string;
  /** Extra drivers (local is always there); unknown driver names are looked up as plugins. */
  drivers?: VolumeDriver[];
  /** Where volume plugins are discovered (default /run/docker/plugins). */
  pluginDir?: string;
  /** Store prefix (default `/volumes/`). */
  prefix?: string;
}

const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The volume service: metadata and references in the store, data in drivers.
 *
 * References (container ids holding a volume, from container create to container rm) are
 * persisted as one key each, `<prefix>refs/<name>/<containerId>`, so they survive a restart
 * without the engine re-registering anything; `retainRefs(liveIds)` drops the refs of containers
 * that vanished while the daemon was down. Everything is cached in memory at `open()`: one daemon
 * owns its data root (the file store is locked), so the cache is the truth and reads cost nothing.
 */
export class VolumeService {
  readonly #store: Store;
  readonly #prefix: string;
  readonly #pluginDir: string | undefined;
  readonly #drivers = new Map<string, VolumeDriver>();
  readonly #volumes = new Map<string, VolumeRecord>();
  readonly #refs = new Map<string, Set<string>>();
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly local: LocalDriver;

  private constructor(options: VolumeServiceOptions) {
    this.#store = options.store;
    this.#prefix = options.prefix ?? '/volumes/';
    this.#pluginDir = options.pluginDir;
    this.local = new LocalDriver({ root: options.root });
    this.#drivers.set('local', this.local);
    for (const d of options.drivers ?? []) this.#drivers.set(d.name, d);
  }

  static async open(options: VolumeServiceOptions): Promise<VolumeService> {
    const service = new VolumeService(options);
    await service.#load();
    await service.local.sweep(new Set(service.#volumes.keys()));
    return service;
  }

  async #load(): Promise<void> {
    for (const e of await this.#store.list(`${this.#prefix}volumes/`)) {
      const record = JSON.parse(e.value) as VolumeRecord;
      this.#volumes.set(record.Name, record);
    }
    for (const e of await this.#store.list(`${this.#prefix}refs/`)) {
      const [name, id] = e.key.slice(`${this.#prefix}refs/`.length).split('/');
      if (name && id) this.#refSet(name).add(id);
    }
  }

  #volumeKey = (name: string): string => `${this.#prefix}volumes/${name}`;
  #refKey = (name: string, id: string): string => `${this.#prefix}refs/${name}/${id}`;
  #refSet(name: string): Set<string> {
    let set = this.#refs.get(name);
    if (!set) this.#refs.set(name, (set = new Set()));
    return set;
  }

  /** Serialises operations on one volume name (create vs remove vs ref). */
  async #locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(name) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.#locks.set(name, tail);
    try {
      return await next;
    } finally {
      if (this.#locks.get(name) === tail) this.#locks.delete(name);
    }
  }

  /** The driver by name: built in, registered, or a plugin found in the plugin directory. */
  async driver(name: string): Promise<VolumeDriver> {
    const known = this.#drivers.get(name);
    if (known) return known;
    const remote = new RemoteDriver(name, this.#pluginDir === undefined ? {} : { pluginDir: this.#pluginDir });
    await remote.activate();
    this.#drivers.set(name, remote);
    return remote;
  }

  /**
   * Creates a volume, or returns the existing one of that name (Docker ignores the new options
   * then). Without a name: a 64-hex anonymous volume labelled com.docker.volume.anonymous.
   * `ref` adds a reference in the same step (container create).
   */
  async create(req: VolumeCreateRequest = {}, options: { ref?: string } = {}): Promise<Volume> {
    const labels = { ...(req.Labels ?? {}) };
    let name: VolumeName;
    if (req.Name) name = parseVolumeName(req.Name);
    else {
      name = anonymousVolumeName();
      labels[ANONYMOUS_LABEL] = '';
    }
    return this.#locked(name, async () => {
      const existing = this.#volumes.get(name);
      if (existing) {
        if (req.Driver && req.Driver !== existing.Driver) {
          throw conflict('ERR_VOLUME_DRIVER_CONFLICT', `A volume named ${name} already exists with the "${existing.Driver}" driver. Choose a different volume name`, { details: { name, driver: existing.Driver } });
        }
      } else {
        await this.#createNew({ Name: name, Driver: req.Driver || 'local', CreatedAt: rfc3339(new Date()), Labels: labels, Options: { ...(req.DriverOpts ?? {}) } });
      }
      if (options.ref !== undefined) await this.#addRef(name, options.ref);
      return this.#toJson(this.#volumes.get(name)!);
    });
  }

  async #createNew(record: VolumeRecord): Promise<void> {
    const driver = await this.driver(record.Driver);
    driver.validateOptions(record.Options);
    // Record and data dir are made side by side (the fsync overlaps the mkdirs). A crash between
    // leaves either a record whose dir the driver makes again on mount, or an empty dir without a
    // record, which the next open() sweeps.
    const [put, made] = await Promise.allSettled([
      this.#store.put(this.#volumeKey(record.Name), JSON.stringify(record), { expectedRevision: 0 }),
      driver.create(record.Name, record.Options),
    ]);
    if (put.status === 'rejected' || made.status === 'rejected') {
      if (put.status === 'fulfilled') await this.#store.delete(this.#volumeKey(record.Name));
      if (made.status === 'fulfilled' && driver === this.local) await this.local.removeIfEmpty(record.Name);
      throw put.status === 'rejected' ? put.reason : (made as PromiseRejectedResult).reason;
    }
    this.#volumes.set(record.Name, record);
  }

  #record(name: string): VolumeRecord {
    const record = this.#volumes.get(name);
    if (!record) throw notFound('ERR_VOLUME_NOT_FOUND', `get ${name}: no such volume`, { details: { name } });
    return record;
  }

  async #toJson(r: VolumeRecord): Promise<Volume> {
    let mountpoint = '';
    const driver = this.#drivers.get(r.Driver);
    if (driver) mountpoint = await driver.path(r.Name).catch(() => '');
    return { CreatedAt: r.CreatedAt, Driver: r.Driver, Labels: { ...r.Labels }, Mountpoint: mountpoint, Name: r.Name, Options: { ...r.Options }, Scope: driver?.scope ?? 'local' };
  }

  async get(name: string): Promise<Volume> {
    return this.#toJson(this.#record(name));
  }

  has(name: string): boolean {
    return this.#volumes.has(name);
  }

  /** `GET /volumes`: filters name (regexp), label / label!, dangling, driver. */
  async list(filters?: FilterInput): Promise<{ Volumes: Volume[]; Warnings: string[] }> {
    const f = normalizeFilters(filters, ['name', 'label', 'label!', 'dangling', 'driver']);
    const dangling = f.has('dangling') ? parseBoolFilter('dangling', f.get('dangling')!) : undefined;
    const out: Volume[] = [];
    for (const r of [...this.#volumes.values()].sort((a, b) => a.Name.localeCompare(b.Name))) {
      if (f.has('name') && !matchName(r.Name, f.get('name')!)) continue;
      if (f.has('driver') && !f.get('driver')!.includes(r.Driver)) continue;
      if (f.has('label') && !matchLabels(r.Labels, f.get('label')!)) continue;
      if (f.has('label!') && !matchLabels(r.Labels, f.get('label!')!, true)) continue;
      if (dangling !== undefined && dangling !== (this.refs(r.Name).length === 0)) continue;
      out.push(await this.#toJson(r));
    }
    return { Volumes: out, Warnings: [] };
  }

  /**
   * `volume rm`: refused while referenced (conflict ERR_VOLUME_IN_USE naming the holders, even
   * with force). `force` makes a missing volume a no-op and drops the record of a volume whose
   * driver is gone.
   */
  async remove(name: string, options: { force?: boolean } = {}): Promise<void> {
    await this.#locked(name, async () => {
      const record = this.#volumes.get(name);
      if (!record) {
        if (options.force) return;
        throw notFound('ERR_VOLUME_NOT_FOUND', `get ${name}: no such volume`, { details: { name } });
      }
      const holders = this.refs(name);
      if (holders.length > 0) {
        throw conflict('ERR_VOLUME_IN_USE', `remove ${name}: volume is in use - [${holders.join(', ')}]`, { details: { name, holders } });
      }
      let driver: VolumeDriver | undefined;
      try {
        driver = await this.driver(record.Driver);
      } catch (error) {
        if (!options.force) throw unavailable('ERR_VOLUME_DRIVER_NOT_FOUND', `remove ${name}: driver "${record.Driver}" is not available`, { cause: error, details: { name } });
      }
      if (driver) await driver.remove(record.Name, record.Options);
      await this.#store.txn({ success: [{ op: 'delete', key: this.#volumeKey(name) }, { op: 'deletePrefix', prefix: `${this.#prefix}refs/${name}/` }] });
      this.#volumes.delete(name);
      this.#refs.delete(name);
    });
  }

  /**
   * `volume prune`: unreferenced local-scope volumes; anonymous ones only unless `all`
   * (or the filter `all=true`); label filters ANDed.
   */
  async prune(options: { all?: boolean; filters?: FilterInput } = {}): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
    const f = normalizeFilters(options.filters, ['label', 'label!', 'all']);
    const all = options.all === true || (f.has('all') && parseBoolFilter('all', f.get('all')!));
    const deleted: string[] = [];
    let space = 0;
    for (const r of [...this.#volumes.values()]) {
      if (this.refs(r.Name).length > 0) continue;
      if (!all && !Object.hasOwn(r.Labels, ANONYMOUS_LABEL)) continue;
      if (f.has('label') && !matchLabels(r.Labels, f.get('label')!)) continue;
      if (f.has('label!') && !matchLabels(r.Labels, f.get('label!')!, true)) continue;
      const driver = this.#drivers.get(r.Driver);
      if (driver && driver.scope !== 'local') continue;
      const size = driver ? await driver.usage(r.Name) : -1;
      try {
        await this.remove(r.Name);
      } catch (error) {
        if (isTsnetError(error, 'ERR_VOLUME_IN_USE')) continue; // taken meanwhile
        throw error;
      }
      deleted.push(r.Name);
      if (size > 0) space += size;
    }
    return { VolumesDeleted: deleted, SpaceReclaimed: space };
  }

  /** Container ids holding `name`, sorted. */
  refs(name: string): string[] {
    return [...(this.#refs.get(name) ?? [])].sort();
  }

  async addRef(name: string, containerId: string): Promise<void> {
    await this.#locked(name, () => this.#addRef(name, containerId));
  }

  async #addRef(name: string, containerId: string): Promise<void> {
    this.#record(name);
    if (!/^[A-Za-z0-9_.-]+$/.test(containerId)) throw invalid('ERR_CONTAINER_ID_INVALID', `invalid container id "${containerId}"`);
    if (this.#refSet(name).has(containerId)) return;
    await this.#store.put(this.#refKey(name, containerId), '');
    this.#refSet(name).add(containerId);
  }

  async removeRef(name: string, containerId: string): Promise<void> {
    await this.#locked(name, async () => {
      if (!this.#refs.get(name)?.has(containerId)) return;
      await this.#store.delete(this.#refKey(name, containerId));
      this.#refs.get(name)!.delete(containerId);
    });
  }

  /** After a restart: keeps only references held by containers that still exist. */
  async retainRefs(liveContainerIds: Iterable<string>): Promise<string[]> {
    const live = new Set(liveContainerIds);
    const dropped: string[] = [];
    for (const [name, ids] of this.#refs) {
      for (const id of [...ids]) {
        if (live.has(id)) continue;
        await this.removeRef(name, id);
        dropped.push(`${name}/${id}`);
      }
    }
    return dropped;
  }

  /** Mounts the volume for a container (first use mounts, e.g. a tmpfs-typed local volume). */
  async mount(name: string, containerId: string): Promise<string> {
    const r = this.#record(name);
    const driver = await this.driver(r.Driver);
    return driver.mount(r.Name, containerId, r.Options);
  }

  async unmount(name: string, containerId: string): Promise<void> {
    const r = this.#volumes.get(name);
    if (!r) return;
    const driver = await this.driver(r.Driver);
    await driver.unmount(r.Name, containerId, r.Options);
  }
}
