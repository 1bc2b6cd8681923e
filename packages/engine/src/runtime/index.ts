export { Runtime } from './runtime.js';
export type { RuntimeOptions } from './runtime.js';
export type { ExecHandle } from './exec.js';
export { buildOciConfig, capabilities, orderMounts, DEFAULT_CAPABILITIES, DEFAULT_SHM_SIZE, MASKED_PATHS, READONLY_PATHS } from './oci-spec.js';
export { encodeFrame, FrameDecoder, demuxAll } from './stdcopy.js';
export type { StdStream, Frame } from './stdcopy.js';
export { readLogs, timeSeconds } from './logs.js';
export { normalizeSignal } from './signals.js';
export { isMounted, mountPoints } from './overlay.js';
export { ZERO_TIME } from './types.js';
export type {
  ContainerSpec,
  ContainerState,
  ContainerStatus,
  ExecOptions,
  LogEntry,
  LogOptions,
  NetworkSetting,
  OciMount,
  ProcessSpec,
  ProcessUser,
  RuntimeEvent,
} from './types.js';
export { toDockerState, humanStatus, humanDuration } from './docker-state.js';
export type { DockerContainerState } from './docker-state.js';
export type { ContainerRuntime } from './interface.js';
export { FakeRuntime } from './fake.js';
export type { FakeBehaviour, FakeRuntimeOptions } from './fake.js';
