import { FlagError, ramInBytes } from './common.js';

export interface MountBody {
  Type: 'bind' | 'volume' | 'tmpfs';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  BindOptions?: { Propagation?: string; CreateMountpoint?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> } };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

const PROPAGATIONS = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);

function bool(value: string | undefined, key: string, spec: string): boolean {
  if (value === undefined) return true;
  const v = value.toLowerCase();
  if (['1', 'true'].includes(v)) return true;
  if (['0', 'false'].includes(v)) return false;
  throw new FlagError(`invalid value for ${key} in --mount "${spec}": expected true or false, got "${value}"`);
}

/** Splits a CSV field list; Docker's --mount is a CSV line, quotes allowed around a field. */
function csvFields(spec: string): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of spec) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      fields.push(current);
      current = '';
    } else current += ch;
  }
  if (quoted) throw new FlagError(`invalid --mount "${spec}": unbalanced quote`);
  fields.push(current);
  return fields;
}

function applyField(mount: MountBody, key: string, value: string | undefined, spec: string): void {
  const need = (): string => {
    if (value === undefined) throw new FlagError(`invalid field '${key}' must be a key=value pair in --mount "${spec}"`);
    return value;
  };
  switch (key) {
    case 'type': {
      const t = need();
      if (t !== 'bind' && t !== 'volume' && t !== 'tmpfs') throw new FlagError(`invalid mount type "${t}" in --mount "${spec}": expected bind, volume or tmpfs`);
      mount.Type = t;
      return;
    }
    case 'source': case 'src': mount.Source = need(); return;
    case 'target': case 'destination': case 'dst': mount.Target = need(); return;
    case 'readonly': case 'ro': mount.ReadOnly = bool(value, key, spec); return;
    case 'bind-propagation': {
      const p = need();
      if (!PROPAGATIONS.has(p)) throw new FlagError(`invalid bind-propagation "${p}" in --mount "${spec}"`);
      mount.BindOptions = { ...mount.BindOptions, Propagation: p };
      return;
    }
    case 'volume-nocopy': mount.VolumeOptions = { ...mount.VolumeOptions, NoCopy: bool(value, key, spec) }; return;
    case 'volume-driver': mount.VolumeOptions = { ...mount.VolumeOptions, DriverConfig: { ...mount.VolumeOptions?.DriverConfig, Name: need() } }; return;
    case 'volume-label': case 'volume-opt': {
      const [k, ...rest] = need().split('=');
      if (!k || rest.length === 0) throw new FlagError(`invalid ${key} "${value}" in --mount "${spec}": expected ${key}=KEY=VALUE`);
      const v = rest.join('=');
      const opts = { ...mount.VolumeOptions };
      if (key === 'volume-label') opts.Labels = { ...opts.Labels, [k]: v };
      else opts.DriverConfig = { ...opts.DriverConfig, Options: { ...opts.DriverConfig?.Options, [k]: v } };
      mount.VolumeOptions = opts;
      return;
    }
    case 'tmpfs-size': mount.TmpfsOptions = { ...mount.TmpfsOptions, SizeBytes: ramInBytes(need(), 'tmpfs-size') }; return;
    case 'tmpfs-mode': {
      const m = need();
      if (!/^[0-7]{1,4}$/.test(m)) throw new FlagError(`invalid tmpfs-mode "${m}" in --mount "${spec}": expected octal like 1777`);
      mount.TmpfsOptions = { ...mount.TmpfsOptions, Mode: parseInt(m, 8) };
      return;
    }
    default:
      throw new FlagError(`unexpected key '${key}' in --mount "${spec}"`);
  }
}

/** One --mount value into a Mounts[] entry (Docker's opts.MountOpt). */
export function parseMount(spec: string): MountBody {
  const mount: MountBody = { Type: 'volume', Target: '' };
  for (const field of csvFields(spec)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    applyField(mount, key, eq < 0 ? undefined : field.slice(eq + 1), spec);
  }
  if (!mount.Target) throw new FlagError(`target is required in --mount "${spec}"`);
  if (mount.Type !== 'volume' && mount.VolumeOptions) throw new FlagError(`cannot mix 'volume-*' options with mount type '${mount.Type}'`);
  if (mount.Type !== 'bind' && mount.BindOptions) throw new FlagError(`cannot mix 'bind-*' options with mount type '${mount.Type}'`);
  if (mount.Type !== 'tmpfs' && mount.TmpfsOptions) throw new FlagError(`cannot mix 'tmpfs-*' options with mount type '${mount.Type}'`);
  if (mount.Type === 'bind' && !mount.Source) throw new FlagError(`source is required for a bind mount in --mount "${spec}"`);
  if (mount.Type === 'tmpfs' && mount.Source) throw new FlagError(`source is not allowed for a tmpfs mount in --mount "${spec}"`);
  return mount;
}

/**
 * -v: "/path" is an anonymous volume (Config.Volumes), anything with a source is a bind or a
 * named volume (HostConfig.Binds, passed as typed so the daemon sees Docker's exact string).
 */
export function splitVolumes(values: readonly string[] = []): { volumes: Record<string, Record<string, never>>; binds: string[] } {
  const volumes: Record<string, Record<string, never>> = {};
  const binds: string[] = [];
  for (const v of values) {
    const parts = v.split(':');
    if (v === '' || parts.some((p, i) => p === '' && i < 2)) throw new FlagError(`invalid volume specification: "${v}"`);
    if (parts.length > 3) throw new FlagError(`invalid volume specification: "${v}": too many colons`);
    if (parts.length === 1) {
      if (!v.startsWith('/')) throw new FlagError(`invalid volume specification: "${v}": the container path must be absolute`);
      volumes[v] = {};
      continue;
    }
    if (!parts[1]!.startsWith('/')) throw new FlagError(`invalid volume specification: "${v}": the container path must be absolute`);
    if (parts[2] !== undefined && !/^(ro|rw|z|Z|nocopy|r?private|r?shared|r?slave)(,(ro|rw|z|Z|nocopy|r?private|r?shared|r?slave))*$/.test(parts[2])) {
      throw new FlagError(`invalid mode "${parts[2]}" in volume specification "${v}"`);
    }
    binds.push(v);
  }
  return { volumes, binds };
}

/** --tmpfs "/run:rw,size=1m" → Tmpfs map. */
export function parseTmpfs(values: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const colon = v.indexOf(':');
    const path = colon < 0 ? v : v.slice(0, colon);
    if (!path.startsWith('/')) throw new FlagError(`invalid --tmpfs "${v}": the path must be absolute`);
    out[path] = colon < 0 ? '' : v.slice(colon + 1);
  }
  return out;
}
