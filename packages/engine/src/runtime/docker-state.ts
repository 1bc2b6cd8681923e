import type { ContainerState } from './types.js';

/** `State` of `GET /containers/{id}/json` (Docker API v1.41). */
export interface DockerContainerState {
  Status: 'created' | 'running' | 'exited';
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
}

export function toDockerState(state: ContainerState): DockerContainerState {
  return {
    Status: state.status,
    Running: state.status === 'running',
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: state.pid,
    ExitCode: state.exitCode,
    Error: state.error,
    StartedAt: state.startedAt,
    FinishedAt: state.finishedAt,
  };
}

/** `Status` column of `GET /containers/json`: "Up 5 seconds", "Exited (3) 2 minutes ago", "Created". */
export function humanStatus(state: ContainerState, now = Date.now()): string {
  if (state.status === 'created') return 'Created';
  if (state.status === 'running') return `Up ${humanDuration(now - Date.parse(state.startedAt))}`;
  return `Exited (${state.exitCode}) ${humanDuration(now - Date.parse(state.finishedAt))} ago`;
}

/** Docker's units.HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.round(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.round(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.round(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.round(h / 24 / 30)} months`;
  return `${Math.round(h / 24 / 365)} years`;
}
