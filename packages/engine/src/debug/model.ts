/**
 * What the daemon says exists, read through its API and flattened for the debug views: networks
 * with their bridge device, containers with their sandbox and endpoints, published ports. Also
 * the firewall state tsnet wants, rebuilt from the same answers (see wantedState).
 */
import type { FirewallState, NetworkRules, PortMapping, Proto } from '@tsnet/libnetwork';

/** The one thing debug needs from the CLI's API client. */
export interface DebugApi {
  json<T = unknown>(method: string, path: string, options?: { query?: Record<string, string | number | boolean | undefined> }): Promise<T>;
}

export interface NetView {
  id: string;
  name: string;
  driver: string;
  /** Host-side bridge device, for bridge networks. */
  bridge?: string;
  subnets: string[];
  gateways: string[];
  internal: boolean;
  icc: boolean;
  masquerade: boolean;
  hostBindingIpv4?: string;
}

export interface EndpointView {
  network: string;
  networkId: string;
  endpointId: string;
  ip: string;
  prefixLen: number;
  gateway: string;
  mac: string;
  aliases: string[];
}

export interface PortView {
  containerPort: number;
  proto: Proto;
  hostIp: string;
  hostPort: number;
}

export interface ContainerView {
  id: string;
  name: string;
  running: boolean;
  pid: number;
  networkMode: string;
  sandboxKey?: string;
  endpoints: EndpointView[];
  ports: PortView[];
}

export interface Model {
  networks: NetView[];
  containers: ContainerView[];
}

interface NetworkInspect {
  Id: string;
  Name: string;
  Driver: string;
  Internal: boolean;
  IPAM: { Config: Array<{ Subnet: string; Gateway?: string }> | null };
  Options: Record<string, string> | null;
}

interface ContainerInspect {
  Id: string;
  Name: string;
  State: { Running: boolean; Pid: number };
  HostConfig: { NetworkMode: string };
  NetworkSettings: {
    SandboxKey?: string;
    Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null;
    Networks: Record<string, { NetworkID: string; EndpointID: string; IPAddress: string; IPPrefixLen: number; Gateway: string; MacAddress: string; Aliases: string[] | null }> | null;
  };
}

const BRIDGE_NAME = 'com.docker.network.bridge.name';

export function netView(n: NetworkInspect): NetView {
  const opts = n.Options ?? {};
  const config = n.IPAM.Config ?? [];
  const view: NetView = {
    id: n.Id,
    name: n.Name,
    driver: n.Driver,
    subnets: config.map((c) => c.Subnet),
    gateways: config.flatMap((c) => (c.Gateway ? [c.Gateway] : [])),
    internal: n.Internal,
    icc: opts['com.docker.network.bridge.enable_icc'] !== 'false',
    masquerade: opts['com.docker.network.bridge.enable_ip_masquerade'] !== 'false',
  };
  // libnetwork's naming: the option if given, else br-<first 12 of the id>.
  if (n.Driver === 'bridge') view.bridge = opts[BRIDGE_NAME] ?? `br-${n.Id.slice(0, 12)}`;
  const binding = opts['com.docker.network.bridge.host_binding_ipv4'];
  if (binding) view.hostBindingIpv4 = binding;
  return view;
}

export function containerView(c: ContainerInspect): ContainerView {
  const ns = c.NetworkSettings;
  const endpoints = Object.entries(ns.Networks ?? {}).map(([network, e]) => ({
    network,
    networkId: e.NetworkID,
    endpointId: e.EndpointID,
    ip: e.IPAddress,
    prefixLen: e.IPPrefixLen,
    gateway: e.Gateway,
    mac: e.MacAddress,
    aliases: e.Aliases ?? [],
  }));
  const ports: PortView[] = [];
  for (const [key, bindings] of Object.entries(ns.Ports ?? {})) {
    const [port, proto] = key.split('/');
    for (const b of bindings ?? []) {
      ports.push({ containerPort: Number(port), proto: (proto ?? 'tcp') as Proto, hostIp: b.HostIp, hostPort: Number(b.HostPort) });
    }
  }
  const view: ContainerView = {
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    running: c.State.Running,
    pid: c.State.Pid,
    networkMode: c.HostConfig.NetworkMode,
    endpoints,
    ports,
  };
  if (ns.SandboxKey) view.sandboxKey = ns.SandboxKey;
  return view;
}

export async function loadModel(api: DebugApi): Promise<Model> {
  const nets = await api.json<Array<{ Id: string }>>('GET', '/networks');
  const networks = await Promise.all(nets.map((n) => api.json<NetworkInspect>('GET', `/networks/${n.Id}`).then(netView)));
  const list = await api.json<Array<{ Id: string }>>('GET', '/containers/json', { query: { all: true } });
  const containers = await Promise.all(list.map((c) => api.json<ContainerInspect>('GET', `/containers/${c.Id}/json`).then(containerView)));
  networks.sort((a, b) => a.name.localeCompare(b.name));
  containers.sort((a, b) => a.name.localeCompare(b.name));
  return { networks, containers };
}

export function findContainer(model: Model, ref: string): ContainerView | undefined {
  return model.containers.find((c) => c.name === ref.replace(/^\//, '') || c.id === ref) ?? model.containers.find((c) => ref.length >= 4 && c.id.startsWith(ref));
}

export function findNetwork(model: Model, ref: string): NetView | undefined {
  return model.networks.find((n) => n.name === ref || n.id === ref) ?? model.networks.find((n) => ref.length >= 4 && n.id.startsWith(ref));
}

/**
 * The firewall state tsnet wants, rebuilt from the API: one NetworkRules per bridge network and
 * one PortMapping per published port (on the container's first bridge endpoint, where libnetwork
 * programs external connectivity). Used for drift when the daemon has no debug endpoint for it.
 */
export function wantedState(model: Model): FirewallState {
  const bridges = model.networks.filter((n) => n.bridge);
  const networks: NetworkRules[] = bridges.map((n) => {
    const rules: NetworkRules = { id: n.id, name: n.name, bridge: n.bridge!, subnets: n.subnets, icc: n.icc, masquerade: n.masquerade, internal: n.internal };
    if (n.gateways.length) rules.gateway = n.gateways[0]!;
    if (n.hostBindingIpv4) rules.hostBindingIpv4 = n.hostBindingIpv4;
    return rules;
  });
  const portMappings: PortMapping[] = [];
  for (const c of model.containers) {
    if (!c.running) continue;
    const ep = c.endpoints.find((e) => bridges.some((n) => n.id === e.networkId && !n.internal));
    const net = ep && bridges.find((n) => n.id === ep.networkId);
    if (!ep || !net) continue;
    for (const p of c.ports) {
      portMappings.push({
        networkId: net.id,
        endpointId: ep.endpointId,
        containerId: c.id,
        bridge: net.bridge!,
        proto: p.proto,
        hostIp: p.hostIp === '0.0.0.0' ? '' : p.hostIp,
        hostPort: p.hostPort,
        containerIp: ep.ip,
        containerPort: p.containerPort,
      });
    }
  }
  return { networks, portMappings };
}
