import { resolve } from 'node:path';
import { ramInBytes } from '../units.js';
import { invalidMountFlag } from './errors.js';
import type { ApiMount } from './types.js';

/**
 * The CLI's `--mount` value (docker/cli opts/mount.go) → an Engine API mount object. The result
 * still goes through `parseMountSpec` (the daemon's checks) when planned. Errors use the CLI's
 * wording, code ERR_MOUNT_FLAG_INVALID.
 */
export function parseMountFlag(input: string, cwd = process.cwd()): ApiMount {
  const value = input.trim();
  if (value === '') throw invalidMountFlag('value is empty', input);
  const m: ApiMount = { Type: 'volume' };
  for (const field of splitCsv(value)) applyField(m, field, cwd);
  validateFlagMount(m);
  return m;
}

const booleanKeys = new Set(['readonly', 'ro', 'volume-nocopy', 'bind-nonrecursive', 'bind-create-src']);

function applyField(m: ApiMount, field: string, cwd: string): void {
  const eq = field.indexOf('=');
  const hasValue = eq >= 0;
  const rawKey = hasValue ? field.slice(0, eq) : field;
  const val = hasValue ? field.slice(eq + 1) : '';
  if (rawKey.trim() !== rawKey) {
    throw invalidMountFlag(`invalid option '${rawKey.trim()}' in '${field}': option should not have whitespace`, field);
  }
  if (hasValue && val.trim() === '') throw invalidMountFlag(`invalid value for '${rawKey}': value is empty`, field);
  if (hasValue && val.trim() !== val) {
    throw invalidMountFlag(`invalid value for '${rawKey}' in '${field}': value should not have whitespace`, field);
  }
  const key = rawKey.toLowerCase();
  if (!hasValue && !booleanKeys.has(key)) throw invalidMountFlag(`invalid field '${field}' must be a key=value pair`, field);
  const bind = (): NonNullable<ApiMount['BindOptions']> => (m.BindOptions ??= {});
  const vol = (): NonNullable<ApiMount['VolumeOptions']> => (m.VolumeOptions ??= {});
  const drv = (): NonNullable<NonNullable<ApiMount['VolumeOptions']>['DriverConfig']> => (vol().DriverConfig ??= {});
  const tmp = (): NonNullable<ApiMount['TmpfsOptions']> => (m.TmpfsOptions ??= {});
  switch (key) {
    case 'type': m.Type = val.toLowerCase(); break;
    case 'source': case 'src':
      // The CLI makes "./dir" absolute against the caller's working directory.
      m.Source = !val.startsWith('/') && val.startsWith('.') ? resolve(cwd, val) : val;
      break;
    case 'target': case 'dst': case 'destination': m.Target = val; break;
    case 'readonly': case 'ro': m.ReadOnly = parseBool(key, val, hasValue); break;
    case 'consistency': m.Consistency = val.toLowerCase(); break;
    case 'bind-propagation': bind().Propagation = val.toLowerCase(); break;
    case 'bind-nonrecursive': throw invalidMountFlag('bind-nonrecursive is deprecated, use bind-recursive=disabled instead', field);
    case 'bind-recursive': applyBindRecursive(bind(), key, val); break;
    case 'bind-create-src': bind().CreateMountpoint = parseBool(key, val, hasValue); break;
    case 'volume-subpath': vol().Subpath = val; break;
    case 'volume-nocopy': vol().NoCopy = parseBool(key, val, hasValue); break;
    case 'volume-label': setOnMap((vol().Labels ??= {}), val); break;
    case 'volume-driver': drv().Name = val; break;
    case 'volume-opt': setOnMap((drv().Options ??= {}), val); break;
    case 'image-subpath': (m.ImageOptions ??= {})['Subpath'] = val; break;
    case 'tmpfs-size': tmp().SizeBytes = sizeOf(key, val); break;
    case 'tmpfs-mode': tmp().Mode = modeOf(key, val); break;
    default: throw invalidMountFlag(`unknown option '${key}' in '${field}'`, field);
  }
}

function applyBindRecursive(b: NonNullable<ApiMount['BindOptions']>, key: string, val: string): void {
  if (val === 'enabled') return;
  if (val === 'disabled') b.NonRecursive = true;
  else if (val === 'writable') b.ReadOnlyNonRecursive = true;
  else if (val === 'readonly') b.ReadOnlyForceRecursive = true;
  else throw invalidMountFlag(`invalid value for ${key}: ${val} (must be "enabled", "disabled", "writable", or "readonly")`, val);
}

function parseBool(key: string, val: string, hasValue: boolean): boolean {
  if (!hasValue) return true;
  if (val === '1' || val === 'true') return true;
  if (val === '0' || val === 'false') return false;
  throw invalidMountFlag(
    `invalid value for '${key}': invalid boolean value ("${val}"): must be one of "true", "1", "false", or "0" (default "true")`,
    val,
  );
}

function sizeOf(key: string, val: string): number {
  try {
    return ramInBytes(val);
  } catch {
    throw invalidMountFlag(`invalid value for ${key}: ${val}`, val);
  }
}

function modeOf(key: string, val: string): number {
  if (!/^[0-7]+$/.test(val) || Number.parseInt(val, 8) > 0xffffffff) throw invalidMountFlag(`invalid value for ${key}: ${val}`, val);
  return Number.parseInt(val, 8);
}

function setOnMap(target: Record<string, string>, keyValue: string): void {
  const eq = keyValue.indexOf('=');
  const k = eq < 0 ? keyValue : keyValue.slice(0, eq);
  if (k !== '') target[k] = eq < 0 ? '' : keyValue.slice(eq + 1);
}

/** opts/mount_utils.go `validateMountOptions`. */
function validateFlagMount(m: ApiMount): void {
  const t = m.Type ?? '';
  if (t === '') throw invalidMountFlag('type is required');
  const mix = (prefix: string): never => { throw invalidMountFlag(`cannot mix '${prefix}-*' options with mount type '${t}'`); };
  if (t !== 'bind' && m.BindOptions) mix('bind');
  if (t !== 'volume' && m.VolumeOptions) mix('volume');
  if (t !== 'image' && m.ImageOptions) mix('image');
  if (t !== 'tmpfs' && m.TmpfsOptions) mix('tmpfs');
  const b = m.BindOptions;
  if (b?.ReadOnlyNonRecursive && !m.ReadOnly) {
    throw invalidMountFlag("option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction");
  }
  if (b?.ReadOnlyForceRecursive) {
    if (!m.ReadOnly) throw invalidMountFlag("option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction");
    if (b.Propagation !== 'rprivate') {
      throw invalidMountFlag("option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction");
    }
  }
}

/** One CSV record (Go's encoding/csv): commas separate, double quotes group, "" is a quote. */
export function splitCsv(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i += 1;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw invalidMountFlag(`parse error on line 1, column ${line.length + 1}: extraneous or missing " in quoted-field`, line);
        field += line.slice(i, q);
        i = q + 1;
        if (line[i] === '"') { field += '"'; i += 1; continue; }
        break;
      }
      if (i < line.length && line[i] !== ',') throw invalidMountFlag(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`, line);
    } else {
      const c = line.indexOf(',', i);
      field = line.slice(i, c < 0 ? line.length : c);
      if (field.includes('"')) throw invalidMountFlag(`parse error on line 1, column ${i + field.indexOf('"') + 1}: bare " in non-quoted-field`, line);
      i = c < 0 ? line.length : c;
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i += 1; // skip the comma
  }
}
