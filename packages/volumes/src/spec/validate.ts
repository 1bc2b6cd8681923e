import { posix } from 'node:path';
import { invalidMountConfig } from './errors.js';
import { cleanPath, isLocalPath, isPropagation } from './modes.js';
import { convertTmpfsOptions } from './tmpfs.js';
import { DEFAULT_PROPAGATION, type ApiMount, type MountOrigin, type MountRecord } from './types.js';

const missing = (field: string): string => `field ${field} must not be empty`;
const extra = (field: string): string => `field ${field} must not be specified`;

/** The daemon's `validateExclusiveOptions`: options of another mount type are refused. */
function exclusiveOptions(m: ApiMount): string | undefined {
  if (m.Type !== 'bind' && m.BindOptions) return extra('BindOptions');
  if (m.Type !== 'volume' && m.VolumeOptions) return extra('VolumeOptions');
  if (m.Type !== 'image' && m.ImageOptions) return extra('ImageOptions');
  if (m.Type !== 'tmpfs' && m.TmpfsOptions) return extra('TmpfsOptions');
  if (m.Type !== 'cluster' && m.ClusterOptions) return extra('ClusterOptions');
  return undefined;
}

function absolute(p: string): string | undefined {
  const slashed = p.replaceAll('\\', '/');
  return posix.isAbsolute(slashed) ? undefined : `invalid mount path: '${slashed}' mount path must be absolute`;
}

/** Everything `validateMountConfigImpl` checks, as one reason string (or undefined when valid). */
export function mountConfigProblem(m: ApiMount): string | undefined {
  const target = m.Target ?? '';
  const problem =
    exclusiveOptions(m) ??
    (target === '' ? missing('Target') : undefined) ??
    (cleanPath(target.replaceAll('\\', '/')) === '/' ? "invalid specification: destination can't be '/'" : undefined) ??
    absolute(target);
  if (problem) return problem;
  switch (m.Type) {
    case 'bind': {
      if (!m.Source) return missing('Source');
      const prop = m.BindOptions?.Propagation;
      if (prop && !isPropagation(prop)) return `invalid propagation mode: ${prop}`;
      return absolute(m.Source);
    }
    case 'volume': {
      const subpath = m.VolumeOptions?.Subpath ?? '';
      if (subpath === '') return undefined;
      if (!m.Source) return 'must not set Subpath when using anonymous volumes';
      return isLocalPath(subpath) ? undefined : 'subpath must be a relative path within the volume';
    }
    case 'tmpfs':
      if (m.Source) return extra('Source');
      try {
        convertTmpfsOptions(m);
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    default:
      return 'mount type unknown';
  }
}

/**
 * `ParseMountSpec`: a validated API mount becomes a MountRecord. Throws ERR_MOUNT_CONFIG_INVALID
 * with Docker's wording. Whether a bind source exists is checked by the planner (it needs the fs).
 */
export function parseMountSpec(m: ApiMount, origin: MountOrigin = 'mount-flag'): MountRecord {
  const problem = mountConfigProblem(m);
  if (problem) throw invalidMountConfig(m.Type, problem);
  const record: MountRecord = {
    type: m.Type as MountRecord['type'],
    destination: cleanPath(m.Target!),
    source: '',
    name: '',
    driver: '',
    anonymous: false,
    rw: !m.ReadOnly,
    mode: '',
    propagation: '',
    copyData: false,
    origin,
    createSource: false,
    nonRecursive: false,
    subpath: '',
    volumeOptions: {},
    volumeLabels: {},
    tmpfsOptions: '',
  };
  if (m.Type === 'bind') {
    record.source = cleanPath(m.Source!);
    record.propagation = (m.BindOptions?.Propagation || DEFAULT_PROPAGATION) as MountRecord['propagation'];
    record.createSource = m.BindOptions?.CreateMountpoint === true;
    record.nonRecursive = m.BindOptions?.NonRecursive === true;
  } else if (m.Type === 'volume') {
    const vo = m.VolumeOptions;
    record.name = m.Source ?? '';
    record.anonymous = record.name === '';
    record.driver = vo?.DriverConfig?.Name || '';
    record.copyData = !vo?.NoCopy;
    record.subpath = vo?.Subpath ?? '';
    record.volumeOptions = { ...(vo?.DriverConfig?.Options ?? {}) };
    record.volumeLabels = { ...(vo?.Labels ?? {}) };
  } else {
    record.tmpfsOptions = convertTmpfsOptions(m);
  }
  return record;
}
