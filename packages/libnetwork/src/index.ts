// @tsnet/libnetwork — the whole public surface.

// The model: controller, sandbox handles, events, records.
export { Controller } from './controller/controller.js';
export type { ControllerOptions } from './controller/controller.js';
export { Sandbox } from './controller/sandbox.js';
export type { EmbeddedResolverSockets } from './controller/sandbox.js';
export { loadControllerConfig } from './controller/config.js';
export type { ControllerConfig, ControllerConfigInput, DefaultBridgeConfig } from './controller/config.js';
export type { CreateNetworkOptions } from './controller/networks.js';
export type { CreateSandboxOptions } from './controller/sandboxes.js';
export type { ConnectOptions } from './controller/endpoints.js';
export type { PortBindingRequest, PortReserverLike, HeldPort } from './controller/ports.js';
export { MemoryPortReserver } from './controller/ports.js';
export type { NetworkInspect } from './controller/inspect.js';
export type { IpamLike, IpamPoolInfo } from './controller/ipam.js';
export type { ControllerEvent, ControllerEventType, EndpointEventData, EndpointView, NetworkEventData, SandboxEventData } from './controller/events.js';
export type {
  EndpointRecord,
  ExposedPort,
  IpamConfigInput,
  LinkRequest,
  NetworkPool,
  NetworkRecord,
  PublishedPort,
  SandboxMode,
  SandboxRecord,
  Scope,
} from './model/types.js';
export { newId, shortId, sandboxNsName, macFromIPv4 } from './model/ids.js';
export { parseNetworkName, parseIfName, parseCidr, parseIp, parseHostname } from './model/names.js';
export type { NetworkName, IfName, Cidr, IpAddress, Hostname } from './model/names.js';

// Drivers.
export { bridge, BRIDGE_OPTIONS } from './drivers/bridge/index.js';
export type { BridgeConfig } from './drivers/bridge/index.js';
export { host } from './drivers/host/index.js';
export { none } from './drivers/none/index.js';
export type { Driver, DriverContext, JoinTarget, NetworkSpec } from './drivers/types.js';

// Resolver files and legacy links (pure).
export { buildResolvConf, parseResolvConf, EMBEDDED_DNS_IP } from './resolver/resolvconf.js';
export type { ResolvConfInput, ResolvConfResult } from './resolver/resolvconf.js';
export { buildHosts, parseExtraHost } from './resolver/hosts.js';
export type { HostsInput, HostsRecord } from './resolver/hosts.js';
export { linkEnvironment } from './resolver/links.js';
export type { LinkEnvInput } from './resolver/links.js';

// The kernel seam and its in-memory fake.
export { FakeKernel } from './system/fake.js';
export { realKernel } from './system/real.js';
export type { Kernel, LinkInfo, LinkOps, RouteSpec as KernelRouteSpec, SocketInNetns } from './system/types.js';

// Kernel layer (netns addon, netlink, sysctl).
export {
  NETNS_RUN_DIR,
  netnsPath,
  createNamedNetns,
  removeNamedNetns,
  removeNetnsPath,
  runInNetns,
  openSocketInNetns,
  spawnInNetns,
  spawnSyncInNetns,
  netnsId,
  sameNetns,
} from './netns/index.js';
export type { SocketSpec, NetnsId } from './netns/index.js';
export { Netlink, NetlinkError, isNetlinkError, ipToBytes, bytesToIp, macToBytes, bytesToMac, checkIfName } from './netlink/index.js';
export type {
  Family,
  ParsedCidr,
  MacvlanMode,
  IpvlanMode,
  IpvlanFlag,
  Link,
  OperState,
  Address,
  Route,
  RouteSpec,
  RouteScope,
  Neighbour,
  NeighbourSpec,
  NeighbourState,
  FdbEntry,
  FdbSpec,
  VethSpec,
  BridgeSpec,
  MacvlanSpec,
  IpvlanSpec,
  VxlanSpec,
} from './netlink/index.js';
export { readSysctl, writeSysctl, ensureSysctl, sysctlPath } from './sysctl/index.js';

// Firewall.
export {
  createFirewall,
  requiredSysctls,
  renderNft,
  nftScript,
  renderIptables,
  renderDockerIptables,
  iptablesSaveText,
  NftFirewall,
  IptablesFirewall,
  NoneFirewall,
} from './firewall/index.js';
export type {
  NftRender,
  NftRule,
  NftElement,
  IptRule,
  IptRenderOptions,
  AnnotatedRule,
  BackendName,
  CreateFirewallOptions,
  Drift,
  DriftEntry,
  Firewall,
  FirewallState,
  NetworkRules,
  PortMapping,
  Proto,
  ResolverPorts,
  RuleOwner,
} from './firewall/index.js';

// Published ports: `-p` parsing, host port reservation, userland proxy.
export { parsePortSpec, parsePortSpecs, parsePortRange, publishAllBindings, formatBinding, PortReserver, localPortRange, simpleReserver, startUserlandProxy } from './portmapper/index.js';
export type { PortBinding, PortProto, PortHolder, ReserveRequest, Reservation, PortReserverOptions, ProxySpec, UserlandProxy } from './portmapper/index.js';
