import type { Controller, EndpointRecord, NetworkRecord } from '@tsnet/libnetwork';
import { MountPlan } from '@tsnet/volumes';
import { humanStatus, toDockerState } from '../runtime/docker-state.js';
import { MASKED_PATHS, READONLY_PATHS } from '../runtime/index.js';
import type { ContainerState } from '../runtime/index.js';
import { normaliseLinks } from './container-create.js';
import type { ContainerRecord } from './container-types.js';

interface EndpointView {
  network: NetworkRecord;
  endpoint: EndpointRecord;
}

function endpointsOf(controller: Controller, r: ContainerRecord): EndpointView[] {
  // `container:<x>` mode: the stack is the other container's; Docker lists no networks here.
  if (r.networkMode.startsWith('container:')) return [];
  let sandbox;
  try {
    sandbox = controller.sandbox(r.sandboxId);
  } catch {
    return [];
  }
  const networks = new Map(controller.networks().map((n) => [n.id, n]));
  return sandbox.endpoints().flatMap((endpoint) => {
    const network = networks.get(endpoint.networkId);
    return network ? [{ network, endpoint }] : [];
  });
}

const plain = (cidr: string): string => cidr.split('/')[0] ?? '';
const prefixLen = (cidr: string): number => (cidr.includes('/') ? Number(cidr.split('/')[1]) : 0);

function networkEntry(r: ContainerRecord, { network, endpoint }: EndpointView): Record<string, unknown> {
  const pool4 = network.pools.find((p) => p.family === 4);
  const pool6 = network.pools.find((p) => p.family === 6);
  const req = r.endpoints[network.name];
  const userNet = !network.predefined;
  return {
    IPAMConfig: req?.ipv4Address || req?.ipv6Address ? { ...(req.ipv4Address ? { IPv4Address: req.ipv4Address } : {}), ...(req.ipv6Address ? { IPv6Address: req.ipv6Address } : {}) } : null,
    // Legacy links on the default bridge are container-level (HostConfig.Links); dockerd shows null here.
    Links: userNet && req?.links.length ? req.links : null,
    Aliases: userNet ? [...new Set([...endpoint.aliases, r.id.slice(0, 12)])] : null,
    NetworkID: network.id,
    EndpointID: endpoint.id,
    Gateway: endpoint.ipv4 ? (pool4?.gateway ?? '') : '',
    IPAddress: plain(endpoint.ipv4),
    IPPrefixLen: prefixLen(endpoint.ipv4),
    IPv6Gateway: endpoint.ipv6 ? (pool6?.gateway ?? '') : '',
    GlobalIPv6Address: plain(endpoint.ipv6),
    GlobalIPv6PrefixLen: prefixLen(endpoint.ipv6),
    MacAddress: endpoint.macAddress,
    DriverOpts: null,
    DNSNames: userNet ? [r.name, ...endpoint.aliases, r.id.slice(0, 12)] : null,
  };
}

/**
 * The address a binding without HostIp really listens on: the network's `host_binding_ipv4`
 * option when it has one (the firewall binds there), else every address.
 */
const bindingIp = (network: NetworkRecord, hostIp: string): string => hostIp || network.options['com.docker.network.bridge.host_binding_ipv4'] || '0.0.0.0';

/** A network a stopped container is connected to: its config, no endpoint (Docker's shape). */
function idleEntry(controller: Controller, r: ContainerRecord, name: string): Record<string, unknown> {
  const network = controller.networks().find((n) => n.name === name);
  const req = r.endpoints[name];
  return {
    IPAMConfig: req?.ipv4Address || req?.ipv6Address ? { ...(req.ipv4Address ? { IPv4Address: req.ipv4Address } : {}), ...(req.ipv6Address ? { IPv6Address: req.ipv6Address } : {}) } : null,
    Links: req?.links.length ? req.links : null,
    Aliases: req?.aliases.length ? req.aliases : null,
    NetworkID: network?.id ?? '',
    EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: '', DriverOpts: null,
  };
}

/** `NetworkSettings.Ports`: every exposed port, with its host bindings or null. */
function portsOf(r: ContainerRecord, eps: EndpointView[]): Record<string, Array<{ HostIp: string; HostPort: string }> | null> {
  const out: Record<string, Array<{ HostIp: string; HostPort: string }> | null> = {};
  for (const key of Object.keys((r.config.ExposedPorts as Record<string, unknown> | undefined) ?? {})) out[key] = null;
  for (const { network, endpoint } of eps) {
    for (const p of endpoint.ports) {
      const key = `${p.containerPort}/${p.proto}`;
      const list = out[key] ?? [];
      const ips = [bindingIp(network, p.hostIp)];
      for (const ip of ips) list.push({ HostIp: ip, HostPort: String(p.hostPort) });
      out[key] = list;
    }
  }
  return out;
}

/**
 * HostConfig as dockerd shows it: what was asked, with the daemon's defaults filled in where the
 * client left a field empty (dockerd stores them at create).
 */
function hostConfigView(r: ContainerRecord): Record<string, unknown> {
  const hc = r.hostConfig;
  const log = (hc.LogConfig as { Type?: string; Config?: Record<string, string> } | undefined) ?? {};
  return {
    ...hc,
    NetworkMode: r.networkMode,
    Links: normaliseLinks(hc.Links as string[] | null | undefined, r.name),
    ShmSize: r.mountPlan.shmSize,
    AutoRemove: r.autoRemove,
    IpcMode: hc.IpcMode || 'private',
    CgroupnsMode: hc.CgroupnsMode || 'host',
    LogConfig: { Type: log.Type || 'json-file', Config: log.Config ?? {} },
    MemorySwappiness: hc.MemorySwappiness === -1 ? null : (hc.MemorySwappiness ?? null),
    PidsLimit: hc.PidsLimit === 0 ? null : (hc.PidsLimit ?? null),
    Runtime: hc.Runtime || 'runc',
    // The masks the OCI spec really applies (runtime/oci-spec.ts).
    MaskedPaths: [...MASKED_PATHS],
    ReadonlyPaths: [...READONLY_PATHS],
  };
}

/** `GET /containers/{id}/json` (Engine API v1.41 shape). */
export function inspectContainer(controller: Controller, r: ContainerRecord, st: ContainerState): Record<string, unknown> {
  const eps = endpointsOf(controller, r);
  const sandbox = (() => {
    try {
      return controller.sandbox(r.sandboxId);
    } catch {
      return undefined;
    }
  })();
  const first = eps.find((e) => e.network.name === 'bridge');
  const shared = r.networkMode.startsWith('container:');
  const networks: Record<string, unknown> = Object.fromEntries(eps.map((e) => [e.network.name, networkEntry(r, e)]));
  // Not running: no endpoint (released at stop, as Docker); the networks asked for keep their config.
  if (!r.networkMode.startsWith('container:')) for (const name of Object.keys(r.endpoints)) networks[name] ??= idleEntry(controller, r, name);
  return {
    Id: r.id,
    Created: r.created,
    Path: r.path,
    Args: r.args,
    State: toDockerState(r.startError && st.status === 'created' ? { ...st, error: r.startError, exitCode: 128 } : st),
    Image: r.imageId,
    ResolvConfPath: sandbox?.files.resolvConf ?? '',
    HostnamePath: sandbox?.files.hostname ?? '',
    HostsPath: sandbox?.files.hosts ?? '',
    LogPath: st.logPath,
    Name: `/${r.name}`,
    RestartCount: 0,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: hostConfigView(r),
    GraphDriver: { Name: 'overlay2', Data: { MergedDir: st.rootfsPath } },
    Mounts: MountPlan.restore(r.mountPlan).inspectMounts(),
    Config: r.config,
    NetworkSettings: {
      Bridge: '',
      // container:<x> mode has no sandbox of its own (dockerd shows empty ones).
      SandboxID: shared ? '' : r.sandboxId,
      SandboxKey: shared ? '' : (sandbox?.nsPath ?? ''),
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      Ports: eps.length > 0 || st.status === 'running' ? portsOf(r, eps) : {},
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: first?.endpoint.id ?? '',
      Gateway: first ? (first.network.pools.find((p) => p.family === 4)?.gateway ?? '') : '',
      GlobalIPv6Address: first ? plain(first.endpoint.ipv6) : '',
      GlobalIPv6PrefixLen: first ? prefixLen(first.endpoint.ipv6) : 0,
      IPAddress: first ? plain(first.endpoint.ipv4) : '',
      IPPrefixLen: first ? prefixLen(first.endpoint.ipv4) : 0,
      IPv6Gateway: '',
      MacAddress: first?.endpoint.macAddress ?? '',
      Networks: networks,
    },
  };
}

/** One row of `GET /containers/json`. */
export function summarizeContainer(controller: Controller, r: ContainerRecord, st: ContainerState): Record<string, unknown> {
  const eps = endpointsOf(controller, r);
  const ports: Array<Record<string, unknown>> = [];
  for (const { network, endpoint } of eps) {
    for (const p of endpoint.ports) ports.push({ IP: bindingIp(network, p.hostIp), PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.proto });
  }
  for (const key of Object.keys((r.config.ExposedPorts as Record<string, unknown> | undefined) ?? {})) {
    const [port, proto] = key.split('/');
    if (!ports.some((p) => p.PrivatePort === Number(port) && p.Type === proto)) ports.push({ PrivatePort: Number(port), Type: proto });
  }
  return {
    Id: r.id,
    Names: [`/${r.name}`],
    Image: r.image,
    ImageID: r.imageId,
    Command: [r.path, ...r.args].join(' '),
    Created: Math.floor(Date.parse(r.created) / 1000),
    Ports: ports,
    Labels: r.labels,
    State: st.status,
    Status: humanStatus(st),
    HostConfig: { NetworkMode: r.networkMode },
    NetworkSettings: { Networks: Object.fromEntries(eps.map((e) => [e.network.name, networkEntry(r, e)])) },
    Mounts: MountPlan.restore(r.mountPlan).inspectMounts(),
  };
}
