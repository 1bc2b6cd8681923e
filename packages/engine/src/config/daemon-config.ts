import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { invalid } from '@tsnet/errors';
import { ramInBytes } from '@tsnet/volumes';

/**
 * daemon.json: the keys of Docker's daemon.json that concern networks and volumes, plus our own
 * `firewall-backend`, are type-checked before anything starts. A key dockerd knows but tsnet does
 * not implement (log-driver, storage-driver, debug, hosts...) is ignored with a warning, so a
 * Docker daemon.json can be reused as it is; a key dockerd does not know either is an error that
 * names it, as dockerd's is (a typo must not be silently ignored).
 */
const pool = z.object({ base: z.string(), size: z.number().int().min(1).max(128) }).strict();

export const daemonConfigSchema = z
  .object({
    bridge: z.string().optional(),
    bip: z.string().optional(),
    'fixed-cidr': z.string().optional(),
    'default-address-pools': z.array(pool).optional(),
    dns: z.array(z.string()).optional(),
    'dns-search': z.array(z.string()).optional(),
    'dns-opts': z.array(z.string()).optional(),
    mtu: z.number().int().min(68).max(65535).optional(),
    icc: z.boolean().optional(),
    'ip-forward': z.boolean().optional(),
    'ip-masq': z.boolean().optional(),
    iptables: z.boolean().optional(),
    'userland-proxy': z.boolean().optional(),
    'live-restore': z.boolean().optional(),
    'data-root': z.string().optional(),
    'default-shm-size': z.union([z.string(), z.number().int().nonnegative()]).optional(),
    'firewall-backend': z.enum(['nftables', 'iptables', 'none']).optional(),
    /** Default host address of published ports without one (bridge networks without host_binding_ipv4). */
    ip: z.string().regex(/^(\d{1,3}\.){3}\d{1,3}$/, 'an IPv4 address').optional(),
    /** `--add-host NAME:host-gateway` resolves to this address (default: the default bridge's gateway). */
    'host-gateway-ip': z.string().regex(/^(\d{1,3}\.){3}\d{1,3}$|:/, 'an IP address').optional(),
  })
  .strict();

/** Keys of dockerd's daemon.json (its config.Config) that tsnet accepts and ignores. */
export const IGNORED_DOCKER_KEYS: ReadonlySet<string> = new Set([
  'allow-direct-routing', 'allow-nondistributable-artifacts', 'api-cors-header', 'authorization-plugins', 'bip6',
  'bridge-accept-fwmark', 'builder', 'cdi-spec-dirs', 'cgroup-parent', 'cluster-advertise', 'cluster-store',
  'cluster-store-opts', 'containerd', 'containerd-namespace', 'containerd-plugins-namespace', 'cpu-rt-period',
  'cpu-rt-runtime', 'cri-containerd', 'debug', 'default-cgroupns-mode', 'default-gateway', 'default-gateway-v6',
  'default-ipc-mode', 'default-network-opts', 'default-runtime', 'default-ulimits', 'disable-legacy-registry',
  'exec-opts', 'exec-root', 'experimental', 'features', 'fixed-cidr-v6', 'graph', 'group', 'host-gateway-ips',
  'hosts', 'http-proxy', 'https-proxy', 'no-proxy', 'proxies', 'init', 'init-path', 'insecure-registries',
  'ip-forward-no-drop', 'ip6tables', 'ipv6', 'labels', 'log-driver', 'log-format', 'log-level', 'log-opts',
  'max-concurrent-downloads', 'max-concurrent-uploads', 'max-download-attempts', 'metrics-addr', 'min-api-version',
  'network-control-plane-mtu', 'network-diagnostic-port', 'no-new-privileges', 'node-generic-resources',
  'oom-score-adjust', 'pidfile', 'raw-logs', 'registry-mirrors', 'runtimes', 'seccomp-profile', 'selinux-enabled',
  'shutdown-timeout', 'storage-driver', 'storage-opts', 'swarm-default-advertise-addr', 'tls', 'tlscacert',
  'tlscert', 'tlskey', 'tlsverify', 'userland-proxy-path', 'userns-remap',
]);

export type DaemonConfigFile = z.infer<typeof daemonConfigSchema>;

/** The daemon's settings after defaults, file and flags (flags win, as dockerd's do). */
export interface DaemonConfig {
  dataRoot: string;
  host: string;
  configPath: string;
  firewallBackend: 'nftables' | 'iptables' | 'none';
  liveRestore: boolean;
  defaultShmSize: number;
  file: DaemonConfigFile;
}

export const DEFAULTS = {
  dataRoot: '/var/lib/tsnet',
  host: 'unix:///run/tsnet/tsnet.sock',
  configPath: '/etc/tsnet/daemon.json',
} as const;

/**
 * Parses daemon.json text; an unknown key or a wrong type is ERR_DAEMON_CONFIG naming it. Docker
 * keys tsnet does not implement are dropped and reported through `warn`.
 */
export function parseDaemonConfig(text: string, source = 'daemon.json', warn: (m: string) => void = () => {}): DaemonConfigFile {
  let raw: unknown;
  try {
    raw = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    throw invalid('ERR_DAEMON_CONFIG', `unable to configure the daemon with file ${source}: ${(error as Error).message}`, { cause: error });
  }
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const ignored = Object.keys(raw).filter((k) => IGNORED_DOCKER_KEYS.has(k));
    if (ignored.length) {
      warn(`${source}: ignoring Docker settings tsnet does not implement: ${ignored.join(', ')}`);
      raw = Object.fromEntries(Object.entries(raw).filter(([k]) => !IGNORED_DOCKER_KEYS.has(k)));
    }
  }
  const result = daemonConfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => {
      if (i.code === 'unrecognized_keys') return `the following directives don't match any configuration option: ${i.keys.join(', ')}`;
      return `${i.path.join('.') || '(root)'}: ${i.message}`;
    });
    throw invalid('ERR_DAEMON_CONFIG', `unable to configure the daemon with file ${source}: ${problems.join('; ')}`);
  }
  return result.data;
}

/** Reads the file (a missing file = no settings, as dockerd with its default path). */
export async function loadDaemonConfig(opts: { dataRoot?: string; host?: string; configPath?: string; log?: (m: string) => void }): Promise<DaemonConfig> {
  const configPath = opts.configPath ?? DEFAULTS.configPath;
  const text = await readFile(configPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' && opts.configPath === undefined) return '';
    if (error.code === 'ENOENT') throw invalid('ERR_DAEMON_CONFIG', `unable to configure the daemon: config file ${configPath} does not exist`);
    throw error;
  });
  const file = parseDaemonConfig(text, configPath, opts.log ?? ((m) => process.stderr.write(`tsnetd: warning: ${m}\n`)));
  const shm = file['default-shm-size'];
  const defaultShmSize = shm === undefined ? 64 * 1024 * 1024 : typeof shm === 'number' ? shm : ramInBytes(shm);
  const host = opts.host ?? DEFAULTS.host;
  if (!host.startsWith('unix://') || host.length <= 'unix://'.length) {
    throw invalid('ERR_DAEMON_HOST', `invalid host ${JSON.stringify(host)}: only unix:///path is supported`);
  }
  return {
    dataRoot: opts.dataRoot ?? file['data-root'] ?? DEFAULTS.dataRoot,
    host,
    configPath,
    firewallBackend: file['firewall-backend'] ?? (file.iptables === false ? 'none' : 'nftables'),
    liveRestore: file['live-restore'] ?? false,
    defaultShmSize,
    file,
  };
}

/** The controller's config from daemon.json (Docker's key names → libnetwork's). */
export function controllerConfigOf(file: DaemonConfigFile) {
  return {
    defaultBridge: {
      ...(file.bridge !== undefined ? { name: file.bridge } : {}),
      ...(file.bip !== undefined ? { bip: file.bip } : {}),
      ...(file['fixed-cidr'] !== undefined ? { fixedCidr: file['fixed-cidr'] } : {}),
      ...(file.icc !== undefined ? { icc: file.icc } : {}),
      ...(file['ip-masq'] !== undefined ? { ipMasq: file['ip-masq'] } : {}),
    },
    ...(file['default-address-pools'] ? { defaultAddressPools: file['default-address-pools'] } : {}),
    ...(file.mtu !== undefined ? { mtu: file.mtu } : {}),
    ...(file.iptables !== undefined ? { iptables: file.iptables } : {}),
    ...(file['ip-forward'] !== undefined ? { ipForward: file['ip-forward'] } : {}),
    ...(file['userland-proxy'] !== undefined ? { userlandProxy: file['userland-proxy'] } : {}),
    ...(file.dns ? { dns: file.dns } : {}),
    ...(file['dns-search'] ? { dnsSearch: file['dns-search'] } : {}),
    ...(file['dns-opts'] ? { dnsOptions: file['dns-opts'] } : {}),
  };
}
