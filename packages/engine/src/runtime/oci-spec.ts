import { posix } from 'node:path';
import { invalid } from '@tsnet/errors';
import type { ContainerSpec, OciMount } from './types.js';

/** Docker's default capability set (moby oci/caps/defaults.go). */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** Every capability runc 1.1 knows, for `--cap-add ALL`. */
const ALL_CAPABILITIES = [
  ...DEFAULT_CAPABILITIES, 'CAP_DAC_READ_SEARCH', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_LEASE', 'CAP_AUDIT_CONTROL',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** Docker's masked and read-only /proc and /sys paths (moby oci/defaults.go). */
export const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** Docker's device cgroup rules: deny all, then the usual character devices and mknod. */
const DEVICE_RULES = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // null
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // zero
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' }, // full
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // random
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // urandom
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // tty
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' }, // console
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // ptmx
  { allow: true, type: 'c', major: 136, access: 'rwm' }, // pts
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, // tun
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
];

function defaultMounts(shmSize: number): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`] },
  ];
}

/** This process's hard RLIMIT_NOFILE (from /proc/self/limits), the ceiling for containers. */
export function ownNofileLimit(limits: string): number | undefined {
  const m = /^Max open files\s+\S+\s+(\d+)/m.exec(limits);
  return m ? Number(m[1]) : undefined;
}

function depth(path: string): number {
  return posix.normalize(path).split('/').filter(Boolean).length;
}

/**
 * runc mounts in list order, so a mount must come after the one it sits on. Defaults first (a
 * caller mount on the same destination replaces the default, e.g. a /dev/shm bind), then caller
 * mounts by path depth, stable among equals — Docker's sortMounts rule.
 */
export function orderMounts(defaults: OciMount[], caller: readonly OciMount[]): OciMount[] {
  for (const m of caller) {
    if (!posix.isAbsolute(m.destination) || m.destination.split('/').includes('..')) {
      throw invalid('ERR_MOUNT_INVALID', `mount destination "${m.destination}" must be an absolute path without ".."`);
    }
  }
  const taken = new Set(caller.map((m) => posix.normalize(m.destination)));
  const kept = defaults.filter((m) => !taken.has(m.destination));
  const sorted = caller
    .map((m, i) => ({ m, i }))
    .sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i)
    .map(({ m }) => m);
  return [...kept, ...sorted];
}

function capName(name: string): string {
  const upper = name.toUpperCase();
  return upper === 'ALL' || upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

/** Docker's rule: start from the defaults, add, then drop; `ALL` works on either side. */
export function capabilities(add: readonly string[] = [], drop: readonly string[] = []): string[] {
  const adds = add.map(capName);
  const drops = drop.map(capName);
  for (const cap of [...adds, ...drops]) {
    if (cap !== 'ALL' && !ALL_CAPABILITIES.includes(cap)) throw invalid('ERR_CAPABILITY_INVALID', `unknown capability: "${cap}"`);
  }
  let caps = adds.includes('ALL') ? [...ALL_CAPABILITIES] : [...DEFAULT_CAPABILITIES, ...adds];
  caps = drops.includes('ALL') ? caps.filter((c) => adds.includes(c)) : caps.filter((c) => !drops.includes(c));
  return [...new Set(caps)];
}

function namespaces(spec: ContainerSpec): Array<{ type: string; path?: string }> {
  const list: Array<{ type: string; path?: string }> = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (spec.network === 'none') list.push({ type: 'network' });
  else if (spec.network !== 'host') list.push({ type: 'network', path: spec.network.path });
  return list;
}

export interface OciConfigContext {
  id: string;
  /** cgroup parent, e.g. `/tsnet` → `/tsnet/<id>`. */
  cgroupParent: string;
  /**
   * RLIMIT_NOFILE soft and hard. Docker's containers inherit dockerd's limit; raising a hard limit
   * above our own needs CAP_SYS_RESOURCE, which a daemon may not have, so the runtime passes its own.
   */
  nofile?: number;
}

/** The OCI runtime spec (1.0.2) config.json for one container; pure, snapshot-tested. */
export function buildOciConfig(spec: ContainerSpec, context: OciConfigContext): Record<string, unknown> {
  const caps = capabilities(spec.capAdd, spec.capDrop);
  const user = spec.process.user ?? { uid: 0, gid: 0 };
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: user.uid, gid: user.gid, ...(user.additionalGids?.length ? { additionalGids: user.additionalGids } : {}) },
      args: spec.process.args,
      env: spec.process.env,
      cwd: spec.process.cwd || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: context.nofile ?? 1048576, soft: context.nofile ?? 1048576 }],
      noNewPrivileges: false,
      oomScoreAdj: 0,
    },
    root: { path: 'rootfs', readonly: spec.readonlyRootfs ?? false },
    hostname: spec.hostname ?? context.id.slice(0, 12),
    ...(spec.domainname ? { domainname: spec.domainname } : {}),
    mounts: orderMounts(defaultMounts(spec.shmSize ?? DEFAULT_SHM_SIZE), spec.mounts ?? []),
    linux: {
      namespaces: namespaces(spec),
      cgroupsPath: posix.join(context.cgroupParent, context.id),
      resources: { devices: DEVICE_RULES },
      ...(spec.sysctls && Object.keys(spec.sysctls).length ? { sysctl: spec.sysctls } : {}),
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
    },
  };
}
