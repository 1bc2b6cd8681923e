import { readdirSync } from 'node:fs';
import { Netlink } from '../netlink/index.js';
import { randomInt } from 'node:crypto';
import { createNamedNetns, NETNS_RUN_DIR, openSocketInNetns, removeNamedNetns, runInNetns, spawnInNetns } from '../netns/index.js';
import { ensureSysctl, readSysctl } from '../sysctl/index.js';
import { localPortRange, PortReserver } from '../portmapper/index.js';
import type { HeldPort, PortReserverLike, ReserveRequestLike } from '../controller/ports.js';
import type { Kernel } from './types.js';

/**
 * The real kernel: the netns addon, one cached netlink socket per namespace (made with the thread
 * inside it, so it keeps talking to that namespace), sysctls written only when they differ.
 */
export function realKernel(_hostNsPath: string | undefined): Kernel {
  return {
    ns: (nsPath) => Netlink.forNamespace(nsPath),
    forget: (nsPath) => Netlink.release(nsPath),
    createNamedNetns,
    removeNamedNetns,
    namedNetns() {
      try {
        return readdirSync(NETNS_RUN_DIR);
      } catch {
        return [];
      }
    },
    openSocketInNetns: (nsPath, o) => openSocketInNetns(nsPath, o),
    readSysctl,
    writeSysctl(nsPath, key, value) {
      ensureSysctl(nsPath, key, value);
    },
    reapLinks,
  };
}

/**
 * One `ip -force -batch -` child inside the namespace: the links are tagged with one device group
 * and the group is deleted at once, so the whole batch waits for a single RCU grace period — in
 * the child, not on our event loop. `-force` goes on past links that are already gone.
 */
function reapLinks(nsPath: string | undefined, names: string[]): Promise<void> {
  if (names.length === 0) return Promise.resolve();
  const group = 0x10000 + randomInt(0x7fff0000);
  const script = [...names.map((n) => `link set dev ${n} group ${group}`), `link del group ${group}`, ''].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawnInNetns(nsPath, 'ip', ['-force', '-batch', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 || /Cannot find device/.test(stderr) ? resolve() : reject(new Error(`ip link del group ${group} exited ${code}: ${stderr.trim()}`))));
    child.stdin?.end(script);
  });
}

/**
 * Host ports held by portmapper's PortReserver: sockets bound inside the host namespace, so
 * nothing else can take a published port, and a conflict names its holder. The sockets are made
 * with the thread inside the host namespace once per batch (entering a namespace costs two setns
 * calls: 1,000 ports one by one spend most of their time there).
 */
export function defaultPortReserver(nsPath: string | undefined, options: { dualStack?: boolean } = {}): PortReserverLike {
  let range: [number, number] | undefined;
  const reserver = new PortReserver({
    ...(nsPath === undefined ? {} : { nsPath }),
    // With the userland proxy on, one [::] socket serves both families, so [::1] and the host's
    // IPv6 addresses reach an IPv4-only container as with docker-proxy (netfilter cannot NAT across families).
    dualStack: options.dualStack ?? false,
    // Called only inside runInNetns(nsPath) below: open in the thread's current namespace.
    openSocket: (_ns, spec) => openSocketInNetns(undefined, spec),
    portRange: () => (range ??= localPortRange(undefined)),
  });
  const one = (req: ReserveRequestLike): HeldPort => {
    const { holder, ...rest } = req;
    const r = reserver.reserve({ ...rest, holder: { container: holder, endpoint: '' } });
    return { hostPort: r.hostPort, release: () => void reserver.release(r), startProxy: (target) => reserver.startProxy(r, target) };
  };
  const many = (reqs: ReserveRequestLike[]): HeldPort[] =>
    runInNetns(nsPath, () => {
      range = undefined;
      const out: HeldPort[] = [];
      try {
        for (const req of reqs) out.push(one(req));
      } catch (error) {
        for (const h of out) h.release();
        throw error;
      }
      return out;
    });
  return { reserve: (req) => many([req])[0]!, reserveMany: many };
}
