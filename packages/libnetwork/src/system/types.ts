/**
 * What the model and the drivers need from the kernel, as one seam: the real implementation is
 * the netns addon + the netlink wrapper + sysctl (system/real.ts); system/fake.ts is an in-memory
 * kernel for unit tests of the controller's logic.
 */

export interface LinkInfo {
  name: string;
  /** 'bridge', 'veth', ... ('' when the kernel gave no kind, e.g. lo). */
  kind: string;
  /** Name of the master (bridge) this link is enslaved to. */
  master?: string;
  up: boolean;
  mtu: number;
  mac: string;
}

export interface RouteSpec {
  /** CIDR or 'default'. */
  dst: string;
  gateway?: string;
  dev?: string;
}

/** Link, address and route operations inside one namespace (a netlink socket bound to it). */
export interface LinkOps {
  links(): Promise<LinkInfo[]>;
  linkByName(name: string): Promise<LinkInfo | undefined>;
  addBridge(o: { name: string; mtu?: number; mac?: string }): Promise<void>;
  /** Veth pair; the peer is created straight inside `peerNsPath` under its final name. */
  addVeth(o: { name: string; peerName: string; peerNsPath?: string; mtu?: number; peerMac?: string }): Promise<void>;
  setUp(name: string): Promise<void>;
  setDown(name: string): Promise<void>;
  /** The kernel refuses while the link is up (EBUSY). */
  rename(name: string, newName: string): Promise<void>;
  setMaster(name: string, master: string | null): Promise<void>;
  setMtu(name: string, mtu: number): Promise<void>;
  setMac(name: string, mac: string): Promise<void>;
  /** Missing is success. */
  removeLink(name: string): Promise<unknown>;
  /** Bridge port hairpin mode: lets a container reach itself through a DNAT on the host. */
  setHairpin(name: string, on: boolean): Promise<void>;
  /** CIDRs on a link (`10.0.0.1/24`). */
  addresses(name: string): Promise<string[]>;
  /** `nodad`: skip IPv6 duplicate address detection (the address is usable at once; ipam guarantees uniqueness). */
  ensureAddress(name: string, cidr: string, opts?: { nodad?: boolean }): Promise<void>;
  removeAddress(name: string, cidr: string): Promise<void>;
  ensureRoute(route: RouteSpec): Promise<void>;
  removeRoute(route: RouteSpec): Promise<void>;
  /** Main-table routes (`dst` is a CIDR or 'default'). */
  routes(): Promise<RouteSpec[]>;
}

export interface SocketInNetns {
  fd: number;
  port: number;
}

export interface Kernel {
  /** The link operations of a namespace (the host's when nsPath is undefined); cached per ns. */
  ns(nsPath: string | undefined): Promise<LinkOps>;
  /** Drops the cached handle of a namespace that is going away. */
  forget(nsPath: string): void;
  createNamedNetns(name: string): string;
  removeNamedNetns(name: string): void;
  /** Names under /run/netns. */
  namedNetns(): string[];
  openSocketInNetns(nsPath: string, o: { type: 'udp' | 'tcp'; address: string; port: number }): SocketInNetns;
  readSysctl(nsPath: string | undefined, key: string): string;
  writeSysctl(nsPath: string | undefined, key: string, value: string): void;
  /**
   * Deletes links of a namespace in one batch, off this thread: a deletion blocks the calling
   * thread in the kernel for an RCU grace period (~20 ms here). Missing links are fine.
   */
  reapLinks(nsPath: string | undefined, names: string[]): Promise<void>;
}
