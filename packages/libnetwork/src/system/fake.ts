import { conflict, notFound } from '@tsnet/errors';
import type { Kernel, LinkInfo, LinkOps, RouteSpec, SocketInNetns } from './types.js';

/**
 * An in-memory kernel: namespaces holding links (with veth peers across namespaces), addresses,
 * routes and sysctls. It is a real implementation of the Kernel interface, strict where the kernel
 * is strict (EEXIST on a duplicate link, a veth's peer disappears with it), so the controller's
 * logic can be tested without root.
 */
interface FakeLink extends LinkInfo {
  addresses: Set<string>;
  peer?: { ns: string; name: string };
}

interface FakeNs {
  links: Map<string, FakeLink>;
  routes: RouteSpec[];
  sysctl: Map<string, string>;
}

const HOST = '<host>';

export class FakeKernel implements Kernel {
  readonly namespaces = new Map<string, FakeNs>();
  /** Set to make the next matching call fail, for rollback tests: `failOn = 'addVeth'`. */
  failOn: string | undefined;
  /** Simulates the process dying: every call throws until revived (crash tests). */
  dead = false;
  #macCounter = 0;

  constructor() {
    this.namespaces.set(HOST, newNs());
  }

  async ns(nsPath: string | undefined): Promise<LinkOps> {
    const ops = this.#ops(nsPath ?? HOST);
    const guarded = {} as Record<string, unknown>;
    for (const [name, fn] of Object.entries(ops)) {
      guarded[name] = (...args: unknown[]) => {
        this.#alive();
        return (fn as (...a: unknown[]) => unknown)(...args);
      };
    }
    return guarded as unknown as LinkOps;
  }

  #alive(): void {
    if (this.dead) throw new Error('process is dead');
  }

  forget(): void {}

  createNamedNetns(name: string): string {
    this.#alive();
    const path = `/run/netns/${name}`;
    if (this.namespaces.has(path)) throw Object.assign(new Error(`netns ${name} exists`), { code: 'EEXIST' });
    const ns = newNs();
    ns.links.set('lo', { name: 'lo', kind: '', up: false, mtu: 65536, mac: '00:00:00:00:00:00', addresses: new Set(['127.0.0.1/8']) });
    this.namespaces.set(path, ns);
    return path;
  }

  removeNamedNetns(name: string): void {
    this.#alive();
    const ns = this.namespaces.get(`/run/netns/${name}`);
    if (!ns) return;
    for (const link of ns.links.values()) this.#dropPeer(link);
    this.namespaces.delete(`/run/netns/${name}`);
  }

  namedNetns(): string[] {
    return [...this.namespaces.keys()].filter((k) => k.startsWith('/run/netns/')).map((k) => k.slice('/run/netns/'.length));
  }

  openSocketInNetns(nsPath: string, o: { port: number }): SocketInNetns {
    if (!this.namespaces.has(nsPath)) throw notFound('ERR_NETNS_NOT_FOUND', `namespace ${nsPath} does not exist`);
    return { fd: -1, port: o.port || 30000 + this.namespaces.size };
  }

  readSysctl(nsPath: string | undefined, key: string): string {
    return this.#get(nsPath ?? HOST).sysctl.get(key) ?? '0';
  }

  async reapLinks(nsPath: string | undefined, names: string[]): Promise<void> {
    const ops = await this.ns(nsPath);
    for (const n of names) await ops.removeLink(n);
  }

  writeSysctl(nsPath: string | undefined, key: string, value: string): void {
    this.#alive();
    this.#get(nsPath ?? HOST).sysctl.set(key, value);
  }

  /** Every link of a namespace (host when undefined), for assertions. */
  linksOf(nsPath?: string): FakeLink[] {
    return [...this.#get(nsPath ?? HOST).links.values()];
  }

  routesOf(nsPath?: string): RouteSpec[] {
    return this.#get(nsPath ?? HOST).routes;
  }

  #get(path: string): FakeNs {
    const ns = this.namespaces.get(path);
    if (!ns) throw Object.assign(new Error(`namespace ${path} does not exist`), { code: 'ENOENT' });
    return ns;
  }

  #check(op: string): void {
    if (this.failOn === op) {
      this.failOn = undefined;
      throw new Error(`injected failure in ${op}`);
    }
  }

  #dropPeer(link: FakeLink): void {
    if (link.peer) this.namespaces.get(link.peer.ns)?.links.delete(link.peer.name);
  }

  #ops(path: string): LinkOps {
    const k = this;
    const ns = (): FakeNs => k.#get(path);
    const link = (name: string): FakeLink => {
      const l = ns().links.get(name);
      if (!l) throw notFound('ERR_LINK_NOT_FOUND', `link ${name} not found`);
      return l;
    };
    const add = (target: FakeNs, l: FakeLink): void => {
      if (target.links.has(l.name)) throw conflict('ERR_LINK_EXISTS', `link ${l.name} exists`);
      target.links.set(l.name, l);
    };
    const mac = (): string => `02:00:00:00:${((k.#macCounter >> 8) & 0xff).toString(16).padStart(2, '0')}:${(k.#macCounter++ & 0xff).toString(16).padStart(2, '0')}`;
    return {
      async links() { return [...ns().links.values()].map(({ addresses: _a, peer: _p, ...info }) => info); },
      async linkByName(name) {
        const l = ns().links.get(name);
        if (!l) return undefined;
        const { addresses: _a, peer: _p, ...info } = l;
        return info;
      },
      async addBridge(o) {
        k.#check('addBridge');
        add(ns(), { name: o.name, kind: 'bridge', up: false, mtu: o.mtu ?? 1500, mac: mac(), addresses: new Set() });
      },
      async addVeth(o) {
        k.#check('addVeth');
        const peerPath = o.peerNsPath ?? path;
        const peerNs = k.#get(peerPath);
        if (ns().links.has(o.name)) throw conflict('ERR_LINK_EXISTS', `link ${o.name} exists`);
        add(peerNs, { name: o.peerName, kind: 'veth', up: false, mtu: o.mtu ?? 1500, mac: o.peerMac ?? mac(), addresses: new Set(), peer: { ns: path, name: o.name } });
        add(ns(), { name: o.name, kind: 'veth', up: false, mtu: o.mtu ?? 1500, mac: mac(), addresses: new Set(), peer: { ns: peerPath, name: o.peerName } });
      },
      async setUp(name) { link(name).up = true; },
      async setDown(name) { link(name).up = false; },
      async rename(name, newName) {
        const l = link(name);
        if (l.up) throw Object.assign(new Error(`${name} is up`), { code: 'EBUSY' });
        if (ns().links.has(newName)) throw conflict('ERR_LINK_EXISTS', `link ${newName} exists`);
        ns().links.delete(name);
        l.name = newName;
        ns().links.set(newName, l);
        if (l.peer) {
          const peer = k.namespaces.get(l.peer.ns)?.links.get(l.peer.name);
          if (peer?.peer) peer.peer.name = newName;
        }
        for (const other of ns().links.values()) if (other.master === name) other.master = newName;
      },
      async setMaster(name, master) {
        if (master !== null) link(master);
        const l = link(name);
        if (master === null) delete l.master;
        else l.master = master;
      },
      async setMtu(name, mtu) { link(name).mtu = mtu; },
      async setHairpin(name) { link(name); },
      async setMac(name, m) { link(name).mac = m; },
      async removeLink(name) {
        k.#check('removeLink');
        const l = ns().links.get(name);
        if (!l) return;
        k.#dropPeer(l);
        ns().links.delete(name);
        for (const other of ns().links.values()) if (other.master === name) delete other.master;
        ns().routes = ns().routes.filter((r) => r.dev !== name);
      },
      async addresses(name) { return [...link(name).addresses]; },
      async ensureAddress(name, cidr) { k.#check('ensureAddress'); link(name).addresses.add(cidr); },
      async removeAddress(name, cidr) { ns().links.get(name)?.addresses.delete(cidr); },
      async ensureRoute(route) {
        k.#check('ensureRoute');
        const routes = ns().routes.filter((r) => r.dst !== route.dst);
        routes.push(route);
        ns().routes = routes;
      },
      async removeRoute(route) { ns().routes = ns().routes.filter((r) => r.dst !== route.dst); },
      async routes() { return [...ns().routes]; },
    };
  }
}

function newNs(): FakeNs {
  return { links: new Map(), routes: [], sysctl: new Map() };
}
