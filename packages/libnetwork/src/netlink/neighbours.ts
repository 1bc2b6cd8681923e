import type { rt } from 'netlink';
import { AF_BRIDGE, afOf, familyOf, ipToBytes, macToBytes, nla, nlaU32 } from './codec.js';
import { isNetlinkError } from './errors.js';
import { AddressOps } from './addresses.js';
import { NLM_F, RTM, ndmsg } from './messages.js';
import { toFdb, toNeighbour } from './parse.js';
import type { FdbEntry, FdbSpec, Neighbour, NeighbourSpec } from './types.js';

const NDA = { DST: 1, LLADDR: 2, VNI: 7 } as const;
const NUD_PERMANENT = 0x80;
const NTF_SELF = 0x02;
const NTF_MASTER = 0x04;

/** Neighbours (ARP/NDP entries) and bridge/vxlan forwarding database entries. */
export class NeighbourOps extends AddressOps {
  /** IPv4/IPv6 neighbours, of one link or all. */
  async neighbours(dev?: string): Promise<Neighbour[]> {
    const names = dev === undefined ? await this.linkNames() : new Map([[await this.index(dev), dev]]);
    const msgs = await this.sock.dump(RTM.GETNEIGH, ndmsg(0, 0, 0, 0), 'RTM_GETNEIGH');
    return msgs
      .filter((m): m is rt.NeighborMessage => m.kind === 'neighbor' && names.has(m.data.ifindex ?? -1))
      .map((m) => toNeighbour(m, names))
      .filter((n): n is Neighbour => n !== undefined);
  }

  /** A permanent neighbour entry (like `ip neigh replace ... nud permanent`). */
  async ensureNeighbour(n: NeighbourSpec): Promise<void> {
    const family = familyOf(n.address);
    const body = Buffer.concat([
      ndmsg(afOf(family), await this.index(n.dev), NUD_PERMANENT, 0),
      nla(NDA.DST, ipToBytes(n.address)),
      nla(NDA.LLADDR, macToBytes(n.lladdr)),
    ]);
    await this.sock.ack(RTM.NEWNEIGH, body, NLM_F.CREATE | NLM_F.REPLACE, 'RTM_NEWNEIGH', `${n.address} dev "${n.dev}"`);
  }

  /** Removes a neighbour entry; missing is fine. */
  async removeNeighbour(n: { dev: string; address: string }): Promise<void> {
    let index: number;
    try {
      index = await this.index(n.dev);
    } catch {
      return;
    }
    const body = Buffer.concat([ndmsg(afOf(familyOf(n.address)), index, 0, 0), nla(NDA.DST, ipToBytes(n.address))]);
    try {
      await this.sock.ack(RTM.DELNEIGH, body, 0, 'RTM_DELNEIGH', `${n.address} dev "${n.dev}"`);
    } catch (e) {
      if (!isNetlinkError(e, 'ENOENT')) throw e;
    }
  }

  /** Forwarding database entries (AF_BRIDGE neighbours), of one device or all. */
  async fdb(dev?: string): Promise<FdbEntry[]> {
    const names = dev === undefined ? await this.linkNames() : new Map([[await this.index(dev), dev]]);
    const msgs = await this.sock.dump(RTM.GETNEIGH, ndmsg(AF_BRIDGE, 0, 0, 0), 'RTM_GETNEIGH');
    return msgs
      .filter((m): m is rt.NeighborMessage => m.kind === 'neighbor' && names.has(m.data.ifindex ?? -1))
      .map((m) => toFdb(m, names))
      .filter((e): e is FdbEntry => e !== undefined);
  }

  /**
   * A permanent FDB entry (like `bridge fdb replace MAC dev D [dst IP] [vni N] self permanent`).
   * The all-zeros and multicast MACs are flood lists with one entry per remote, which vxlan
   * refuses to "replace" (EOPNOTSUPP): those are appended, and an existing one is fine.
   */
  async ensureFdb(e: FdbSpec): Promise<void> {
    const mac = macToBytes(e.mac);
    const append = e.append === true || (mac[0]! & 1) === 1 || mac.every((b) => b === 0);
    const body = await this.#fdbBody(e, NUD_PERMANENT);
    try {
      await this.sock.ack(RTM.NEWNEIGH, body, NLM_F.CREATE | (append ? NLM_F.APPEND : NLM_F.REPLACE), 'RTM_NEWNEIGH', `fdb ${e.mac} dev "${e.dev}"`);
    } catch (err) {
      if (!(append && isNetlinkError(err, 'EEXIST'))) throw err;
    }
  }

  /** Removes an FDB entry; missing is fine. */
  async removeFdb(e: FdbSpec): Promise<void> {
    let body: Buffer;
    try {
      body = await this.#fdbBody(e, 0);
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_LINK_NOT_FOUND') return;
      throw err;
    }
    try {
      await this.sock.ack(RTM.DELNEIGH, body, 0, 'RTM_DELNEIGH', `fdb ${e.mac} dev "${e.dev}"`);
    } catch (err) {
      if (!isNetlinkError(err, 'ENOENT')) throw err;
    }
  }

  async #fdbBody(e: FdbSpec, state: number): Promise<Buffer> {
    const attrs = [nla(NDA.LLADDR, macToBytes(e.mac))];
    if (e.dst !== undefined) attrs.push(nla(NDA.DST, ipToBytes(e.dst)));
    if (e.vni !== undefined) attrs.push(nlaU32(NDA.VNI, e.vni));
    const flags = e.target === 'master' ? NTF_MASTER : NTF_SELF;
    return Buffer.concat([ndmsg(AF_BRIDGE, await this.index(e.dev), state, flags), ...attrs]);
  }
}
