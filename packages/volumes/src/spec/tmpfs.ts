import { invalid } from '@tsnet/errors';
import { tmpfsSizeOption } from '../units.js';
import { cleanPath } from './modes.js';
import type { ApiMount } from './types.js';

const validTmpfsApiOptions = new Set(['exec', 'noexec']);

/** linux_parser.go `ConvertTmpfsOptions`: API TmpfsOptions → the data string ("ro,mode=1777,size=64m"). */
export function convertTmpfsOptions(m: ApiMount): string {
  const raw: string[] = [];
  const o = m.TmpfsOptions;
  if (m.ReadOnly) raw.push('ro');
  if (o?.Mode) raw.push(`mode=${o.Mode.toString(8)}`);
  if (o?.SizeBytes) {
    if (!Number.isSafeInteger(o.SizeBytes) || o.SizeBytes < 0) throw new Error(`invalid tmpfs size: ${o.SizeBytes}`);
    raw.push(`size=${tmpfsSizeOption(o.SizeBytes)}`);
  }
  for (const opt of o?.Options ?? []) {
    if (opt.length < 1 || opt.length > 2) throw new Error('invalid option array length');
    if (!validTmpfsApiOptions.has(opt[0]!)) throw new Error(`invalid option: ${opt[0]}`);
    raw.push(opt.length === 1 ? opt[0]! : `${opt[0]}=${opt[1]}`);
  }
  return raw.join(',');
}

/** `--tmpfs /run:rw,size=1m` → ['/run', 'rw,size=1m'] (the CLI cuts at the first colon). */
export function parseTmpfsFlag(value: string): [string, string] {
  const i = value.indexOf(':');
  return i < 0 ? [value, ''] : [value.slice(0, i), value.slice(i + 1)];
}

/** The daemon's `ValidateTmpfsMountDestination`. */
export function validateTmpfsDestination(dest: string): string {
  const slashed = dest.replaceAll('\\', '/');
  if (cleanPath(slashed) === '/') {
    throw invalid('ERR_MOUNT_SPEC_INVALID', "invalid specification: destination can't be '/'", { details: { destination: dest } });
  }
  if (!slashed.startsWith('/')) {
    throw invalid('ERR_MOUNT_SPEC_INVALID', `invalid mount path: '${slashed}' mount path must be absolute`, { details: { destination: dest } });
  }
  return cleanPath(dest);
}

/** Mount flags by collision group (moby/sys/mount): a later word replaces an earlier one of its group. */
const flagGroups: Record<string, string> = {
  ro: 'rdonly', rw: 'rdonly', exec: 'noexec', noexec: 'noexec', suid: 'nosuid', nosuid: 'nosuid',
  dev: 'nodev', nodev: 'nodev', sync: 'sync', async: 'sync', dirsync: 'dirsync', remount: 'remount',
  mand: 'mand', nomand: 'mand', atime: 'noatime', noatime: 'noatime', diratime: 'nodiratime',
  nodiratime: 'nodiratime', bind: 'bind', rbind: 'bind', relatime: 'relatime', norelatime: 'relatime',
  strictatime: 'strictatime', nostrictatime: 'strictatime',
  private: 'propagation', rprivate: 'propagation', shared: 'propagation', rshared: 'propagation',
  slave: 'propagation', rslave: 'propagation', unbindable: 'propagation', runbindable: 'propagation',
};
const tmpfsDataKeys = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol']);

/**
 * moby/sys/mount `MergeTmpfsOptions`: walks from the end so the user's later words win over the
 * defaults; unknown words are refused (ERR_TMPFS_OPTION_INVALID).
 */
export function mergeTmpfsOptions(options: string[]): string[] {
  const seenFlags = new Set<string>();
  const seenData = new Set<string>();
  const out: string[] = [];
  for (let i = options.length - 1; i >= 0; i -= 1) {
    const option = options[i]!;
    if (option === 'defaults' || option === '') continue;
    const group = flagGroups[option];
    if (group !== undefined) {
      if (!seenFlags.has(group)) out.unshift(option);
      seenFlags.add(group);
      continue;
    }
    const eq = option.indexOf('=');
    const key = eq < 0 ? option : option.slice(0, eq);
    if (eq < 0 || !tmpfsDataKeys.has(key)) {
      throw invalid('ERR_TMPFS_OPTION_INVALID', `invalid tmpfs option "${key}"`, { details: { option } });
    }
    if (!seenData.has(key)) out.unshift(option);
    seenData.add(key);
  }
  return out;
}

/** Options of a tmpfs mount as Docker gives them to runc: noexec,nosuid,nodev,rprivate + the user's. */
export function tmpfsMountOptions(data: string): string[] {
  return mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'rprivate', ...(data === '' ? [] : data.split(','))]);
}
