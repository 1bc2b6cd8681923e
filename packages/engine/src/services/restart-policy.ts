import type { ContainerRecord } from './container-types.js';

/**
 * Docker's restart policies (`--restart no|always|unless-stopped|on-failure[:N]`), as moby's
 * restartmanager decides them: after an exit the daemon did not cause (stop, kill and daemon
 * shutdown do not count), and at daemon start for containers that were left stopped.
 */
export interface RestartPolicy {
  name: 'no' | 'always' | 'unless-stopped' | 'on-failure';
  maximumRetryCount: number;
}

export function restartPolicyOf(r: ContainerRecord): RestartPolicy {
  const p = (r.hostConfig.RestartPolicy ?? {}) as { Name?: string; MaximumRetryCount?: number };
  const name = p.Name === 'always' || p.Name === 'unless-stopped' || p.Name === 'on-failure' ? p.Name : 'no';
  return { name, maximumRetryCount: p.MaximumRetryCount ?? 0 };
}

/** Whether an exit with this code restarts the container (the restart count is the tries so far). */
export function shouldRestart(r: ContainerRecord, exitCode: number): boolean {
  if (r.manuallyStopped) return false;
  const p = restartPolicyOf(r);
  switch (p.name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return exitCode !== 0 && (p.maximumRetryCount === 0 || (r.restartCount ?? 0) < p.maximumRetryCount);
    default:
      return false;
  }
}

/** moby's back-off: 100 ms doubling per consecutive restart, at most a minute. */
export function restartDelayMs(restartCount: number): number {
  return Math.min(100 * 2 ** Math.min(restartCount, 20), 60_000);
}

/** At daemon start `always` ignores a manual stop (that is what sets it apart from unless-stopped). */
export function shouldRestartAtBoot(r: ContainerRecord, exitCode: number): boolean {
  return restartPolicyOf(r).name === 'always' || shouldRestart(r, exitCode);
}
