import { unavailable } from '@tsnet/errors';
import { IpamErrorCode } from './errors.js';
import type { AllocateRequest, PoolState } from './pool.js';

/** Work queued on one pool; address operations are applied and committed in batches. */
export type Pending =
  | { kind: 'request'; req: AllocateRequest; resolve: (value: bigint) => void; reject: (error: unknown) => void }
  | { kind: 'release'; address: { v6: boolean; value: bigint }; resolve: () => void; reject: (error: unknown) => void }
  | { kind: 'releasePool'; resolve: () => void; reject: (error: unknown) => void };

export const STORE_CONFLICT = 'ERR_STORE_CONFLICT';
export const MAX_ATTEMPTS = 200;

export type Outcome = { changed: boolean; value?: bigint; error?: unknown };

/** Applies one operation to the in-memory state; a refusal is an outcome, not a throw. */
export function apply(state: PoolState, op: Pending): Outcome {
  try {
    if (op.kind === 'request') return { changed: true, value: state.allocate(op.req) };
    if (op.kind === 'release') return { changed: state.release(op.address) };
    return { changed: false };
  } catch (error) {
    return { changed: false, error };
  }
}

export function settle(op: Pending, outcome: Outcome): void {
  if (outcome.error !== undefined) op.reject(outcome.error);
  else if (op.kind === 'request') op.resolve(outcome.value!);
  else op.resolve();
}

export function contention(what: string, cause: unknown) {
  return unavailable(IpamErrorCode.contention, `${what}: other writers kept changing it; gave up after ${MAX_ATTEMPTS} attempts`, { cause });
}

/** After a lost compare-and-set: retry at once a few times, then with growing random delays. */
export async function backoff(attempt: number, what: string): Promise<void> {
  if (attempt >= MAX_ATTEMPTS) throw contention(what, undefined);
  if (attempt < 3) return;
  await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(attempt, 20)));
}
