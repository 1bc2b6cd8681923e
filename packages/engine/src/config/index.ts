export { DEFAULTS, controllerConfigOf, daemonConfigSchema, loadDaemonConfig, parseDaemonConfig } from './daemon-config.js';
export type { DaemonConfig, DaemonConfigFile } from './daemon-config.js';
