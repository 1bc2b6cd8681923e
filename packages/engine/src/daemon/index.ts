export { runDaemon, startDaemon } from './daemon.js';
export type { Daemon, DaemonOptions } from './daemon.js';
