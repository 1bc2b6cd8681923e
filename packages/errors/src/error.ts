/**
 * The one error type every tsnet package throws. `code` is stable (scripts and tests match on it),
 * `kind` says which HTTP status the API answers with, and the message names the object concerned.
 */
export type ErrorKind = 'not-found' | 'invalid' | 'conflict' | 'forbidden' | 'unavailable' | 'internal';

export interface TsnetErrorOptions {
  cause?: unknown;
  /** Structured facts about the failure (the offending value, the holder of a port...). */
  details?: Record<string, unknown>;
}

export class TsnetError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly details: Record<string, unknown>;

  constructor(code: string, kind: ErrorKind, message: string, options: TsnetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TsnetError';
    this.code = code;
    this.kind = kind;
    this.details = options.details ?? {};
  }
}

const statusByKind: Record<ErrorKind, number> = {
  'not-found': 404,
  invalid: 400,
  conflict: 409,
  forbidden: 403,
  unavailable: 503,
  internal: 500,
};

/** The HTTP status the Docker API uses for an error of this kind. */
export function httpStatusOf(error: unknown): number {
  return isTsnetError(error) ? statusByKind[error.kind] : 500;
}

export function isTsnetError(error: unknown, code?: string): error is TsnetError {
  return error instanceof TsnetError && (code === undefined || error.code === code);
}

export const notFound = (code: string, message: string, options?: TsnetErrorOptions): TsnetError =>
  new TsnetError(code, 'not-found', message, options);
export const invalid = (code: string, message: string, options?: TsnetErrorOptions): TsnetError =>
  new TsnetError(code, 'invalid', message, options);
export const conflict = (code: string, message: string, options?: TsnetErrorOptions): TsnetError =>
  new TsnetError(code, 'conflict', message, options);
export const forbidden = (code: string, message: string, options?: TsnetErrorOptions): TsnetError =>
  new TsnetError(code, 'forbidden', message, options);
export const unavailable = (code: string, message: string, options?: TsnetErrorOptions): TsnetError =>
  new TsnetError(code, 'unavailable', message, options);
export const internal = (code: string, message: string, options?: TsnetErrorOptions): TsnetError =>
  new TsnetError(code, 'internal', message, options);

/**
 * Runs every cleanup step even when some fail, so best-effort teardown never stops at the first
 * failure; throws one AggregateError naming all of them.
 */
export async function runAll(label: string, steps: Array<() => unknown | Promise<unknown>>): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `${label}: ${failures.length} step(s) failed`);
}
