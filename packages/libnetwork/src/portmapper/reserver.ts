import { closeSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { conflict, internal, invalid, unavailable } from '@tsnet/errors';
import { openSocketInNetns, runInNetns } from '../netns/index.js';
import { startUserlandProxy, type UserlandProxy } from './proxy.js';
import type { PortProto } from './spec.js';

/**
 * Holds host ports. A reserved TCP or UDP port is a real socket bound in the host namespace (made
 * there by the addon), so neither another tsnet publisher nor any other program can take it while
 * the mapping lives, and a conflict is found by the kernel itself, not only by our table.
 * A TCP reservation is bound but NOT listening (no SO_REUSEADDR, so every other bind still fails):
 * a connection that escapes the DNAT rules (rules torn down, drift) is refused with a RST instead
 * of waiting in a backlog nobody accepts from. Only the userland proxy, when on, listens on it.
 * SCTP: the addon makes no SCTP sockets, so an SCTP port is reserved in our table only — another
 * program can still bind it; the kernel DNAT rule then wins for traffic from outside.
 */

export interface PortHolder {
  container: string;
  endpoint: string;
  network?: string;
}

export interface ReserveRequest {
  proto: PortProto;
  /** '' = every address of `family`. */
  hostIp: string;
  /** 0 = ephemeral. */
  hostPort: number;
  /** With hostPort: pick the first free port of hostPort..hostPortEnd. */
  hostPortEnd?: number;
  family?: 4 | 6;
  holder: PortHolder;
}

export interface Reservation {
  family: 4 | 6;
  proto: PortProto;
  hostIp: string;
  hostPort: number;
  holder: PortHolder;
  /** The bound socket (TCP: not listening until a proxy serves it) or undefined for SCTP. Owned by the reserver: adopt, don't close. */
  fd: number | undefined;
  /** Set by startProxy: the userland proxy process serving fd (stopped on release). */
  proxy?: UserlandProxy;
  /** hostIp '' of family 4 held by one dual-stack `[::]` socket: the port is held on both families. */
  dualStack?: boolean;
}

export interface SocketOpener {
  (nsPath: string | undefined, spec: { type: 'udp' | 'tcp'; address: string; port: number; listen?: boolean }): { fd: number; port: number };
}

export interface PortReserverOptions {
  /** The "host" namespace whose ports are reserved (default: this process's). */
  nsPath?: string;
  /** Seams for unit tests. */
  openSocket?: SocketOpener;
  closeFd?: (fd: number) => void;
  portRange?: () => [number, number];
  /**
   * Hold a port published on every address ('') with one dual-stack `[::]` socket, on IPv4 and
   * IPv6 at once, as docker-proxy does (Go listens on `[::]` for ":port"). Meant for
   * `userland-proxy` on: the proxy then also serves `[::1]` and the host's IPv6 addresses for an
   * IPv4-only container (libnetwork c3fabc68). Without the proxy nothing can carry IPv6 to an
   * IPv4 container (no cross-family NAT), so the default keeps the IPv4-only socket.
   */
  dualStack?: boolean;
}

const keyOf = (family: 4 | 6, proto: string, ip: string, port: number) => `${family}/${proto}/${ip}/${port}`;
const portKey = (family: 4 | 6, proto: string, port: number) => `${family}/${proto}/${port}`;

function describeHolder(h: PortHolder): string {
  const extra = [h.endpoint ? `endpoint ${h.endpoint.slice(0, 12)}` : '', h.network ? `network ${h.network}` : ''].filter(Boolean);
  return `container ${h.container.slice(0, 12)}${extra.length ? ` (${extra.join(', ')})` : ''}`;
}

export class PortReserver {
  readonly #nsPath: string | undefined;
  readonly #open: SocketOpener;
  readonly #close: (fd: number) => void;
  readonly #range: () => [number, number];
  readonly #dualStack: boolean;
  readonly #held = new Map<string, Reservation>();
  /** The same reservations by (family, proto, port), every address: holderOf is asked once per port reserved. */
  readonly #byPort = new Map<string, Reservation[]>();
  #cursor = 0;
  /** Inside reserveMany: the thread already is in the host namespace, sockets are made in place. */
  #inside = false;

  constructor(options: PortReserverOptions = {}) {
    this.#nsPath = options.nsPath;
    this.#open = options.openSocket ?? openSocketInNetns;
    this.#close = options.closeFd ?? closeSync;
    this.#range = options.portRange ?? (() => localPortRange(this.#inside ? undefined : this.#nsPath));
    this.#dualStack = options.dualStack ?? false;
  }

  /** Everything held now. */
  list(): Reservation[] {
    return [...this.#held.values()];
  }

  /** Who holds (proto, hostIp, port), taking wildcard addresses into account. */
  holderOf(proto: PortProto, hostIp: string, port: number, family: 4 | 6 = 4): Reservation | undefined {
    for (const r of this.#byPort.get(portKey(family, proto, port)) ?? []) {
      if (r.hostIp === '' || hostIp === '' || r.hostIp === hostIp) return r;
    }
    return undefined;
  }

  /** Reserves a port; ERR_PORT_IN_USE names the holder (ours) or "another process". */
  reserve(req: ReserveRequest): Reservation {
    const family = req.family ?? (req.hostIp !== '' && isIP(req.hostIp) === 6 ? 6 : 4);
    if (req.hostIp !== '' && isIP(req.hostIp) !== family) {
      throw invalid('ERR_INVALID_PORT_SPEC', `invalid host address "${req.hostIp}"`, { details: { hostIp: req.hostIp } });
    }
    if (req.hostPort !== 0 && req.hostPortEnd === undefined) return this.#take(req, family, req.hostPort);
    const [lo, hi] = req.hostPort !== 0 ? [req.hostPort, req.hostPortEnd!] : this.#range();
    const span = hi - lo + 1;
    // Like Docker's allocator: continue after the last ephemeral port handed out, wrap around.
    const start = req.hostPort !== 0 ? 0 : this.#cursor % span;
    for (let i = 0; i < span; i++) {
      const port = lo + ((start + i) % span);
      if (this.holderOf(req.proto, req.hostIp, port, family)) continue;
      try {
        const r = this.#take(req, family, port);
        if (req.hostPort === 0) this.#cursor = (start + i + 1) % span;
        return r;
      } catch (error) {
        if ((error as { code?: string }).code !== 'ERR_PORT_IN_USE') throw error;
      }
    }
    const what = req.hostPort !== 0 ? `${lo}-${hi}` : `the ephemeral range ${lo}-${hi}`;
    throw unavailable('ERR_PORT_IN_USE', `no free ${req.proto} port in ${what} on ${req.hostIp || 'every address'}`, { details: { range: [lo, hi] } });
  }

  /**
   * Several reservations, all or nothing, with the thread entering the host namespace once: two
   * setns(2) per socket otherwise cost ~30 of the ~45 ms that 1,000 sockets take here.
   */
  reserveMany(reqs: ReserveRequest[]): Reservation[] {
    const done: Reservation[] = [];
    try {
      runInNetns(this.#nsPath, () => {
        this.#inside = true;
        for (const req of reqs) done.push(this.reserve(req));
      });
    } catch (error) {
      // Nothing was proxied yet, so each release closes its socket synchronously.
      for (const r of done) void this.release(r);
      throw error;
    } finally {
      this.#inside = false;
    }
    return done;
  }

  #take(req: ReserveRequest, family: 4 | 6, port: number): Reservation {
    const shown = `${req.hostIp === '' ? (family === 6 ? '[::]' : '0.0.0.0') : family === 6 ? `[${req.hostIp}]` : req.hostIp}:${port}/${req.proto}`;
    const mine = this.holderOf(req.proto, req.hostIp, port, family);
    // Our own dual-stack socket already holds [::]:port for this container.
    if (mine?.dualStack && family === 6 && req.hostIp === '' && mine.holder.container === req.holder.container) {
      return this.#record(req, family, port, undefined);
    }
    if (mine) {
      throw conflict('ERR_PORT_IN_USE', `Bind for ${shown} failed: port is already allocated to ${describeHolder(mine.holder)}`, {
        details: { port, proto: req.proto, hostIp: req.hostIp, holder: mine.holder },
      });
    }
    let fd: number | undefined;
    if (req.proto !== 'sctp' && this.#dualStack && req.hostIp === '' && family === 4) {
      fd = this.#openDual(req.proto, port);
      if (fd !== undefined) return this.#record(req, family, port, fd, true);
    }
    if (req.proto !== 'sctp') {
      const address = req.hostIp !== '' ? req.hostIp : family === 6 ? '::' : '0.0.0.0';
      try {
        fd = this.#open(this.#inside ? undefined : this.#nsPath, { type: req.proto, address, port, listen: false }).fd;
      } catch (error) {
        if ((error as { code?: string }).code !== 'EADDRINUSE') throw bindError(error, req.proto, family, address, port);
        // [::]:port is dual-stack, so it cannot be bound next to our own 0.0.0.0:port: when the
        // same container holds that, the IPv4 socket already keeps the port from others.
        const v4 = req.hostIp === '' && family === 6 ? this.holderOf(req.proto, '', port, 4) : undefined;
        if (v4 && v4.holder.container === req.holder.container) return this.#record(req, family, port, undefined);
        throw conflict('ERR_PORT_IN_USE', `Bind for ${shown} failed: port is already in use by another process`, {
          cause: error,
          details: { port, proto: req.proto, hostIp: req.hostIp, holder: 'another process' },
        });
      }
    }
    return this.#record(req, family, port, fd);
  }

  /**
   * `[::]:port` (the addon leaves IPV6_V6ONLY off, so it is dual-stack); undefined when the
   * namespace cannot (no IPv6, or the IPv6 side is taken): the caller then binds 0.0.0.0 as usual.
   */
  #openDual(proto: 'tcp' | 'udp', port: number): number | undefined {
    try {
      return this.#open(this.#inside ? undefined : this.#nsPath, { type: proto, address: '::', port, listen: false }).fd;
    } catch {
      return undefined;
    }
  }

  #record(req: ReserveRequest, family: 4 | 6, port: number, fd: number | undefined, dualStack = false): Reservation {
    const r: Reservation = { family, proto: req.proto, hostIp: req.hostIp, hostPort: port, holder: req.holder, fd };
    if (dualStack) r.dualStack = true;
    this.#held.set(keyOf(family, req.proto, req.hostIp, port), r);
    for (const f of dualStack ? [family, 6 as const] : [family]) {
      const pk = portKey(f, req.proto, port);
      this.#byPort.set(pk, [...(this.#byPort.get(pk) ?? []), r]);
    }
    return r;
  }

  /**
   * Starts the userland proxy on a reservation's own socket (only with `userland-proxy` on);
   * release() then stops it. SCTP has no socket and so no proxy, as with docker-proxy.
   */
  async startProxy(r: Reservation, target: { containerIp: string; containerPort: number }): Promise<void> {
    if (r.fd === undefined || r.proto === 'sctp' || r.proxy) return;
    const spec = { proto: r.proto, fd: r.fd, hostFamily: r.dualStack ? (6 as const) : r.family, ...target };
    r.proxy = await startUserlandProxy(this.#nsPath === undefined ? spec : { ...spec, nsPath: this.#nsPath });
  }

  /** Frees a reservation (stops its proxy, closes its socket). Releasing twice is fine. */
  async release(r: Pick<Reservation, 'proto' | 'hostIp' | 'hostPort'> & { family?: 4 | 6 }): Promise<void> {
    const fam = r.family ?? (r.hostIp !== '' && isIP(r.hostIp) === 6 ? 6 : 4);
    const key = keyOf(fam, r.proto, r.hostIp, r.hostPort);
    const held = this.#held.get(key);
    if (!held) return;
    this.#held.delete(key);
    for (const f of held.dualStack ? [fam, 6 as const] : [fam]) {
      const pk = portKey(f, held.proto, held.hostPort);
      const rest = (this.#byPort.get(pk) ?? []).filter((x) => x !== held);
      if (rest.length > 0) this.#byPort.set(pk, rest);
      else this.#byPort.delete(pk);
    }
    // The proxy serves a duplicate of our socket: stop it, then close ours, and the port is free.
    if (held.proxy) await held.proxy.close();
    if (held.fd !== undefined) this.#close(held.fd);
  }

  /** Frees everything a container holds. */
  async releaseHolder(container: string): Promise<void> {
    for (const r of this.list()) if (r.holder.container === container) await this.release(r);
  }
}

/**
 * A bind the kernel refused for another reason than "in use" (an address the host does not have,
 * no permission), worded like Docker's (Go's net error inside "Error starting userland proxy").
 */
function bindError(error: unknown, proto: 'tcp' | 'udp', family: 4 | 6, address: string, port: number): Error {
  const e = error as { code?: string; message?: string };
  if (typeof e.code !== 'string' || !/^E[A-Z]+$/.test(e.code)) return error as Error;
  // Node-style message "EADDRNOTAVAIL: Cannot assign requested address, bind '...'": Go prints strerror in lower case.
  const text = /^E[A-Z]+: ([^,]+)/.exec(e.message ?? '')?.[1] ?? e.code;
  const reason = text.charAt(0).toLowerCase() + text.slice(1);
  const where = family === 6 ? `[${address}]:${port}` : `${address}:${port}`;
  return internal('ERR_PORT_BIND', `Error starting userland proxy: listen ${proto}${family} ${where}: bind: ${reason}`, {
    cause: error,
    details: { errno: e.code, proto, hostIp: address, port },
  });
}

/** net.ipv4.ip_local_port_range of the namespace (read with the thread inside it). */
export function localPortRange(nsPath: string | undefined): [number, number] {
  const text = runInNetns(nsPath, () => readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'));
  const [lo, hi] = text.trim().split(/\s+/).map(Number);
  if (!lo || !hi || hi < lo) throw unavailable('ERR_PORT_RANGE', `unreadable ip_local_port_range "${text.trim()}"`);
  return [lo, hi];
}

/**
 * The shape the controller's PortBook takes (`holder` as one string, a synchronous release):
 * lets the controller use this reserver without either side importing the other.
 */
export function simpleReserver(reserver: PortReserver): {
  reserve(req: { proto: PortProto; hostIp: string; hostPort: number; hostPortEnd?: number; holder: string }): { hostPort: number; release(): void };
} {
  return {
    reserve(req) {
      const { holder, ...rest } = req;
      const r = reserver.reserve({ ...rest, holder: { container: holder, endpoint: '' } });
      return { hostPort: r.hostPort, release: () => void reserver.release(r) };
    },
  };
}
