/** An OCI runtime-spec mount, as runc takes it (and as the volume manager's plans end up). */
export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

/**
 * Which network namespace the container joins: a path (a libnetwork sandbox, `/run/netns/...`, or
 * another container's), `host` (no network namespace of its own) or `none` (a fresh, empty one).
 */
export type NetworkSetting = 'host' | 'none' | { path: string };

export interface ProcessUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

export interface ProcessSpec {
  args: string[];
  /** `KEY=value` entries, complete: the runtime adds nothing (see images/process.ts for Docker's merge). */
  env: string[];
  cwd: string;
  /** Default 0:0. */
  user?: ProcessUser;
}

/** Everything needed to create a container; persisted with it, so adoption needs nothing else. */
export interface ContainerSpec {
  /** 64 lowercase hex characters; generated when omitted. */
  id?: string;
  /** The image filesystem: overlay lowerdir, never written. */
  rootfs: string;
  process: ProcessSpec;
  /** Default: the first 12 characters of the id, as in Docker. */
  hostname?: string;
  domainname?: string;
  network: NetworkSetting;
  /** Caller mounts (volumes, binds, tmpfs, /etc/hosts, /etc/resolv.conf, /etc/hostname); see README for ordering. */
  mounts?: OciMount[];
  /** Bytes of the /dev/shm tmpfs; default 64 MiB. */
  shmSize?: number;
  readonlyRootfs?: boolean;
  /** Capability names with or without `CAP_`, on top of / taken from Docker's default set; `ALL` allowed. */
  capAdd?: string[];
  capDrop?: string[];
  /** Namespaced sysctls (`net.*` in the container's namespace, `kernel.shm*`...). */
  sysctls?: Record<string, string>;
  /** Signal `stop()` sends first; default SIGTERM. */
  stopSignal?: string;
  /** Free-form data the caller keeps with the container (name, image id, labels...). */
  annotations?: Record<string, string>;
}

export type ContainerStatus = 'created' | 'running' | 'exited';

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface ContainerState {
  id: string;
  status: ContainerStatus;
  /** Host pid of the container's init while running, else 0. */
  pid: number;
  exitCode: number;
  /** Why the last start failed, or empty. */
  error: string;
  createdAt: string;
  /** RFC 3339; ZERO_TIME when never started / never exited, as Docker shows. */
  startedAt: string;
  finishedAt: string;
  /** Bundle directory `<dataRoot>/containers/<id>`. */
  bundle: string;
  /** Where the overlay rootfs is mounted (`<bundle>/rootfs`): the container's filesystem from the host. */
  rootfsPath: string;
  /** json-file log (`{"log","stream","time"}` per line). */
  logPath: string;
  spec: ContainerSpec & { id: string };
}

export type RuntimeEvent =
  | { type: 'create' | 'start' | 'delete'; id: string }
  | { type: 'kill'; id: string; signal: string }
  | { type: 'exit'; id: string; exitCode: number };

export interface ExecOptions {
  args: string[];
  env?: string[];
  cwd?: string;
  user?: ProcessUser;
  /** Data written to the process's stdin, then closed; default: stdin is empty. */
  stdin?: string | Uint8Array;
}

export interface LogEntry {
  stream: 'stdout' | 'stderr';
  log: string;
  /** RFC 3339 with nanoseconds (microsecond resolution). */
  time: string;
}

export interface LogOptions {
  stdout?: boolean;
  stderr?: boolean;
  /** Last N lines (after since/until filtering); undefined or 'all' = everything. */
  tail?: number | 'all';
  /** Unix seconds (fractions allowed), as the API's `since`/`until` query parameters. */
  since?: number;
  until?: number;
  /** Keep streaming until the container stops or `signal` aborts. */
  follow?: boolean;
  signal?: AbortSignal;
}
