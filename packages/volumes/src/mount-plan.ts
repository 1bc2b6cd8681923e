import { chown, lstat, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { invalid, isTsnetError, runAll } from '@tsnet/errors';
import { copyUp } from './copyup.js';
import { ANONYMOUS_LABEL } from './names.js';
import { DEFAULT_SHM_SIZE, planMountRecords, type PlanInput } from './plan.js';
import { checkMountTarget, resolveInside, secureJoin } from './securejoin.js';
import type { VolumeService } from './service.js';
import { tmpfsMountOptions } from './spec/tmpfs.js';
import type { MountRecord } from './spec/types.js';

/** One entry of an OCI runtime-spec `mounts` array. */
export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

/** Docker's inspect `Mounts[]` entry. */
export interface InspectMount {
  Type: string;
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

export interface PlanData {
  containerId: string;
  mounts: MountRecord[];
  shmSize: number;
}

export interface PrepareOptions {
  /** The container's root filesystem: copy-up source and mount-target checks. */
  imageRootfs?: string;
  /** syncfs after copy-up before it counts as complete (default true). */
  durable?: boolean;
}

/**
 * A container's mounts: planned at container create, persisted by the engine (`toJSON`,
 * `MountPlan.restore`), prepared at every start, released at stop, unregistered at rm.
 */
export class MountPlan {
  readonly containerId: string;
  readonly mounts: MountRecord[];
  readonly shmSize: number;

  private constructor(data: PlanData) {
    this.containerId = data.containerId;
    this.mounts = data.mounts.map((m) => ({ ...m }));
    this.shmSize = data.shmSize;
  }

  static restore(data: PlanData): MountPlan {
    return new MountPlan(data);
  }

  toJSON(): PlanData {
    return { containerId: this.containerId, mounts: this.mounts.map((m) => ({ ...m })), shmSize: this.shmSize };
  }

  /** Records to hand to another container's `--volumes-from`. */
  records(): MountRecord[] {
    return this.mounts.map((m) => ({ ...m }));
  }

  /** Docker's inspect `Mounts` (as Docker, `--tmpfs` mounts are not listed). */
  inspectMounts(): InspectMount[] {
    return this.mounts.filter((m) => m.origin !== 'tmpfs-flag').map((m) => {
      if (m.type !== 'volume') return { Type: m.type, Source: m.source, Destination: m.destination, Mode: m.mode, RW: m.rw, Propagation: m.propagation };
      return { Type: m.type, Name: m.name, Source: m.source, Destination: m.destination, Driver: m.driver, Mode: m.mode, RW: m.rw, Propagation: m.propagation };
    });
  }

  /**
   * Container create: creates named volumes on first use and the anonymous ones, and takes a
   * reference on every volume for this container (idempotent). Fills each volume's source.
   */
  async register(service: VolumeService): Promise<void> {
    for (const m of this.mounts) {
      if (m.type !== 'volume') continue;
      if (m.origin === 'volumes-from') {
        await service.addRef(m.name, this.containerId);
      } else {
        const labels = m.anonymous ? { ...m.volumeLabels, [ANONYMOUS_LABEL]: '' } : m.volumeLabels;
        await service.create({ Name: m.name, ...(m.driver ? { Driver: m.driver } : {}), DriverOpts: m.volumeOptions, Labels: labels }, { ref: this.containerId });
      }
      const volume = await service.get(m.name);
      m.source = volume.Mountpoint;
      m.driver = volume.Driver;
      // daemon setBindModeIfNull: local volumes show mode "z" in inspect.
      if (m.driver === 'local' && m.mode === '' && m.origin !== 'volumes-from') m.mode = 'z';
    }
  }

  /**
   * Container rm: drops this container's references; with `removeAnonymous` (`rm -v`) removes
   * its anonymous volumes that nobody else holds.
   */
  async unregister(service: VolumeService, options: { removeAnonymous?: boolean } = {}): Promise<void> {
    const volumes = this.mounts.filter((m) => m.type === 'volume');
    await runAll(`unregister mounts of ${this.containerId}`, volumes.map((m) => async () => {
      await service.removeRef(m.name, this.containerId);
      if (!options.removeAnonymous || !m.anonymous || m.origin === 'volumes-from') return;
      await service.remove(m.name).catch((error: unknown) => {
        if (!isTsnetError(error, 'ERR_VOLUME_IN_USE') && !isTsnetError(error, 'ERR_VOLUME_NOT_FOUND')) throw error;
      });
    }));
  }

  /**
   * Container start: registers, makes `-v` bind sources, mounts volumes, resolves subpaths,
   * copies image content into empty volumes, checks targets. Undoes its mounts on failure.
   */
  async prepare(service: VolumeService, options: PrepareOptions = {}): Promise<PreparedMounts> {
    await this.register(service);
    const prepared: PreparedMount[] = [];
    const release = (): Promise<void> => releaseAll(service, this.containerId, prepared);
    try {
      for (const m of this.mounts) {
        if (options.imageRootfs !== undefined) checkMountTarget(options.imageRootfs, m.destination);
        await this.#prepareOne(service, m, options, prepared);
      }
    } catch (error) {
      await release().catch(() => undefined);
      throw error;
    }
    return new PreparedMounts(prepared, this.shmSize, release);
  }

  /** Appends to `prepared` as soon as something is mounted, so a later failure releases it. */
  async #prepareOne(service: VolumeService, m: MountRecord, options: PrepareOptions, prepared: PreparedMount[]): Promise<void> {
    if (m.type === 'tmpfs') {
      prepared.push({ record: m, hostPath: 'tmpfs', mounted: false });
      return;
    }
    if (m.type === 'bind') {
      await ensureBindSource(m);
      prepared.push({ record: m, hostPath: m.source, mounted: false });
      return;
    }
    const root = await service.mount(m.name, this.containerId);
    const entry: PreparedMount = { record: m, hostPath: root, mounted: true };
    prepared.push(entry);
    if (m.subpath !== '') {
      entry.hostPath = resolveInside(root, m.subpath, 'volume subpath');
      await stat(entry.hostPath).catch((error: unknown) => {
        throw invalid('ERR_VOLUME_SUBPATH', `cannot access path ${entry.hostPath}: ${(error as Error).message}`, { cause: error });
      });
    } else if (m.copyData && m.origin !== 'volumes-from' && options.imageRootfs !== undefined) {
      const source = secureJoin(options.imageRootfs, m.destination);
      const st = await stat(source).catch(() => undefined);
      if (st && !st.isDirectory()) {
        throw invalid('ERR_MOUNT_OVER_FILE', `cannot mount volume over existing file, file exists ${source}`, { details: { destination: m.destination } });
      }
      await copyUp({
        source,
        target: root,
        marker: join(service.local.volumesDir, '.copyup', m.name),
        ...(options.durable === undefined ? {} : { durable: options.durable }),
      });
    }
  }
}

interface PreparedMount {
  record: MountRecord;
  hostPath: string;
  mounted: boolean;
}

async function releaseAll(service: VolumeService, containerId: string, prepared: PreparedMount[]): Promise<void> {
  const mounted = prepared.filter((p) => p.mounted).reverse();
  prepared.length = 0;
  await runAll(`release mounts of ${containerId}`, mounted.map((p) => () => service.unmount(p.record.name, containerId)));
}

/** A `-v` bind source is created (0755, root); any other missing bind source is an error. */
async function ensureBindSource(m: MountRecord): Promise<void> {
  const st = await lstat(m.source).catch(() => undefined);
  if (st) return;
  if (!m.createSource) {
    throw invalid('ERR_BIND_SOURCE_MISSING', `invalid mount config for type "bind": bind source path does not exist: ${m.source}`, { details: { source: m.source } });
  }
  await mkdir(m.source, { recursive: true, mode: 0o755 });
  await chown(m.source, 0, 0).catch(() => undefined);
}

/** The mounts of one started container: OCI mounts for runc, and `release()` at stop. */
export class PreparedMounts {
  readonly #mounts: PreparedMount[];
  readonly #shmSize: number;
  readonly release: () => Promise<void>;

  constructor(mounts: PreparedMount[], shmSize: number, release: () => Promise<void>) {
    this.#mounts = [...mounts];
    this.#shmSize = shmSize;
    this.release = release;
  }

  /** Host path of each destination (for tests, debug, the backup recipe). */
  hostPaths(): Map<string, string> {
    return new Map(this.#mounts.map((p) => [p.record.destination, p.hostPath]));
  }

  /**
   * OCI mounts, parent before child: `/dev/shm` first (unless the user mounts /dev or /dev/shm;
   * append these after the runtime's defaults /proc, /dev, /dev/pts, /sys...), then binds and
   * volumes as `rbind` (+`ro`, +propagation), tmpfs with noexec,nosuid,nodev + the user's options.
   */
  toOciMounts(): OciMount[] {
    const out: OciMount[] = [];
    const dests = new Set(this.#mounts.map((p) => p.record.destination));
    if (!dests.has('/dev') && !dests.has('/dev/shm')) {
      out.push({ destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${this.#shmSize}`] });
    }
    for (const { record: m, hostPath } of this.#mounts) {
      if (m.type === 'tmpfs') {
        out.push({ destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: tmpfsMountOptions(m.tmpfsOptions) });
        continue;
      }
      const options = [m.nonRecursive ? 'bind' : 'rbind'];
      if (!m.rw) options.push('ro');
      if (m.propagation !== '') options.push(m.propagation);
      out.push({ destination: m.destination, type: 'bind', source: hostPath, options });
    }
    return out;
  }
}

/** Plans a container's mounts (see planMountRecords for the rules). */
export function planMounts(input: PlanInput): MountPlan {
  if (input.shmSize !== undefined && (!Number.isSafeInteger(input.shmSize) || input.shmSize < 0)) {
    throw invalid('ERR_SHM_SIZE_INVALID', `invalid shm size: ${input.shmSize}`);
  }
  return MountPlan.restore({ containerId: input.containerId, mounts: planMountRecords(input), shmSize: input.shmSize || DEFAULT_SHM_SIZE });
}
