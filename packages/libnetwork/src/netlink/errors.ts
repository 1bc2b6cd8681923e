import { getSystemErrorMap } from 'node:util';

/**
 * A kernel refusal, shaped like Node's system errors so callers match on `code` as they do for
 * fs or net: `code` ('EEXIST', 'ENODEV', 'EOPNOTSUPP'...), `errno` (negative), `syscall` (the
 * rtnetlink message, e.g. 'RTM_NEWLINK'), and `object` naming what was being changed.
 */
export class NetlinkError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  readonly object: string;
  /** The kernel feature that is missing, when that is the cause (e.g. 'ipvlan'). */
  declare readonly feature?: string;

  constructor(errno: number, syscall: string, object: string, opts: { message?: string; feature?: string } = {}) {
    const neg = errno > 0 ? -errno : errno;
    const [uvCode, text] = getSystemErrorMap().get(neg) ?? [`E${-neg}`, 'unknown error'];
    // Same number on Linux; the kernel's netlink code says EOPNOTSUPP, libuv's table ENOTSUP.
    const code = uvCode === 'ENOTSUP' ? 'EOPNOTSUPP' : uvCode;
    super(opts.message ?? `${code}: ${text}, ${syscall} ${object}`);
    this.name = 'NetlinkError';
    this.code = code;
    this.errno = neg;
    this.syscall = syscall;
    this.object = object;
    if (opts.feature !== undefined) this.feature = opts.feature;
  }
}

export function isNetlinkError(e: unknown, code?: string): e is NetlinkError {
  return e instanceof NetlinkError && (code === undefined || e.code === code);
}

const EOPNOTSUPP = 95;

/**
 * The kernel answers RTM_NEWLINK for a link type it has no driver for with EOPNOTSUPP ("Unknown
 * device type", after trying to load the module rtnl-link-<kind>). Say which feature is missing.
 */
export function missingLinkKind(kind: string, object: string): NetlinkError {
  return new NetlinkError(EOPNOTSUPP, 'RTM_NEWLINK', object, {
    feature: kind,
    message: `${kind} is not available in this kernel (EOPNOTSUPP: no "${kind}" link type; needs CONFIG_${kind.toUpperCase()} or its module), creating ${object}`,
  });
}
