import { randomBytes } from 'node:crypto';
import { invalid } from '@tsnet/errors';

/** A volume name that passed `parseVolumeName`: never a path, safe to join under the data root. */
export type VolumeName = string & { readonly __brand: 'VolumeName' };

/** Docker's local-driver rule (`volume/local`): no slashes, no leading dot, at least two characters. */
export const VOLUME_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** The label Docker puts on volumes it created without a name (`-v /path`, image VOLUME). */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

export function isVolumeName(name: string): name is VolumeName {
  return VOLUME_NAME_PATTERN.test(name);
}

export function parseVolumeName(name: string): VolumeName {
  if (!isVolumeName(name)) {
    throw invalid(
      'ERR_VOLUME_NAME_INVALID',
      `"${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
      { details: { name } },
    );
  }
  return name;
}

/** 64 hex characters, like Docker's `stringid.GenerateRandomID`. */
export function anonymousVolumeName(): VolumeName {
  return randomBytes(32).toString('hex') as VolumeName;
}
