import type { rt } from 'netlink';
import { AF_BRIDGE, AF_INET, bytesToIp, bytesToMac, nlaToString, parseNlas, type Family } from './codec.js';
import { IFLA_INFO } from './messages.js';
import type { Address, FdbEntry, Link, Neighbour, NeighbourState, OperState, Route, RouteScope } from './types.js';

/** Kernel replies (as parsed by the `netlink` package) to the typed objects of types.ts. */

const OPERSTATES: OperState[] = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'];
const SCOPES: Record<number, RouteScope> = { 0: 'universe', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' };
export const SCOPE_IDS: Record<RouteScope, number> = { universe: 0, site: 200, link: 253, host: 254, nowhere: 255 };
const NUD: Array<[number, NeighbourState]> = [
  [0x01, 'incomplete'], [0x02, 'reachable'], [0x04, 'stale'], [0x08, 'delay'],
  [0x10, 'probe'], [0x20, 'failed'], [0x40, 'noarp'], [0x80, 'permanent'],
];

const familyOfAf = (af: number | undefined): Family => (af === AF_INET ? 4 : 6);

/** Reads an attribute the package leaves as raw bytes (e.g. IFLA_LINK) as a u32. */
function u32(b: Buffer | number | undefined): number | undefined {
  if (typeof b === 'number') return b;
  return b !== undefined && b.length >= 4 ? b.readUInt32LE(0) : undefined;
}

export function toLink(m: rt.LinkMessage): Link {
  const { data, attrs } = m;
  const info = attrs.linkinfo ? parseNlas(attrs.linkinfo) : new Map<number, Buffer>();
  const link: Link = {
    index: data.index ?? 0,
    name: attrs.ifname ?? '',
    kind: nlaToString(info.get(IFLA_INFO.KIND)) ?? '',
    up: data.flags?.up === true,
    lowerUp: data.flags?.lowerUp === true,
    operstate: OPERSTATES[attrs.operstate ?? 0] ?? 'unknown',
    mtu: attrs.mtu ?? 0,
    mac: attrs.address ? bytesToMac(attrs.address) : '',
  };
  const slaveKind = nlaToString(info.get(IFLA_INFO.SLAVE_KIND));
  if (slaveKind) link.slaveKind = slaveKind;
  if (attrs.master) link.masterIndex = attrs.master;
  const parent = u32(attrs.link);
  if (parent !== undefined) link.parentIndex = parent;
  if (attrs.linkNetnsid !== undefined) link.linkNetnsId = attrs.linkNetnsid;
  return link;
}

export function toAddress(m: rt.AddressMessage, names: Map<number, string>): Address {
  const { data, attrs } = m;
  const family = familyOfAf(data.family);
  // For IPv4, IFA_LOCAL is the interface's own address (IFA_ADDRESS is the peer on p2p links).
  const raw = (family === 4 ? attrs.local ?? attrs.address : attrs.address ?? attrs.local) ?? Buffer.alloc(family === 4 ? 4 : 16);
  const address = bytesToIp(raw);
  const index = data.index ?? 0;
  const out: Address = {
    index,
    dev: names.get(index) ?? '',
    family,
    address,
    prefixLen: data.prefixlen ?? 0,
    cidr: `${address}/${data.prefixlen ?? 0}`,
    scope: data.scope ?? 0,
  };
  if (attrs.label !== undefined) out.label = attrs.label;
  return out;
}

export function toRoute(m: rt.RouteMessage, names: Map<number, string>): Route {
  const { data, attrs } = m;
  const family = familyOfAf(data.family);
  const dstLen = data.dstLen ?? 0;
  const scopeNum = typeof data.scope === 'number' ? data.scope : SCOPE_IDS[String(data.scope).toLowerCase() as RouteScope] ?? 0;
  const route: Route = {
    family,
    dst: dstLen === 0 || !attrs.dst ? 'default' : `${bytesToIp(attrs.dst)}/${dstLen}`,
    scope: SCOPES[scopeNum] ?? scopeNum,
    table: attrs.table ?? data.table ?? 0,
    protocol: enumNum(data.protocol),
    type: enumNum(data.type),
  };
  if (attrs.gateway) route.gateway = bytesToIp(attrs.gateway);
  if (attrs.oif !== undefined) {
    route.oif = attrs.oif;
    const dev = names.get(attrs.oif);
    if (dev !== undefined) route.dev = dev;
  }
  if (attrs.priority !== undefined) route.metric = attrs.priority;
  if (attrs.prefsrc) route.src = bytesToIp(attrs.prefsrc);
  return route;
}

export function toNeighbour(m: rt.NeighborMessage, names: Map<number, string>): Neighbour | undefined {
  const { data, attrs } = m;
  if (!attrs.dst || data.family === AF_BRIDGE) return undefined;
  const index = data.ifindex ?? 0;
  const n: Neighbour = {
    index,
    dev: names.get(index) ?? '',
    family: familyOfAf(data.family),
    address: bytesToIp(attrs.dst),
    state: states(data.state),
  };
  if (attrs.lladdr && attrs.lladdr.length === 6) n.lladdr = bytesToMac(attrs.lladdr);
  return n;
}

export function toFdb(m: rt.NeighborMessage, names: Map<number, string>): FdbEntry | undefined {
  const { data, attrs } = m;
  if (data.family !== AF_BRIDGE || !attrs.lladdr) return undefined;
  const index = data.ifindex ?? 0;
  const e: FdbEntry = {
    index,
    dev: names.get(index) ?? '',
    mac: bytesToMac(attrs.lladdr),
    self: data.flags?.self === true,
    state: states(data.state),
  };
  if (attrs.dst) e.dst = bytesToIp(attrs.dst);
  const vni = u32(attrs.vni);
  if (vni !== undefined) e.vni = vni;
  if (attrs.master) e.masterIndex = attrs.master;
  return e;
}

function states(s: rt.NeighborState | undefined): NeighbourState[] {
  if (s === undefined) return [];
  return NUD.filter(([, name]) => s[name] === true).map(([, name]) => name);
}

/** The package gives enums either as numbers or as their key names, depending on the field. */
function enumNum(v: unknown): number {
  if (typeof v === 'number') return v;
  const map: Record<string, number> = {
    UNSPEC: 0, REDIRECT: 1, KERNEL: 2, BOOT: 3, STATIC: 4,
    UNICAST: 1, LOCAL: 2, BROADCAST: 3, ANYCAST: 4, MULTICAST: 5, BLACKHOLE: 6, UNREACHABLE: 7, PROHIBIT: 8, THROW: 9,
  };
  return map[String(v)] ?? 0;
}
