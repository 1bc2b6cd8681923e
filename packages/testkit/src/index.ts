export { canUseNetns, createTestNs, trackedTestNs, createParentLink, nsenterArgv } from './netns.js';
export type { TestNs, ExecResult } from './netns.js';
export { describeNetns } from './gate.js';
export { reportBench, median, timeMs } from './bench.js';
export type { BenchFigure } from './bench.js';
export { startDockerInNs, dockerAvailable, busyboxRootfsTar, engineApiCall } from './docker.js';
export type { DockerDaemon, DockerResponse } from './docker.js';
