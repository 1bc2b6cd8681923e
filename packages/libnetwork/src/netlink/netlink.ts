import { randomInt } from 'node:crypto';
import { closeSync, openSync, statSync } from 'node:fs';
import type { rt } from 'netlink';
import { checkIfName, checkMtu, macToBytes, nla, nlaString, nlaU32 } from './codec.js';
import { isNetlinkError, missingLinkKind } from './errors.js';
import { NeighbourOps } from './neighbours.js';
import { IFF_UP, IFLA, NLM_F, RTM, SKIP_STATS, hairpinBody, ifinfomsg, linkByNameBody, newLinkBody, type CommonLinkSpec, type LinkKindSpec } from './messages.js';
import { toLink } from './parse.js';
import { RtSocket } from './socket.js';
import type { BridgeSpec, IpvlanSpec, Link, MacvlanSpec, VethSpec, VxlanSpec } from './types.js';

const ENODEV = 19;
const EOPNOTSUPP = 95;

/** Cached handles, keyed by the namespace's identity (nsfs dev:inode), not by path. */
const cache = new Map<string, Netlink>();

function nsKey(nsPath: string | undefined): string {
  const st = statSync(nsPath ?? '/proc/thread-self/ns/net', { bigint: true });
  return `${st.dev}:${st.ino}`;
}

/**
 * rtnetlink in one network namespace: links, addresses, routes, neighbours, bridge FDB.
 * Links are addressed by name; the kernel resolves names itself for SETLINK/DELLINK, so most
 * operations are a single request. Kernel refusals are NetlinkErrors (`code` 'EEXIST', 'ENODEV'...),
 * bad input is refused before anything is sent (TsnetError kind 'invalid').
 */
export class Netlink extends NeighbourOps {
  readonly nsPath: string | undefined;
  readonly #key: string;

  private constructor(nsPath: string | undefined, key: string) {
    super(new RtSocket(nsPath));
    this.nsPath = nsPath;
    this.#key = key;
  }

  /** The handle of a namespace (the current thread's when undefined), created once and cached. */
  static async forNamespace(nsPath?: string): Promise<Netlink> {
    const key = nsKey(nsPath);
    let nl = cache.get(key);
    if (nl === undefined || nl.sock.closed) {
      nl = new Netlink(nsPath, key);
      cache.set(key, nl);
    }
    return nl;
  }

  /**
   * Closes and forgets the cached handle of a namespace. Call it before removing the namespace:
   * an open netlink socket holds a reference that keeps the namespace (and its links) alive.
   */
  static release(nsPath: string): void {
    let key: string;
    try {
      key = nsKey(nsPath);
    } catch {
      for (const nl of cache.values()) if (nl.nsPath === nsPath) nl.close();
      return;
    }
    cache.get(key)?.close();
  }

  /** Closes every cached handle (tests, shutdown). */
  static closeAll(): void {
    for (const nl of [...cache.values()]) nl.close();
  }

  close(): void {
    this.sock.close();
    if (cache.get(this.#key) === this) cache.delete(this.#key);
  }

  // -- reading ---------------------------------------------------------------------------------

  async links(): Promise<Link[]> {
    const msgs = await this.sock.dump(RTM.GETLINK, Buffer.concat([ifinfomsg(), SKIP_STATS]), 'RTM_GETLINK');
    const links = msgs.filter((m): m is rt.LinkMessage => m.kind === 'link').map(toLink);
    const names = new Map(links.map((l) => [l.index, l.name]));
    for (const l of links) {
      const master = l.masterIndex === undefined ? undefined : names.get(l.masterIndex);
      if (master !== undefined) l.master = master;
    }
    return links;
  }

  async linkByName(name: string): Promise<Link | undefined> {
    return this.#getLink(linkByNameBody(name, [SKIP_STATS]), name);
  }

  async linkByIndex(index: number): Promise<Link | undefined> {
    return this.#getLink(Buffer.concat([ifinfomsg({ index }), SKIP_STATS]), `#${index}`);
  }

  async #getLink(body: Buffer, object: string): Promise<Link | undefined> {
    const m = await this.sock.get(RTM.GETLINK, body, 'RTM_GETLINK', object, [ENODEV]);
    if (m?.kind !== 'link') return undefined;
    const link = toLink(m);
    if (link.masterIndex !== undefined) {
      const master = await this.sock.get(RTM.GETLINK, Buffer.concat([ifinfomsg({ index: link.masterIndex }), SKIP_STATS]), 'RTM_GETLINK', object, [ENODEV]);
      if (master?.kind === 'link' && master.attrs.ifname) link.master = master.attrs.ifname;
    }
    return link;
  }

  // -- creating --------------------------------------------------------------------------------

  /** A veth pair; with peerNsPath the peer is born inside that namespace under its final name. */
  async addVeth(o: VethSpec): Promise<void> {
    checkIfName(o.peerName, 'veth peer name');
    const masterIndex = o.master === undefined ? undefined : await this.index(o.master, 'master');
    const common = { ...o, ...(masterIndex === undefined ? {} : { masterIndex }) };
    await withNsFd(o.peerNsPath, (peerNsFd) =>
      this.#newLink(common, {
        kind: 'veth',
        peerName: o.peerName,
        ...(o.peerMac === undefined ? {} : { peerMac: o.peerMac }),
        ...(o.mtu === undefined ? {} : { peerMtu: o.mtu }),
        ...(peerNsFd === undefined ? {} : { peerNsFd }),
      }),
    );
  }

  async addBridge(o: BridgeSpec): Promise<void> {
    await this.#newLink(o, { kind: 'bridge' });
  }

  async addMacvlan(o: MacvlanSpec): Promise<void> {
    const parentIndex = await this.index(o.parent, 'macvlan parent');
    await withNsFd(o.nsPath, (fd) => this.#newLink(o, { kind: 'macvlan', parentIndex, mode: o.mode ?? 'bridge' }, fd));
  }

  async addIpvlan(o: IpvlanSpec): Promise<void> {
    const parentIndex = await this.index(o.parent, 'ipvlan parent');
    await withNsFd(o.nsPath, (fd) =>
      this.#newLink(o, { kind: 'ipvlan', parentIndex, mode: o.mode ?? 'l2', flag: o.flag ?? 'bridge' }, fd),
    );
  }

  async addVxlan(o: VxlanSpec): Promise<void> {
    const devIndex = o.dev === undefined ? undefined : await this.index(o.dev, 'vxlan device');
    const group = o.group ?? o.remote;
    await this.#newLink(o, {
      kind: 'vxlan',
      vni: o.vni,
      ...(o.local === undefined ? {} : { local: o.local }),
      ...(group === undefined ? {} : { group }),
      ...(o.port === undefined ? {} : { port: o.port }),
      ...(devIndex === undefined ? {} : { devIndex }),
      ...(o.learning === undefined ? {} : { learning: o.learning }),
      ...(o.ttl === undefined ? {} : { ttl: o.ttl }),
    });
  }

  async #newLink(common: CommonLinkSpec, spec: LinkKindSpec, nsFd?: number): Promise<void> {
    const body = newLinkBody(common, spec, nsFd);
    try {
      await this.sock.ack(RTM.NEWLINK, body, NLM_F.CREATE | NLM_F.EXCL, 'RTM_NEWLINK', `${spec.kind} "${common.name}"`);
    } catch (e) {
      // EOPNOTSUPP from NEWLINK means the kernel has no driver for this kind ("Unknown device type").
      if (isNetlinkError(e) && -e.errno === EOPNOTSUPP) throw missingLinkKind(spec.kind, `"${common.name}"`);
      throw e;
    }
  }

  // -- changing --------------------------------------------------------------------------------

  async setUp(name: string): Promise<void> {
    await this.#set(name, [], { flags: IFF_UP, change: IFF_UP }, 'up');
  }

  async setDown(name: string): Promise<void> {
    await this.#set(name, [], { flags: 0, change: IFF_UP }, 'down');
  }

  /** Enslaves name to master (a bridge), or releases it with null. */
  async setMaster(name: string, master: string | null): Promise<void> {
    const index = master === null ? 0 : await this.index(master, 'master');
    await this.#set(name, [nlaU32(IFLA.MASTER, index)], {}, master === null ? 'nomaster' : `master "${master}"`);
  }

  async setMtu(name: string, mtu: number): Promise<void> {
    await this.#set(name, [nlaU32(IFLA.MTU, checkMtu(mtu))], {}, `mtu ${mtu}`);
  }

  async setMac(name: string, mac: string): Promise<void> {
    await this.#set(name, [nla(IFLA.ADDRESS, macToBytes(mac))], {}, `address ${mac}`);
  }

  /** Renames a link (the kernel refuses while it is up: EBUSY). */
  async rename(name: string, newName: string): Promise<void> {
    const index = await this.index(name, 'link');
    const body = Buffer.concat([ifinfomsg({ index }), nlaString(IFLA.IFNAME, checkIfName(newName))]);
    await this.sock.ack(RTM.SETLINK, body, 0, 'RTM_SETLINK', `"${name}" name "${newName}"`);
  }

  /** Moves a link into another namespace (optionally renaming it on the way, as Docker does). */
  async setNamespace(name: string, nsPath: string, newName?: string): Promise<void> {
    const extra = newName === undefined ? [] : [nlaString(IFLA.IFNAME, checkIfName(newName))];
    const index = newName === undefined ? 0 : await this.index(name, 'link');
    await withNsFd(nsPath, async (fd) => {
      const body =
        newName === undefined
          ? linkByNameBody(name, [nlaU32(IFLA.NET_NS_FD, fd!)])
          : Buffer.concat([ifinfomsg({ index }), ...extra, nlaU32(IFLA.NET_NS_FD, fd!)]);
      await this.sock.ack(RTM.SETLINK, body, 0, 'RTM_SETLINK', `"${name}" netns ${nsPath}`);
    });
  }

  /** Hairpin mode of a bridge port (traffic may leave through the port it came in on). */
  async setHairpin(name: string, on: boolean): Promise<void> {
    const index = await this.index(name, 'bridge port');
    await this.sock.ack(RTM.SETLINK, hairpinBody(index, on), 0, 'RTM_SETLINK', `"${name}" hairpin ${on ? 'on' : 'off'}`);
  }

  /** Deletes a link (a veth takes its peer with it). Missing is fine; resolves true when it existed. */
  async removeLink(name: string): Promise<boolean> {
    try {
      await this.sock.ack(RTM.DELLINK, linkByNameBody(name), 0, 'RTM_DELLINK', `"${name}"`);
      return true;
    } catch (e) {
      if (isNetlinkError(e, 'ENODEV')) return false;
      throw e;
    }
  }

  /**
   * Deletes several links in one kernel batch; missing ones are fine. Each deletion waits for RCU
   * grace periods (~15-30 ms here), one batch waits once: the links are tagged with a fresh
   * device group, then the group is deleted with a single RTM_DELLINK (like `ip link del group N`).
   * Resolves with the names that existed.
   */
  async removeLinks(names: readonly string[]): Promise<string[]> {
    if (names.length <= 1) return (await Promise.all(names.map(async (n) => ((await this.removeLink(n)) ? [n] : [])))).flat();
    const group = 0x10000 + randomInt(0x7fff0000);
    const tagged: string[] = [];
    for (const name of names) {
      try {
        await this.#set(name, [nlaU32(IFLA.GROUP, group)], {}, `group ${group}`);
        tagged.push(name);
      } catch (e) {
        if (!isNetlinkError(e, 'ENODEV')) throw e;
      }
    }
    if (tagged.length > 0) {
      await this.sock.ack(RTM.DELLINK, Buffer.concat([ifinfomsg(), nlaU32(IFLA.GROUP, group)]), 0, 'RTM_DELLINK', `group ${group} (${tagged.join(', ')})`);
    }
    return tagged;
  }

  async #set(name: string, attrs: Buffer[], hdr: { flags?: number; change?: number }, what: string): Promise<void> {
    await this.sock.ack(RTM.SETLINK, linkByNameBody(name, attrs, hdr), 0, 'RTM_SETLINK', `"${name}" ${what}`);
  }
}

/** Opens a namespace file for IFLA_NET_NS_FD for the duration of fn. */
async function withNsFd<T>(nsPath: string | undefined, fn: (fd: number | undefined) => Promise<T>): Promise<T> {
  if (nsPath === undefined) return fn(undefined);
  const fd = openSync(nsPath, 'r');
  try {
    return await fn(fd);
  } finally {
    closeSync(fd);
  }
}
