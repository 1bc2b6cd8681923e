import { readdirSync } from 'node:fs';
import { Netlink } from '../netlink/index.js';
import { createNamedNetns, NETNS_RUN_DIR, openSocketInNetns, removeNamedNetns } from '../netns/index.js';
import { ensureSysctl, readSysctl } from '../sysctl/index.js';
import { PortReserver } from '../portmapper/index.js';
import type { HeldPort, PortReserverLike } from '../controller/ports.js';
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
  };
}

/**
 * Host ports held by portmapper's PortReserver: sockets bound inside the host namespace, so
 * nothing else can take a published port, and a conflict names its holder.
 */
export function defaultPortReserver(nsPath: string | undefined): PortReserverLike {
  const reserver = new PortReserver(nsPath === undefined ? {} : { nsPath });
  return {
    reserve(req): HeldPort {
      const { holder, ...rest } = req;
      const r = reserver.reserve({ ...rest, holder: { container: holder, endpoint: '' } });
      return {
        hostPort: r.hostPort,
        release: () => void reserver.release(r),
        startProxy: (target) => reserver.startProxy(r, target),
      };
    },
  };
}
