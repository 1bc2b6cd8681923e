import { isIP } from 'node:net';
import { FlagError, keyValues, ramInBytes, requireIp } from './common.js';
import { parseMount, parseTmpfs, splitVolumes, type MountBody } from './mounts.js';
import { parsePorts, type PortBindingBody } from './ports.js';

/** The flags of `run`/`create` as commander hands them over (Docker's names, camelCased). */
export interface RunFlags {
  name?: string;
  hostname?: string;
  user?: string;
  workdir?: string;
  entrypoint?: string;
  network?: string;
  networkAlias?: string[];
  ip?: string;
  ip6?: string;
  publish?: string[];
  publishAll?: boolean;
  expose?: string[];
  env?: string[];
  label?: string[];
  volume?: string[];
  mount?: string[];
  tmpfs?: string[];
  volumesFrom?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOption?: string[];
  addHost?: string[];
  link?: string[];
  shmSize?: string;
  rm?: boolean;
  detach?: boolean;
  tty?: boolean;
  interactive?: boolean;
  macAddress?: string;
}

export interface CreateBody {
  Hostname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[];
  Cmd: string[] | null;
  Entrypoint?: string[];
  Image: string;
  WorkingDir: string;
  Labels: Record<string, string>;
  ExposedPorts: Record<string, Record<string, never>>;
  Volumes: Record<string, Record<string, never>>;
  MacAddress?: string;
  HostConfig: {
    Binds: string[];
    NetworkMode: string;
    PortBindings: Record<string, PortBindingBody[]>;
    PublishAllPorts: boolean;
    AutoRemove: boolean;
    VolumesFrom: string[];
    Mounts: MountBody[];
    Tmpfs: Record<string, string>;
    Dns: string[];
    DnsSearch: string[];
    DnsOptions: string[];
    ExtraHosts: string[];
    Links: string[];
    ShmSize?: number;
  };
  NetworkingConfig: { EndpointsConfig: Record<string, { IPAMConfig?: { IPv4Address?: string; IPv6Address?: string }; Aliases?: string[] }> };
}

const CONTAINER_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const BUILTIN_MODES = new Set(['default', 'bridge', 'host', 'none']);

/** -e: KEY=VALUE kept as typed; a bare KEY takes the value from this process's environment, if set. */
export function parseEnv(values: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq === 0 || v === '') throw new FlagError(`invalid environment variable "${v}": empty name`);
    if (eq > 0) out.push(v);
    else if (env[v] !== undefined) out.push(`${v}=${env[v]}`);
  }
  return out;
}

/** --add-host host:ip (or host=ip; IPv6 literals may be bracketed or bare after the first colon). */
export function parseExtraHosts(values: readonly string[] = []): string[] {
  return values.map((v) => {
    const sep = /[:=]/.exec(v);
    const host = sep ? v.slice(0, sep.index) : '';
    let ip = sep ? v.slice(sep.index + 1) : '';
    if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
    if (!host || !ip) throw new FlagError(`invalid --add-host "${v}": expected HOST:IP`);
    if (ip !== 'host-gateway' && !isIP(ip)) throw new FlagError(`invalid --add-host "${v}": "${ip}" is not an IP address`);
    return `${host}:${ip}`;
  });
}

function parseLinks(values: readonly string[] = []): string[] {
  return values.map((v) => {
    const [name, alias, ...extra] = v.split(':');
    if (!name || extra.length || alias === '') throw new FlagError(`invalid --link "${v}": expected NAME[:ALIAS]`);
    return v; // as typed, like Docker's CLI: the daemon reads a bare NAME as NAME:NAME
  });
}

function endpointsConfig(flags: RunFlags, mode: string): CreateBody['NetworkingConfig'] {
  const wantsEndpoint = Boolean(flags.ip || flags.ip6 || flags.networkAlias?.length);
  if (!wantsEndpoint) return { EndpointsConfig: {} };
  if (BUILTIN_MODES.has(mode) && mode !== 'bridge' && mode !== 'default') {
    throw new FlagError(`--ip and --network-alias need a network: not possible with --network ${mode}`);
  }
  if (mode.startsWith('container:')) throw new FlagError('--ip and --network-alias are not possible with --network container:NAME');
  const ipam: { IPv4Address?: string; IPv6Address?: string } = {};
  if (flags.ip) {
    if (isIP(flags.ip) !== 4) throw new FlagError(`invalid --ip "${flags.ip}": not an IPv4 address`);
    ipam.IPv4Address = flags.ip;
  }
  if (flags.ip6) {
    if (isIP(flags.ip6) !== 6) throw new FlagError(`invalid --ip6 "${flags.ip6}": not an IPv6 address`);
    ipam.IPv6Address = flags.ip6;
  }
  const endpoint: { IPAMConfig?: typeof ipam; Aliases?: string[] } = {};
  if (Object.keys(ipam).length) endpoint.IPAMConfig = ipam;
  if (flags.networkAlias?.length) endpoint.Aliases = flags.networkAlias;
  return { EndpointsConfig: { [mode === 'default' ? 'bridge' : mode]: endpoint } };
}

/** Everything `run`/`create` send to POST /containers/create: the query name and the body. */
export function containerCreateBody(flags: RunFlags, image: string, cmd: readonly string[], env: NodeJS.ProcessEnv = process.env): { name?: string; body: CreateBody } {
  if (!image) throw new FlagError('"run" requires at least 1 argument: IMAGE [COMMAND] [ARG...]');
  if (flags.name !== undefined && !CONTAINER_NAME.test(flags.name)) {
    throw new FlagError(`invalid container name "${flags.name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  const mode = flags.network ?? 'default';
  if (mode === '') throw new FlagError('invalid --network "": empty name');
  const ports = parsePorts(flags.publish, flags.expose);
  const { volumes, binds } = splitVolumes(flags.volume);
  const attach = !flags.detach;
  const body: CreateBody = {
    Hostname: flags.hostname ?? '',
    User: flags.user ?? '',
    AttachStdin: false,
    AttachStdout: attach,
    AttachStderr: attach,
    Tty: flags.tty ?? false,
    OpenStdin: false,
    StdinOnce: false,
    Env: parseEnv(flags.env, env),
    Cmd: cmd.length ? [...cmd] : null,
    Image: image,
    WorkingDir: flags.workdir ?? '',
    Labels: keyValues(flags.label, '--label'),
    ExposedPorts: ports.exposed,
    Volumes: volumes,
    HostConfig: {
      Binds: binds,
      NetworkMode: mode,
      PortBindings: ports.bindings,
      PublishAllPorts: flags.publishAll ?? false,
      AutoRemove: flags.rm ?? false,
      VolumesFrom: flags.volumesFrom ?? [],
      Mounts: (flags.mount ?? []).map(parseMount),
      Tmpfs: parseTmpfs(flags.tmpfs),
      Dns: (flags.dns ?? []).map((d) => requireIp(d, '--dns')),
      DnsSearch: flags.dnsSearch ?? [],
      DnsOptions: flags.dnsOption ?? [],
      ExtraHosts: parseExtraHosts(flags.addHost),
      Links: parseLinks(flags.link),
    },
    NetworkingConfig: endpointsConfig(flags, mode),
  };
  if (flags.entrypoint !== undefined) body.Entrypoint = flags.entrypoint === '' ? [] : [flags.entrypoint];
  if (flags.shmSize !== undefined) body.HostConfig.ShmSize = ramInBytes(flags.shmSize, '--shm-size');
  if (flags.macAddress !== undefined) {
    if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(flags.macAddress)) throw new FlagError(`invalid --mac-address "${flags.macAddress}"`);
    body.MacAddress = flags.macAddress;
  }
  if (mode.startsWith('container:') && (flags.publish?.length || flags.publishAll)) {
    throw new FlagError('conflicting options: port publishing and the container type network mode');
  }
  if (mode === 'host' && flags.publish?.length) {
    // Docker warns and ignores; we do the same so scripts written for Docker keep working.
    process.stderr.write('WARNING: Published ports are discarded when using host network mode\n');
    body.HostConfig.PortBindings = {};
  }
  return flags.name === undefined ? { body } : { name: flags.name, body };
}
