import { existsSync } from 'node:fs';
import { invalid } from '@tsnet/errors';
import { anonymousVolumeName, parseVolumeName } from './names.js';
import { parseBind } from './spec/bind.js';
import { duplicateMountPoint } from './spec/errors.js';
import { cleanPath, readWrite } from './spec/modes.js';
import { mergeTmpfsOptions, validateTmpfsDestination } from './spec/tmpfs.js';
import type { ApiMount, MountRecord } from './spec/types.js';
import { parseMountSpec } from './spec/validate.js';
import { parseVolumesFrom } from './spec/volumes-from.js';

export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** What a container asks for, in Docker's Engine API terms (the CLI flags parse into these). */
export interface PlanInput {
  containerId: string;
  /** `-v` / `HostConfig.Binds`. */
  binds?: string[];
  /** `--mount` / `HostConfig.Mounts` (parseMountFlag turns a flag into one). */
  mounts?: ApiMount[];
  /** `--tmpfs` / `HostConfig.Tmpfs`: destination → options ("rw,size=1m"). */
  tmpfs?: Record<string, string>;
  /** `--volumes-from` / `HostConfig.VolumesFrom`: each spec with the source container's records. */
  volumesFrom?: Array<{ spec: string; mounts: readonly MountRecord[] }>;
  /** The image's `VOLUME` declarations (Config.Volumes keys). */
  imageVolumes?: string[];
  /** `HostConfig.VolumeDriver`: the driver for `-v` volumes that name none. */
  volumeDriver?: string;
  /** `--shm-size` in bytes (0/undefined = 64 MiB, Docker's default). */
  shmSize?: number;
  /** Check that `--mount type=bind` sources exist now (default true; Docker checks at create). */
  checkBindSources?: boolean;
}

const depth = (p: string): number => (p === '/' ? 0 : p.split('/').length - 1);

/** Docker's sortMounts: fewer path components first, so a parent is mounted before its child. */
export function sortMounts<T extends { destination: string }>(mounts: readonly T[]): T[] {
  return [...mounts].sort((a, b) => depth(a.destination) - depth(b.destination) || (a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0));
}

/**
 * Turns a container's mount requests into its mount records, with Docker's precedence
 * (image VOLUME < --volumes-from < -v < --mount; --tmpfs beside -v/--mount), its duplicate rule
 * (one destination twice among -v, --mount and --tmpfs is an error) and names for anonymous
 * volumes. Pure apart from checking --mount bind sources; throws invalid errors with stable codes.
 */
export function planMountRecords(input: PlanInput): MountRecord[] {
  const byDest = new Map<string, MountRecord>();
  const explicit = new Set<string>();
  for (const from of input.volumesFrom ?? []) {
    const { mode } = parseVolumesFrom(from.spec);
    for (const m of from.mounts) {
      byDest.set(m.destination, { ...m, rw: m.rw && readWrite(mode), copyData: false, origin: 'volumes-from', createSource: false });
    }
  }
  const tmpfsDests = new Set(Object.keys(input.tmpfs ?? {}).map((d) => cleanPath(d)));
  for (const raw of input.binds ?? []) {
    const record = parseBind(raw, input.volumeDriver ?? '');
    if (explicit.has(record.destination) || tmpfsDests.has(record.destination)) throw duplicateMountPoint(record.destination);
    explicit.add(record.destination);
    byDest.set(record.destination, record);
  }
  for (const m of input.mounts ?? []) {
    const record = parseMountSpec(m, 'mount-flag');
    if (explicit.has(record.destination) || tmpfsDests.has(record.destination)) throw duplicateMountPoint(m.Target ?? record.destination);
    if (record.type === 'bind' && !record.createSource && input.checkBindSources !== false && !existsSync(record.source)) {
      throw invalid('ERR_BIND_SOURCE_MISSING', `invalid mount config for type "bind": bind source path does not exist: ${record.source}`, { details: { source: record.source } });
    }
    explicit.add(record.destination);
    byDest.set(record.destination, record);
  }
  for (const [dest, data] of Object.entries(input.tmpfs ?? {})) {
    const destination = validateTmpfsDestination(dest);
    mergeTmpfsOptions(data === '' ? [] : data.split(','));
    byDest.set(destination, tmpfsRecord(destination, data));
  }
  for (const v of input.imageVolumes ?? []) {
    const destination = cleanPath(v);
    if (!destination.startsWith('/') || destination === '/') {
      throw invalid('ERR_MOUNT_SPEC_INVALID', `invalid image volume path: '${v}'`, { details: { path: v } });
    }
    if (!byDest.has(destination)) byDest.set(destination, imageVolumeRecord(destination));
  }
  return sortMounts([...byDest.values()].map((r) => finishVolume(r, input.volumeDriver)));
}

/**
 * Names anonymous volumes and checks names. The driver stays '' unless asked for: an existing
 * volume is then used whatever its driver (Docker's behaviour), a new one gets `local`.
 */
function finishVolume(r: MountRecord, volumeDriver: string | undefined): MountRecord {
  if (r.type !== 'volume' || r.origin === 'volumes-from') return r;
  const out = { ...r };
  if (out.name === '') {
    out.name = anonymousVolumeName();
    out.anonymous = true;
  } else {
    parseVolumeName(out.name);
  }
  out.driver = out.driver || volumeDriver || '';
  return out;
}

function blank(destination: string): MountRecord {
  return {
    type: 'volume', destination, source: '', name: '', driver: '', anonymous: false, rw: true, mode: '',
    propagation: '', copyData: false, origin: 'image', createSource: false, nonRecursive: false, subpath: '',
    volumeOptions: {}, volumeLabels: {}, tmpfsOptions: '',
  };
}

function tmpfsRecord(destination: string, data: string): MountRecord {
  const rw = !data.split(',').includes('ro');
  return { ...blank(destination), type: 'tmpfs', origin: 'tmpfs-flag', rw, tmpfsOptions: data };
}

function imageVolumeRecord(destination: string): MountRecord {
  return { ...blank(destination), copyData: true, origin: 'image' };
}
