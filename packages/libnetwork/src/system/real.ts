import { closeSync, readdirSync } from 'node:fs';
import { conflict } from '@tsnet/errors';
import { Netlink } from '../netlink/index.js';
import { createNamedNetns, NETNS_RUN_DIR, openSocketInNetns, removeNamedNetns } from '../netns/index.js';
import { ensureSysctl, readSysctl } from '../sysctl/index.js';
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
 * Host ports held by bound sockets inside the host namespace, so nothing else (another publisher,
 * a host service) can take a published port; the kernel's bind() is the arbiter, and the holder
 * named in the error is ours when we know it.
 */
export function defaultPortReserver(nsPath: string | undefined): PortReserverLike {
  const holders = new Map<string, string>();
  return {
    reserve(req): HeldPort {
      const candidates = req.hostPort === 0 ? [0] : range(req.hostPort, req.hostPortEnd ?? req.hostPort);
      let lastError: unknown;
      for (const port of candidates) {
        const key = (p: number): string => `${req.proto}/${req.hostIp || '0.0.0.0'}/${p}`;
        if (req.proto === 'sctp') {
          if (port === 0 || holders.has(key(port))) continue;
          holders.set(key(port), req.holder);
          return { hostPort: port, release: () => holders.delete(key(port)) };
        }
        try {
          const address = req.hostIp || (req.hostIp === '' ? '0.0.0.0' : req.hostIp);
          const s = openSocketInNetns(nsPath, { type: req.proto, address, port });
          holders.set(key(s.port), req.holder);
          return { hostPort: s.port, release: () => { holders.delete(key(s.port)); closeSync(s.fd); } };
        } catch (error) {
          lastError = error;
        }
      }
      const held = holders.get(`${req.proto}/${req.hostIp || '0.0.0.0'}/${req.hostPort}`);
      throw conflict('ERR_PORT_ALLOCATED', `host port ${req.hostIp ? `${req.hostIp}:` : ''}${req.hostPort}/${req.proto} is already in use${held ? ` by ${held}` : ''}`, {
        cause: lastError,
        details: { port: req.hostPort, proto: req.proto, hostIp: req.hostIp, holder: held },
      });
    },
  };
}

function range(a: number, b: number): number[] {
  return [...Array(b - a + 1).keys()].map((i) => a + i);
}
