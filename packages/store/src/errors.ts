import { conflict, internal, invalid, unavailable, type TsnetError } from '@tsnet/errors';

/** Stable error codes of the store; callers match on these, never on messages. */
export const StoreErrorCode = {
  conflict: 'ERR_STORE_CONFLICT',
  locked: 'ERR_STORE_LOCKED',
  corrupt: 'ERR_STORE_CORRUPT',
  closed: 'ERR_STORE_CLOSED',
  invalidKey: 'ERR_STORE_INVALID_KEY',
  invalidValue: 'ERR_STORE_INVALID_VALUE',
  invalidOperation: 'ERR_STORE_INVALID_OPERATION',
  io: 'ERR_STORE_IO',
} as const;

export function casConflict(key: string, expected: number, actual: number): TsnetError {
  const want = expected === 0 ? 'to be absent' : `at revision ${expected}`;
  const have = actual === 0 ? 'it does not exist' : `it is at revision ${actual}`;
  return conflict(StoreErrorCode.conflict, `store key "${key}" changed: expected it ${want}, but ${have}`, {
    details: { key, expectedRevision: expected, actualRevision: actual },
  });
}

export function storeClosed(what: string): TsnetError {
  return unavailable(StoreErrorCode.closed, `${what} is closed`);
}

export function storeIoFailed(dir: string, cause: unknown): TsnetError {
  return internal(StoreErrorCode.io, `file store at "${dir}" failed to write and is now unusable: ${String(cause)}`, {
    cause,
    details: { dir },
  });
}

/** Keys (and prefixes) are '/'-separated paths like `/ipam/pools/x`; anything else is a caller bug. */
export function checkKey(key: unknown, what: 'key' | 'prefix' = 'key'): string {
  if (typeof key !== 'string' || key.length === 0 || !key.startsWith('/')) {
    throw invalid(StoreErrorCode.invalidKey, `invalid store ${what} ${JSON.stringify(key)}: must be a non-empty string starting with "/"`, {
      details: { [what]: key },
    });
  }
  return key;
}

export function checkValue(key: string, value: unknown): string {
  if (typeof value !== 'string') {
    throw invalid(StoreErrorCode.invalidValue, `invalid value for store key "${key}": must be a string, got ${typeof value}`, {
      details: { key },
    });
  }
  return value;
}
