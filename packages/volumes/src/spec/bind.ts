import { invalidMode, invalidSpec } from './errors.js';
import { modeCopy, modePropagation, readWrite, validMountMode } from './modes.js';
import { parseMountSpec } from './validate.js';
import type { ApiMount, MountRecord } from './types.js';
import { isTsnetError } from '@tsnet/errors';

/**
 * linux_parser.go `ParseMountRaw`: a `-v` / `HostConfig.Binds` string.
 *   /dst                 anonymous volume
 *   name:/dst[:mode]     named volume
 *   /src:/dst[:mode]     bind (an absolute source makes it a bind)
 * Mode words: rw|ro, z|Z, a propagation, nocopy, consistency — each family once. `nocopy` on a
 * bind and a propagation on a volume are refused, as Docker refuses them.
 */
export function parseBind(raw: string, volumeDriver = ''): MountRecord {
  const arr = splitN(raw, ':', 4);
  if (arr[0] === '') throw invalidSpec(raw);
  const spec: ApiMount = {};
  let mode = '';
  if (arr.length === 1) {
    spec.Target = arr[0]!;
  } else if (arr.length === 2) {
    // "/foo:rw" is a destination with a mode, which a volume cannot be.
    if (validMountMode(arr[1]!)) throw invalidSpec(raw);
    spec.Source = arr[0]!;
    spec.Target = arr[1]!;
  } else if (arr.length === 3) {
    spec.Source = arr[0]!;
    spec.Target = arr[1]!;
    mode = arr[2]!;
  } else {
    throw invalidSpec(raw);
  }
  if (!validMountMode(mode)) throw invalidMode(mode);
  spec.Type = spec.Source?.startsWith('/') ? 'bind' : 'volume';
  spec.ReadOnly = !readWrite(mode);
  if (volumeDriver !== '' && spec.Type === 'volume') spec.VolumeOptions = { DriverConfig: { Name: volumeDriver } };
  const copy = modeCopy(mode);
  if (copy.set) spec.VolumeOptions = { ...spec.VolumeOptions, NoCopy: !copy.copy };
  const propagation = modePropagation(mode);
  if (propagation) spec.BindOptions = { Propagation: propagation };
  try {
    const record = parseMountSpec(spec, 'bind-flag');
    record.mode = mode;
    // A `-v` bind source that is missing is created, unlike `--mount` (moby #12587 history).
    record.createSource = record.type === 'bind';
    return record;
  } catch (error) {
    if (isTsnetError(error)) throw invalidSpec(raw, error.message);
    throw error;
  }
}

function splitN(s: string, sep: string, n: number): string[] {
  const parts = s.split(sep);
  return parts.length <= n ? parts : [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}
