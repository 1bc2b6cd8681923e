import type { NetworkRules, PortMapping } from '../firewall/types.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../model/types.js';
import type { Kernel, LinkOps } from '../system/types.js';
import type { ControllerConfig } from '../controller/config.js';

/**
 * The driver seam (CNM's driverapi, narrowed to what local drivers need). Three phases:
 * `validate` turns loose options into the driver's typed config before anything is touched;
 * `createNetwork`/`join` act; `deleteNetwork`/`leave` undo and treat "already gone" as success,
 * so the controller can use them for rollback and for crash recovery alike.
 */
export interface DriverContext {
  /** The namespace acting as the host (undefined: the process's own). */
  readonly hostNsPath: string | undefined;
  readonly kernel: Kernel;
  /** Link operations in the host namespace. */
  readonly host: LinkOps;
  readonly config: ControllerConfig;
  /** The firewall backend in use ('none' when iptables is off). */
  readonly firewallBackend: string;
  /**
   * Takes a host link out of service at once (down, renamed) and deletes it in the background:
   * the kernel's deletion waits for an RCU grace period. False when the link did not exist.
   */
  retireLink(name: string): Promise<boolean>;
}

export interface NetworkSpec {
  id: string;
  name: string;
  options: Record<string, string>;
  internal: boolean;
  enableIPv6: boolean;
  predefined: boolean;
}

/** What join needs to know about the sandbox side. */
export interface JoinTarget {
  sandbox: SandboxRecord;
  /** Interface name to give inside the sandbox (eth0, eth1, ...). */
  ifName: string;
}

export interface Driver<C = unknown> {
  readonly name: string;
  readonly scope: 'local' | 'global';
  /** host and none hand out no addresses. */
  readonly usesIpam: boolean;
  /** An endpoint of this driver lives in the host namespace (host driver). */
  readonly hostNamespace?: boolean;
  /** Only one network of this driver may exist (host, none). */
  readonly singleton?: boolean;
  /** Pure: options → typed config. `others` are the existing networks (for name clashes). */
  validate(spec: NetworkSpec, others: NetworkRecord[], config: ControllerConfig): C;
  createNetwork(ctx: DriverContext, network: NetworkRecord): Promise<void>;
  /** Idempotent; also the rollback of a partial createNetwork. */
  deleteNetwork(ctx: DriverContext, network: NetworkRecord): Promise<void>;
  /** After a restart: make the kernel match the record again (idempotent ensure). */
  restoreNetwork(ctx: DriverContext, network: NetworkRecord): Promise<void>;
  /** Names of host links this network owns (bridge), for orphan scans. */
  ownedLinks(network: NetworkRecord): string[];
  /** Puts the endpoint into the sandbox: interface, addresses, MTU, MAC. */
  join(ctx: DriverContext, network: NetworkRecord, endpoint: EndpointRecord, target: JoinTarget): Promise<void>;
  /** Idempotent; also the rollback of a partial join. */
  leave(ctx: DriverContext, network: NetworkRecord, endpoint: EndpointRecord, sandbox: SandboxRecord): Promise<void>;
  /** The network's part of the firewall's desired state (bridge networks). */
  firewallRules?(network: NetworkRecord): NetworkRules | undefined;
  /** Published ports of an endpoint as firewall mappings. */
  portMappings?(network: NetworkRecord, endpoint: EndpointRecord, sandbox: SandboxRecord): PortMapping[];
  /** Docker-shaped `Options` for inspect (the typed config rendered back). */
  inspectOptions?(network: NetworkRecord): Record<string, string>;
  /** A default route through this network's gateway is possible (bridge, not internal). */
  providesGateway(network: NetworkRecord): boolean;
}
