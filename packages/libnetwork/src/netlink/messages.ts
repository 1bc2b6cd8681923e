import { invalid } from '@tsnet/errors';
import {
  checkIfName,
  checkMtu,
  familyOf,
  ipToBytes,
  macToBytes,
  nla,
  nlaNested,
  nlaString,
  nlaU16,
  nlaU32,
  nlaU8,
} from './codec.js';

/**
 * rtnetlink message bodies (uapi/linux/rtnetlink.h, if_link.h, neighbour.h), built by hand so
 * IFLA_LINKINFO — which the `netlink` package leaves as raw bytes — is encoded exactly once, here,
 * and unit-tested without root.
 */

export const RTM = {
  NEWLINK: 16, DELLINK: 17, GETLINK: 18, SETLINK: 19,
  NEWADDR: 20, DELADDR: 21, GETADDR: 22,
  NEWROUTE: 24, DELROUTE: 25, GETROUTE: 26,
  NEWNEIGH: 28, DELNEIGH: 29, GETNEIGH: 30,
} as const;

export const NLM_F = { REPLACE: 0x100, EXCL: 0x200, CREATE: 0x400, APPEND: 0x800, DUMP: 0x300 } as const;

export const IFLA = {
  ADDRESS: 1, IFNAME: 3, MTU: 4, LINK: 5, MASTER: 10, PROTINFO: 12, OPERSTATE: 16,
  LINKINFO: 18, GROUP: 27, NET_NS_FD: 28, LINK_NETNSID: 37,
} as const;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
export const IFLA_INFO = { KIND: IFLA_INFO_KIND, DATA: IFLA_INFO_DATA, SLAVE_KIND: 4 } as const;
const VETH_INFO_PEER = 1;
const IFLA_BRPORT_MODE = 4; // hairpin
export const IFF_UP = 0x1;
export const IFF_LOWER_UP = 0x10000;

/** struct ifinfomsg: family, pad, type, index, flags, change (16 bytes). */
export function ifinfomsg(o: { family?: number; index?: number; flags?: number; change?: number } = {}): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(o.family ?? 0, 0);
  b.writeInt32LE(o.index ?? 0, 4);
  b.writeUInt32LE((o.flags ?? 0) >>> 0, 8);
  b.writeUInt32LE((o.change ?? 0) >>> 0, 12);
  return b;
}

/** struct ifaddrmsg: family, prefixlen, flags, scope, index (8 bytes). */
export function ifaddrmsg(family: number, prefixLen: number, index: number, scope = 0, flags = 0): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(family, 0);
  b.writeUInt8(prefixLen, 1);
  b.writeUInt8(flags, 2);
  b.writeUInt8(scope, 3);
  b.writeUInt32LE(index, 4);
  return b;
}

/** struct rtmsg (12 bytes). */
export function rtmsg(o: { family: number; dstLen: number; table: number; protocol: number; scope: number; type: number }): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt8(o.family, 0);
  b.writeUInt8(o.dstLen, 1);
  b.writeUInt8(o.table < 256 ? o.table : 252 /* RT_TABLE_COMPAT; real id in RTA_TABLE */, 4);
  b.writeUInt8(o.protocol, 5);
  b.writeUInt8(o.scope, 6);
  b.writeUInt8(o.type, 7);
  return b;
}

/** struct ndmsg: family, pad, ifindex, state, flags, type (12 bytes). */
export function ndmsg(family: number, index: number, state: number, flags: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt8(family, 0);
  b.writeInt32LE(index, 4);
  b.writeUInt16LE(state, 8);
  b.writeUInt8(flags, 10);
  return b;
}

/** Attributes common to every new link. */
export interface CommonLinkSpec {
  name: string;
  mtu?: number;
  mac?: string;
  /** Created administratively up (ifi_flags), saving a separate RTM_SETLINK. */
  up?: boolean;
  /** Index of the master (bridge) to enslave it to at creation (IFLA_MASTER). */
  masterIndex?: number;
}

export type MacvlanMode = 'private' | 'vepa' | 'bridge' | 'passthru' | 'source';
export type IpvlanMode = 'l2' | 'l3' | 'l3s';
export type IpvlanFlag = 'bridge' | 'private' | 'vepa';

export type LinkKindSpec =
  | { kind: 'veth'; peerName: string; peerMac?: string; peerMtu?: number; peerNsFd?: number }
  | { kind: 'bridge' }
  | { kind: 'macvlan'; parentIndex: number; mode: MacvlanMode }
  | { kind: 'ipvlan'; parentIndex: number; mode: IpvlanMode; flag: IpvlanFlag }
  | {
      kind: 'vxlan';
      vni: number;
      local?: string;
      /** Multicast group or unicast remote. */
      group?: string;
      port?: number;
      devIndex?: number;
      learning?: boolean;
      ttl?: number;
    };

const MACVLAN_MODES: Record<MacvlanMode, number> = { private: 1, vepa: 2, bridge: 4, passthru: 8, source: 16 };
const IPVLAN_MODES: Record<IpvlanMode, number> = { l2: 0, l3: 1, l3s: 2 };
const IPVLAN_FLAGS: Record<IpvlanFlag, number> = { bridge: 0, private: 1, vepa: 2 };

function commonAttrs(o: CommonLinkSpec): Buffer[] {
  const attrs = [nlaString(IFLA.IFNAME, checkIfName(o.name))];
  if (o.mtu !== undefined) attrs.push(nlaU32(IFLA.MTU, checkMtu(o.mtu)));
  if (o.mac !== undefined) attrs.push(nla(IFLA.ADDRESS, macToBytes(o.mac)));
  return attrs;
}

function infoData(spec: LinkKindSpec): Buffer[] {
  switch (spec.kind) {
    case 'veth': {
      // VETH_INFO_PEER carries a whole ifinfomsg + attributes for the other end; with
      // IFLA_NET_NS_FD the peer is born inside that namespace, under its final name.
      // (The peer cannot be created up: the kernel configures it before the pair is linked, and
      // opening a veth without its peer fails with ENOTCONN.)
      const peer = [ifinfomsg(), ...commonAttrs({ name: spec.peerName, ...opt('mtu', spec.peerMtu), ...opt('mac', spec.peerMac) })];
      if (spec.peerNsFd !== undefined) peer.push(nlaU32(IFLA.NET_NS_FD, spec.peerNsFd));
      return [nla(VETH_INFO_PEER, Buffer.concat(peer))];
    }
    case 'bridge':
      return [];
    case 'macvlan':
      return [nlaU32(1 /* IFLA_MACVLAN_MODE */, MACVLAN_MODES[spec.mode])];
    case 'ipvlan':
      return [nlaU16(1 /* IFLA_IPVLAN_MODE */, IPVLAN_MODES[spec.mode]), nlaU16(2 /* IFLA_IPVLAN_FLAGS */, IPVLAN_FLAGS[spec.flag])];
    case 'vxlan':
      return vxlanData(spec);
  }
}

function vxlanData(spec: Extract<LinkKindSpec, { kind: 'vxlan' }>): Buffer[] {
  if (!Number.isInteger(spec.vni) || spec.vni < 0 || spec.vni > 0xffffff) {
    throw invalid('ERR_INVALID_VNI', `invalid VXLAN id ${String(spec.vni)}: use 0-16777215`, { details: { vni: spec.vni } });
  }
  const out = [nlaU32(1 /* IFLA_VXLAN_ID */, spec.vni)];
  if (spec.group !== undefined) {
    out.push(nla(familyOf(spec.group) === 4 ? 2 /* GROUP */ : 16 /* GROUP6 */, ipToBytes(spec.group)));
  }
  if (spec.local !== undefined) {
    out.push(nla(familyOf(spec.local) === 4 ? 4 /* LOCAL */ : 17 /* LOCAL6 */, ipToBytes(spec.local)));
  }
  if (spec.devIndex !== undefined) out.push(nlaU32(3 /* IFLA_VXLAN_LINK */, spec.devIndex));
  if (spec.ttl !== undefined) out.push(nlaU8(5 /* IFLA_VXLAN_TTL */, spec.ttl));
  if (spec.learning !== undefined) out.push(nlaU8(7 /* IFLA_VXLAN_LEARNING */, spec.learning ? 1 : 0));
  if (spec.port !== undefined) {
    if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535) {
      throw invalid('ERR_INVALID_PORT', `invalid VXLAN port ${String(spec.port)}`, { details: { port: spec.port } });
    }
    out.push(nlaU16(15 /* IFLA_VXLAN_PORT, network order */, spec.port, true));
  }
  return out;
}

/** IFLA_LINKINFO { KIND, DATA } for a new link. */
export function linkInfo(spec: LinkKindSpec): Buffer {
  const data = infoData(spec);
  const children = [nlaString(IFLA_INFO_KIND, spec.kind)];
  if (data.length > 0) children.push(nlaNested(IFLA_INFO_DATA, data));
  return nlaNested(IFLA.LINKINFO, children);
}

/** RTM_NEWLINK body: ifinfomsg + name/mtu/mac + parent (IFLA_LINK) + netns + linkinfo. */
export function newLinkBody(common: CommonLinkSpec, spec: LinkKindSpec, nsFd?: number): Buffer {
  const parts = [common.up ? ifinfomsg({ flags: IFF_UP, change: IFF_UP }) : ifinfomsg(), ...commonAttrs(common)];
  if (common.masterIndex !== undefined) parts.push(nlaU32(IFLA.MASTER, common.masterIndex));
  if (spec.kind === 'macvlan' || spec.kind === 'ipvlan') parts.push(nlaU32(IFLA.LINK, spec.parentIndex));
  if (nsFd !== undefined) parts.push(nlaU32(IFLA.NET_NS_FD, nsFd));
  parts.push(linkInfo(spec));
  return Buffer.concat(parts);
}

/** IFLA_EXT_MASK = RTEXT_FILTER_SKIP_STATS: link replies without the (large) statistics blocks. */
export const SKIP_STATS = nlaU32(29 /* IFLA_EXT_MASK */, 1 << 3);

/** RTM_SETLINK/DELLINK body addressing a link by name (the kernel resolves IFLA_IFNAME when index is 0). */
export function linkByNameBody(name: string, extra: Buffer[] = [], hdr: { flags?: number; change?: number } = {}): Buffer {
  return Buffer.concat([ifinfomsg(hdr), nlaString(IFLA.IFNAME, checkIfName(name)), ...extra]);
}

/** AF_BRIDGE RTM_SETLINK body setting a bridge port's hairpin mode (IFLA_PROTINFO/IFLA_BRPORT_MODE). */
export function hairpinBody(index: number, on: boolean): Buffer {
  return Buffer.concat([ifinfomsg({ family: 7, index }), nlaNested(IFLA.PROTINFO, [nlaU8(IFLA_BRPORT_MODE, on ? 1 : 0)])]);
}

function opt<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
}
