import type { Family } from './codec.js';
import type { IpvlanFlag, IpvlanMode, MacvlanMode } from './messages.js';

export type { Family, IpvlanFlag, IpvlanMode, MacvlanMode };

export type OperState = 'unknown' | 'notpresent' | 'down' | 'lowerlayerdown' | 'testing' | 'dormant' | 'up';

/** A link as the kernel reports it (RTM_NEWLINK). */
export interface Link {
  index: number;
  name: string;
  /** IFLA_INFO_KIND: 'veth', 'bridge', 'macvlan', 'vxlan'... ('' when the kernel gives none, e.g. lo). */
  kind: string;
  /** IFLA_INFO_SLAVE_KIND, e.g. 'bridge' for a bridge port. */
  slaveKind?: string;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** Carrier (IFF_LOWER_UP). */
  lowerUp: boolean;
  operstate: OperState;
  mtu: number;
  mac: string;
  /** Name of the master (bridge) this link is enslaved to, when it is in this namespace. */
  master?: string;
  masterIndex?: number;
  /** IFLA_LINK: the parent (macvlan/vxlan dev) or the peer's index (veth, possibly in another ns). */
  parentIndex?: number;
  /** Set when the parent/peer lives in another namespace (its id as seen from this one). */
  linkNetnsId?: number;
}

export interface Address {
  index: number;
  dev: string;
  family: Family;
  /** Plain address, e.g. '10.0.0.2'. */
  address: string;
  prefixLen: number;
  /** '10.0.0.2/24'. */
  cidr: string;
  /** 0 universe, 253 link, 254 host. */
  scope: number;
  label?: string;
}

export type RouteScope = 'universe' | 'site' | 'link' | 'host' | 'nowhere';

/** Input of ensureRoute/removeRoute. */
export interface RouteSpec {
  /** CIDR or 'default'. Host bits are cleared ('10.0.0.7/24' means 10.0.0.0/24). */
  dst: string;
  gateway?: string;
  dev?: string;
  /** Default: 'link' for a route with a dev and no gateway (like `ip route add`), else 'universe'. */
  scope?: RouteScope;
  metric?: number;
  /** Preferred source address. */
  src?: string;
  /** Routing table id (default main, 254). */
  table?: number;
  /** Needed only for a 'default' route with no gateway (default 4). */
  family?: Family;
}

export interface Route {
  family: Family;
  /** CIDR, or 'default' for a zero-length prefix. */
  dst: string;
  gateway?: string;
  dev?: string;
  oif?: number;
  scope: RouteScope | number;
  table: number;
  /** RTPROT_* (2 kernel, 3 boot, 4 static...). */
  protocol: number;
  /** RTN_* (1 unicast, 2 local, 3 broadcast...). */
  type: number;
  metric?: number;
  src?: string;
}

export type NeighbourState = 'incomplete' | 'reachable' | 'stale' | 'delay' | 'probe' | 'failed' | 'noarp' | 'permanent';

export interface Neighbour {
  index: number;
  dev: string;
  family: Family;
  address: string;
  lladdr?: string;
  state: NeighbourState[];
}

export interface NeighbourSpec {
  dev: string;
  address: string;
  lladdr: string;
}

export interface FdbEntry {
  index: number;
  dev: string;
  mac: string;
  /** Remote VTEP (vxlan entries). */
  dst?: string;
  vni?: number;
  /** Index of the bridge (NDA_MASTER) for entries of a bridge port. */
  masterIndex?: number;
  /** NTF_SELF: the entry belongs to the device itself (vxlan), not to its master bridge. */
  self: boolean;
  state: NeighbourState[];
}

export interface FdbSpec {
  dev: string;
  mac: string;
  /** Remote VTEP address, for vxlan devices. */
  dst?: string;
  vni?: number;
  /** Add to the device's own table (NTF_SELF, what vxlan needs; default) or its master bridge's (NTF_MASTER). */
  target?: 'self' | 'master';
  /** Append instead of replace (several remotes for the same MAC, e.g. the all-zeros flood entry). */
  append?: boolean;
}

export interface VethSpec {
  name: string;
  peerName: string;
  /** Namespace the peer is created in (directly, under its final name); default: this one. */
  peerNsPath?: string;
  mtu?: number;
  mac?: string;
  peerMac?: string;
  /** Bring this end up at creation (one request instead of two). */
  up?: boolean;
  /** Enslave this end to a bridge at creation (IFLA_MASTER). */
  master?: string;
}

export interface BridgeSpec {
  name: string;
  mtu?: number;
  mac?: string;
  /** Bring it up at creation. */
  up?: boolean;
}

export interface MacvlanSpec {
  name: string;
  /** Parent link (in this namespace). */
  parent: string;
  mode?: MacvlanMode;
  mtu?: number;
  mac?: string;
  /** Create it straight inside this namespace (the parent stays here). */
  nsPath?: string;
}

export interface IpvlanSpec {
  name: string;
  parent: string;
  mode?: IpvlanMode;
  flag?: IpvlanFlag;
  mtu?: number;
  nsPath?: string;
}

export interface VxlanSpec {
  name: string;
  vni: number;
  local?: string;
  /** Multicast group. */
  group?: string;
  /** Unicast remote VTEP (same attribute as group, as in `ip link ... remote`). */
  remote?: string;
  /** UDP destination port (default: the kernel's, 8472; Docker uses 4789). */
  port?: number;
  /** Underlay device. */
  dev?: string;
  learning?: boolean;
  ttl?: number;
  mtu?: number;
  mac?: string;
}
