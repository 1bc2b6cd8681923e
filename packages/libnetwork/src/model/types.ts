/**
 * The persisted CNM objects. Everything here is plain JSON: the store holds it, restore reads it
 * back, and inspect output is derived from it.
 */

export type Scope = 'local' | 'global' | 'swarm';

/** One `--subnet/--ip-range/--gateway/--aux-address` group as the user gave it. */
export interface IpamConfigInput {
  subnet?: string;
  ipRange?: string;
  gateway?: string;
  auxAddresses?: Record<string, string>;
}

/** A pool this network holds in ipam, with what was allocated from it for the network itself. */
export interface NetworkPool {
  family: 4 | 6;
  poolId: string;
  /** Canonical CIDR. */
  pool: string;
  ipRange?: string;
  /** Plain IP of the gateway (allocated with `gateway: true`). */
  gateway: string;
  /** name → plain IP, reserved in ipam. */
  auxAddresses: Record<string, string>;
}

export interface NetworkRecord {
  id: string;
  name: string;
  driver: string;
  scope: Scope;
  created: string;
  internal: boolean;
  attachable: boolean;
  enableIPv6: boolean;
  /** Docker's generic options as given (`-o key=value`), shown by inspect. */
  options: Record<string, string>;
  labels: Record<string, string>;
  ipam: { driver: string; options: Record<string, string>; config: IpamConfigInput[] };
  pools: NetworkPool[];
  /** The driver's typed config (the output of its validate phase), opaque to the controller. */
  driverConfig: unknown;
  /** One of the predefined networks (bridge, host, none) that cannot be removed by the user. */
  predefined: boolean;
}

export interface PublishedPort {
  proto: 'tcp' | 'udp' | 'sctp';
  containerPort: number;
  /** '' = every address of the host (0.0.0.0), like Docker. */
  hostIp: string;
  hostPort: number;
}

export interface ExposedPort {
  proto: 'tcp' | 'udp' | 'sctp';
  port: number;
}

export interface LinkRequest {
  /** Name or id of the linked container. */
  container: string;
  alias: string;
}

export interface EndpointRecord {
  id: string;
  name: string;
  networkId: string;
  sandboxId: string;
  /** Interface name inside the sandbox (eth0, eth1, ...); '' for host/none endpoints. */
  ifName: string;
  /** Host side of the veth; '' when the driver made none. */
  hostIfName: string;
  macAddress: string;
  /** `a.b.c.d/len` or ''. */
  ipv4: string;
  ipv6: string;
  /** Addresses the user asked for (`--ip`), kept so inspect can show IPAMConfig. */
  requestedIpv4: string;
  requestedIpv6: string;
  aliases: string[];
  links: LinkRequest[];
  exposedPorts: ExposedPort[];
  ports: PublishedPort[];
  created: string;
}

export type SandboxMode = 'private' | 'host';

export interface SandboxRecord {
  id: string;
  /** The container that created it; `sharers` are containers joined with `container:<id>`. */
  containerId: string;
  containerName: string;
  sharers: string[];
  mode: SandboxMode;
  /** Named namespace (`tsnet-<id12>`), '' in host mode. */
  nsName: string;
  nsPath: string;
  hostname: string;
  domainname: string;
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  extraHosts: string[];
  /** Endpoint ids in connect order. */
  endpoints: string[];
  /** Next `eth<N>` index (not reused, as Docker's osl). */
  nextIfIndex: number;
  created: string;
}

/**
 * Written before the kernel is touched and deleted in the same transaction that commits the
 * object, so a start after SIGKILL knows exactly what may be half-made. Every kernel object and
 * ipam allocation an operation can make is named here before it is made.
 */
export type Intent =
  | { id: string; op: 'network.create'; network: NetworkRecord; pools: PoolIntent[] }
  | { id: string; op: 'network.delete'; networkId: string }
  | { id: string; op: 'endpoint.create'; endpoint: EndpointRecord; allocations: AddressIntent[] }
  | { id: string; op: 'endpoint.delete'; endpointId: string }
  | { id: string; op: 'sandbox.create'; sandbox: SandboxRecord }
  | { id: string; op: 'sandbox.delete'; sandboxId: string };

/** A pool requested (or about to be) for a network being created. */
export interface PoolIntent {
  family: 4 | 6;
  /** Known once ipam answered. */
  poolId?: string;
  addresses: string[];
}

export interface AddressIntent {
  poolId: string;
  /** Plain IP once ipam answered. */
  address?: string;
}
