import { describe, expect, it } from 'vitest';
import type { ContainerRecord } from './container-types.js';
import { restartDelayMs, shouldRestart, shouldRestartAtBoot } from './restart-policy.js';

const rec = (policy: { Name?: string; MaximumRetryCount?: number } | undefined, extra: Partial<ContainerRecord> = {}): ContainerRecord =>
  ({ hostConfig: policy ? { RestartPolicy: policy } : {}, ...extra }) as unknown as ContainerRecord;

describe('restart policies (moby restartmanager)', () => {
  it.each([
    // [policy, exit code, extra, restart after an exit?]
    [undefined, 1, {}, false],
    [{ Name: 'no' }, 1, {}, false],
    [{ Name: 'always' }, 0, {}, true],
    [{ Name: 'always' }, 0, { manuallyStopped: true }, false], // docker stop cancels it
    [{ Name: 'unless-stopped' }, 0, {}, true],
    [{ Name: 'on-failure' }, 0, {}, false], // success is not a failure
    [{ Name: 'on-failure' }, 3, { restartCount: 50 }, true], // no maximum
    [{ Name: 'on-failure', MaximumRetryCount: 2 }, 3, { restartCount: 1 }, true],
    [{ Name: 'on-failure', MaximumRetryCount: 2 }, 3, { restartCount: 2 }, false],
  ] as const)('%j exit %i %j → %s', (policy, code, extra, want) => {
    expect(shouldRestart(rec(policy, extra), code)).toBe(want);
  });

  it('at daemon start always ignores a manual stop, unless-stopped does not', () => {
    expect(shouldRestartAtBoot(rec({ Name: 'always' }, { manuallyStopped: true }), 0)).toBe(true);
    expect(shouldRestartAtBoot(rec({ Name: 'unless-stopped' }, { manuallyStopped: true }), 0)).toBe(false);
    expect(shouldRestartAtBoot(rec({ Name: 'unless-stopped' }), 137)).toBe(true);
  });

  it('backs off from 100 ms, doubling, at most a minute', () => {
    expect([0, 1, 2, 3].map(restartDelayMs)).toEqual([100, 200, 400, 800]);
    expect(restartDelayMs(40)).toBe(60_000);
  });
});
