/**
 * The firewall's public model. The controller describes what it wants (FirewallState); a backend
 * makes the kernel hold exactly that. Everything here is plain data.
 */

export type Proto = 'tcp' | 'udp' | 'sctp';
export type BackendName = 'nftables' | 'iptables' | 'none';

/** One bridge network, as far as the firewall cares. */
export interface NetworkRules {
  id: string;
  name: string;
  /** Host-side bridge device, e.g. `tsnet0`, `br-0123456789ab`. */
  bridge: string;
  /** Every subnet of the network, IPv4 and IPv6 CIDRs mixed (`10.1.0.0/24`, `fd00::/64`). */
  subnets: string[];
  /** IPv4 gateway (informational; rules match on subnets, as Docker's do). */
  gateway?: string;
  /** `com.docker.network.bridge.enable_icc` */
  icc: boolean;
  /** `com.docker.network.bridge.enable_ip_masquerade` */
  masquerade: boolean;
  /** `--internal`: nothing leaves or enters except through the bridge itself. */
  internal: boolean;
  /**
   * `com.docker.network.bridge.host_binding_ipv4`: the host address used for an IPv4 port
   * mapping whose hostIp is '' (Docker's DefaultBindingIP). The port reserver must bind the same.
   */
  hostBindingIpv4?: string;
}

/** One published port: host (hostIp, hostPort, proto) → container (containerIp, containerPort). */
export interface PortMapping {
  networkId: string;
  endpointId: string;
  containerId: string;
  bridge: string;
  proto: Proto;
  /** '' (or 0.0.0.0 / ::) = every host address. */
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

export interface FirewallState {
  networks: NetworkRules[];
  portMappings: PortMapping[];
  /**
   * Docker's `userland-proxy`. Off (tsnet's default, Docker's "hairpin mode"): the kernel handles
   * every path, including 127.0.0.1 (needs route_localnet=1 on the bridge, see requiredSysctls)
   * and a container reaching a published port through a host address. On: like Docker's default,
   * traffic from a bridge and from loopback is left to the proxy.
   */
  userlandProxy?: boolean;
}

/** Who a rule is for; rendered into its comment and parsed back by list(). */
export type RuleOwner =
  | { kind: 'global' }
  | { kind: 'network'; network: string }
  | { kind: 'port'; network: string; container: string; endpoint: string; port: string }
  | { kind: 'resolver' }
  | { kind: 'user' }
  | { kind: 'foreign' };

/** A rule (or nft set element) as the kernel lists it. */
export interface AnnotatedRule {
  family: 4 | 6;
  /** `nat` / `filter` (both backends), `resolver` for a sandbox's DNS rules. */
  table: string;
  /** Chain name, or for nft set/map elements the set's name. */
  chain: string;
  kind: 'rule' | 'element';
  /** Canonical text (nft syntax or iptables-save syntax, counters stripped). */
  text: string;
  owner: RuleOwner;
  packets: number;
  bytes: number;
}

export interface DriftEntry {
  family: 4 | 6;
  table: string;
  chain: string;
  text: string;
}

export interface Drift {
  /** Wanted but not in the kernel. */
  missing: DriftEntry[];
  /** In the kernel, in tsnet's chains/tables, but not wanted (rules in TSNET-USER are the user's: never extra). */
  extra: DriftEntry[];
}

export interface ResolverPorts {
  udpPort: number;
  tcpPort: number;
}

export interface Firewall {
  readonly backend: BackendName;
  /** Makes the kernel hold exactly these tsnet rules. Idempotent; one atomic transaction per call. */
  apply(state: FirewallState): Promise<void>;
  /** tsnet's rules as the kernel lists them, with owner and packet counters. */
  list(): Promise<AnnotatedRule[]>;
  /** Compares the kernel's listing (not the cached state) with `state`; the next apply re-reads the kernel. */
  drift(state: FirewallState): Promise<Drift>;
  /** Removes everything tsnet owns in this namespace; other rules stay. */
  teardown(): Promise<void>;
  /** Inside a sandbox namespace: 127.0.0.11:53 (udp/tcp) → 127.0.0.11:<port>, replies SNATed back to :53. */
  applySandboxResolver(nsPath: string, ports: ResolverPorts): Promise<void>;
  removeSandboxResolver(nsPath: string): Promise<void>;
  /** Ends helper processes (the nftables backend keeps an `nft -i` coprocess). Idle ones never keep Node alive. */
  close?(): void;
}

export interface CreateFirewallOptions {
  backend: BackendName;
  /** Namespace acting as "the host" (default: the calling process's own). */
  nsPath?: string;
  /** iptables only: force a flavour instead of detecting the host's. */
  iptablesFlavour?: 'nft' | 'legacy';
}
