import type { rt } from 'netlink';
import { notFound } from '@tsnet/errors';
import {
  afOf,
  broadcastOf,
  familyOf,
  ipToBytes,
  networkOf,
  nla,
  nlaU32,
  parseCidr,
  type Family,
} from './codec.js';
import { isNetlinkError } from './errors.js';
import { NLM_F, RTM, SKIP_STATS, ifaddrmsg, ifinfomsg, linkByNameBody, rtmsg } from './messages.js';
import { SCOPE_IDS, toAddress, toRoute } from './parse.js';
import type { RtSocket } from './socket.js';
import type { Address, Route, RouteSpec } from './types.js';

const ENODEV = 19;
const IFA = { ADDRESS: 1, LOCAL: 2, BROADCAST: 4, FLAGS: 8 } as const;
const IFA_F_NODAD = 0x02;
const RTA = { DST: 1, OIF: 4, GATEWAY: 5, PRIORITY: 6, PREFSRC: 7, TABLE: 15 } as const;
const RT_TABLE_MAIN = 254;
const RTPROT_BOOT = 3;
const RTN_UNICAST = 1;

/** What every part of the Netlink class shares: the socket and name → index resolution. */
export class NlBase {
  protected readonly sock: RtSocket;

  constructor(sock: RtSocket) {
    this.sock = sock;
  }

  /** The index of a link by name; ERR_LINK_NOT_FOUND (kind not-found) when there is none. */
  protected async index(name: string, what = 'link'): Promise<number> {
    // Only ifi_index (offset 4 of the ifinfomsg) is needed: no attribute parsing, no stats.
    const m = await this.sock.getRaw(RTM.GETLINK, linkByNameBody(name, [SKIP_STATS]), 'RTM_GETLINK', `"${name}"`, [ENODEV]);
    if (m === undefined || m.type !== RTM.NEWLINK || m.data.length < 16) {
      throw notFound('ERR_LINK_NOT_FOUND', `${what} "${name}" not found`, { details: { name } });
    }
    return m.data.readInt32LE(4);
  }

  /** index → name of every link, to name the devices in address/route/neighbour listings. */
  protected async linkNames(): Promise<Map<number, string>> {
    const msgs = await this.sock.dump(RTM.GETLINK, Buffer.concat([ifinfomsg(), SKIP_STATS]), 'RTM_GETLINK');
    const names = new Map<number, string>();
    for (const m of msgs) if (m.kind === 'link' && m.data.index !== undefined) names.set(m.data.index, m.attrs.ifname ?? '');
    return names;
  }
}

/** Addresses and routes. */
export class AddressOps extends NlBase {
  /** CIDRs ('10.0.0.2/24') of one link (link-local IPv6 included). */
  async addresses(name: string): Promise<string[]> {
    return (await this.addressDetails(name)).map((a) => a.cidr);
  }

  /** Every address of one link (ERR_LINK_NOT_FOUND if there is none), or of all links. */
  async addressDetails(name?: string): Promise<Address[]> {
    const names = name === undefined ? await this.linkNames() : new Map([[await this.index(name), name]]);
    const msgs = await this.sock.dump(RTM.GETADDR, ifaddrmsg(0, 0, 0), 'RTM_GETADDR');
    return msgs
      .filter((m): m is rt.AddressMessage => m.kind === 'address' && names.has(m.data.index ?? -1))
      .map((m) => toAddress(m, names));
  }

  /** Adds an address; one that is already there is fine (`ip addr add` would say EEXIST). */
  async ensureAddress(name: string, cidr: string, opts: { nodad?: boolean } = {}): Promise<void> {
    const c = parseCidr(cidr);
    const index = await this.index(name);
    const attrs = [nla(IFA.ADDRESS, c.bytes)];
    if (c.family === 4) {
      attrs.push(nla(IFA.LOCAL, c.bytes));
      if (c.prefixLen < 31) attrs.push(nla(IFA.BROADCAST, broadcastOf(c)));
    }
    if (opts.nodad) attrs.push(nlaU32(IFA.FLAGS, IFA_F_NODAD));
    const body = Buffer.concat([ifaddrmsg(afOf(c.family), c.prefixLen, index), ...attrs]);
    try {
      await this.sock.ack(RTM.NEWADDR, body, NLM_F.CREATE | NLM_F.EXCL, 'RTM_NEWADDR', `${cidr} dev "${name}"`);
    } catch (e) {
      if (!isNetlinkError(e, 'EEXIST')) throw e;
    }
  }

  /** Removes an address; missing (or a missing link) is fine. */
  async removeAddress(name: string, cidr: string): Promise<void> {
    const c = parseCidr(cidr);
    let index: number;
    try {
      index = await this.index(name);
    } catch {
      return;
    }
    const attrs = c.family === 4 ? [nla(IFA.LOCAL, c.bytes), nla(IFA.ADDRESS, c.bytes)] : [nla(IFA.ADDRESS, c.bytes)];
    const body = Buffer.concat([ifaddrmsg(afOf(c.family), c.prefixLen, index), ...attrs]);
    try {
      await this.sock.ack(RTM.DELADDR, body, 0, 'RTM_DELADDR', `${cidr} dev "${name}"`);
    } catch (e) {
      if (!isNetlinkError(e, 'EADDRNOTAVAIL') && !isNetlinkError(e, 'ENODEV')) throw e;
    }
  }

  /** Routes of the main table (or of `table`; 'all' for every table, local included). */
  async routes(o: { family?: Family; table?: number | 'all' } = {}): Promise<Route[]> {
    const names = await this.linkNames();
    const msgs = await this.sock.dump(RTM.GETROUTE, rtmsg({ family: o.family ? afOf(o.family) : 0, dstLen: 0, table: 0, protocol: 0, scope: 0, type: 0 }), 'RTM_GETROUTE');
    const table = o.table ?? RT_TABLE_MAIN;
    return msgs
      .filter((m): m is rt.RouteMessage => m.kind === 'route')
      .map((m) => toRoute(m, names))
      .filter((r) => table === 'all' || r.table === table);
  }

  /** Adds or replaces a route (like `ip route replace`), so calling it twice is harmless. */
  async ensureRoute(spec: RouteSpec): Promise<void> {
    const body = await this.#routeBody(spec, false);
    await this.sock.ack(RTM.NEWROUTE, body, NLM_F.CREATE | NLM_F.REPLACE, 'RTM_NEWROUTE', describe(spec));
  }

  /** Deletes a route; one that is not there (or whose dev is gone) is fine. */
  async removeRoute(spec: RouteSpec): Promise<void> {
    let body: Buffer;
    try {
      body = await this.#routeBody(spec, true);
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_LINK_NOT_FOUND') return;
      throw e;
    }
    try {
      await this.sock.ack(RTM.DELROUTE, body, 0, 'RTM_DELROUTE', describe(spec));
    } catch (e) {
      if (!isNetlinkError(e, 'ESRCH')) throw e;
    }
  }

  async #routeBody(spec: RouteSpec, forDelete: boolean): Promise<Buffer> {
    const dst = spec.dst === 'default' ? undefined : networkOf(parseCidr(spec.dst));
    const family: Family = dst?.family ?? (spec.gateway ? familyOf(spec.gateway) : spec.family ?? 4);
    const attrs: Buffer[] = [];
    if (dst && dst.prefixLen > 0) attrs.push(nla(RTA.DST, dst.bytes));
    if (spec.gateway !== undefined) attrs.push(nla(RTA.GATEWAY, ipToBytes(spec.gateway)));
    if (spec.dev !== undefined) attrs.push(nlaU32(RTA.OIF, await this.index(spec.dev)));
    if (spec.metric !== undefined) attrs.push(nlaU32(RTA.PRIORITY, spec.metric));
    if (spec.src !== undefined) attrs.push(nla(RTA.PREFSRC, ipToBytes(spec.src)));
    const table = spec.table ?? RT_TABLE_MAIN;
    attrs.push(nlaU32(RTA.TABLE, table));
    // As iproute2: scope link for a directly connected route (dev, no gateway); on delete,
    // RT_SCOPE_NOWHERE and no protocol/type mean "match any".
    const scope = forDelete ? SCOPE_IDS.nowhere : SCOPE_IDS[spec.scope ?? (spec.gateway === undefined && spec.dev !== undefined ? 'link' : 'universe')];
    const hdr = rtmsg({
      family: afOf(family),
      dstLen: dst?.prefixLen ?? 0,
      table,
      protocol: forDelete ? 0 : RTPROT_BOOT,
      scope,
      type: forDelete ? 0 : RTN_UNICAST,
    });
    return Buffer.concat([hdr, ...attrs]);
  }
}

function describe(r: RouteSpec): string {
  return [r.dst, r.gateway && `via ${r.gateway}`, r.dev && `dev "${r.dev}"`].filter(Boolean).join(' ');
}
