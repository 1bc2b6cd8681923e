// @tsnet/engine — the whole public surface.

// tsnetd: the daemon, its config, its API.
export { runDaemon, startDaemon } from './daemon/index.js';
export type { Daemon, DaemonOptions } from './daemon/index.js';
export { DEFAULTS as DAEMON_DEFAULTS, controllerConfigOf, daemonConfigSchema, loadDaemonConfig, parseDaemonConfig } from './config/index.js';
export type { DaemonConfig, DaemonConfigFile } from './config/index.js';
export { ApiServer, ALL_ROUTES } from './api/server.js';
export type { ApiServerOptions } from './api/server.js';
export type { ApiServices } from './api/context.js';
export { API_VERSION, MIN_API_VERSION, MAX_JSON_BODY } from './api/http.js';

// The glue services (containers, DNS records from controller events, events, exec).
export { ContainerService } from './services/containers.js';
export type { ContainerServiceOptions } from './services/containers.js';
export type { ContainerRecord, CreateBody } from './services/container-types.js';
export { DnsGlue } from './services/dns.js';
export { EventBus, eventMatches } from './services/events.js';
export type { DockerEvent } from './services/events.js';
export { ExecService } from './services/exec.js';

// Containers on runc, images, the busybox rootfs builder.
export { Runtime, encodeFrame, FrameDecoder, demuxAll } from './runtime/index.js';
export type { RuntimeOptions, ContainerSpec, ContainerState } from './runtime/index.js';
export { ImageStore } from './images/index.js';
export type { ImageRecord } from './images/index.js';
export { makeBusyboxRootfsTar } from './rootfs/index.js';
