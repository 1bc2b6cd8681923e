import { describe, expect, it } from 'vitest';
import { TsnetError, conflict, httpStatusOf, isTsnetError, runAll } from './index.js';

describe('TsnetError', () => {
  it('keeps code, kind, details and cause', () => {
    const cause = new Error('EEXIST');
    const error = conflict('ERR_NETWORK_EXISTS', 'network "web" already exists', { cause, details: { name: 'web' } });
    expect(error).toBeInstanceOf(TsnetError);
    expect(error.code).toBe('ERR_NETWORK_EXISTS');
    expect(error.kind).toBe('conflict');
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ name: 'web' });
    expect(isTsnetError(error, 'ERR_NETWORK_EXISTS')).toBe(true);
    expect(isTsnetError(error, 'ERR_OTHER')).toBe(false);
  });

  it.each([
    ['not-found', 404],
    ['invalid', 400],
    ['conflict', 409],
    ['forbidden', 403],
    ['unavailable', 503],
    ['internal', 500],
  ] as const)('maps kind %s to HTTP %i', (kind, status) => {
    expect(httpStatusOf(new TsnetError('ERR_X', kind, 'x'))).toBe(status);
  });

  it('maps foreign errors to 500', () => {
    expect(httpStatusOf(new Error('boom'))).toBe(500);
  });
});

describe('runAll', () => {
  it('runs every step and aggregates every failure', async () => {
    const ran: number[] = [];
    const result = runAll('teardown', [
      () => ran.push(1),
      () => { throw new Error('a'); },
      async () => { ran.push(3); throw new Error('b'); },
      () => ran.push(4),
    ]);
    await expect(result).rejects.toBeInstanceOf(AggregateError);
    await result.catch((error: AggregateError) => expect(error.errors.map((e: Error) => e.message)).toEqual(['a', 'b']));
    expect(ran).toEqual([1, 3, 4]);
  });
});
