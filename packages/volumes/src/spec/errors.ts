import { invalid, type TsnetError } from '@tsnet/errors';

/** Docker's `errInvalidSpec`: the whole `-v` text is quoted back. */
export const invalidSpec = (raw: string, why?: string): TsnetError =>
  invalid('ERR_MOUNT_SPEC_INVALID', `invalid volume specification: '${raw}'${why ? `: ${why}` : ''}`, { details: { spec: raw } });

export const invalidMode = (mode: string): TsnetError =>
  invalid('ERR_MOUNT_MODE_INVALID', `invalid mode: ${mode}`, { details: { mode } });

/** Docker's `errMountConfig`: names the mount type, then why. */
export const invalidMountConfig = (type: string | undefined, why: string): TsnetError =>
  invalid('ERR_MOUNT_CONFIG_INVALID', `invalid mount config for type "${type ?? ''}": ${why}`, { details: { type } });

/** `--mount` flag errors (the CLI's own wording). */
export const invalidMountFlag = (why: string, value?: string): TsnetError =>
  invalid('ERR_MOUNT_FLAG_INVALID', why, { details: { value } });

export const duplicateMountPoint = (destination: string): TsnetError =>
  invalid('ERR_MOUNT_DUPLICATE', `Duplicate mount point: ${destination}`, { details: { destination } });
