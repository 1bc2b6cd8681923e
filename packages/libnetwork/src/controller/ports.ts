import { conflict, invalid } from '@tsnet/errors';
import { isIP } from 'node:net';
import type { ExposedPort, PublishedPort } from '../model/types.js';

/** One `-p` request (portmapper's parsePortSpec produces these; the API's PortBindings map to them). */
export interface PortBindingRequest {
  proto: 'tcp' | 'udp' | 'sctp';
  containerPort: number;
  /** '' or undefined = every host address. */
  hostIp?: string;
  /** 0 or undefined = an ephemeral port; with hostPortEnd, the first free port of the range. */
  hostPort?: number;
  hostPortEnd?: number;
}

/** A held host port: the socket that keeps anyone else from binding it. */
export interface HeldPort {
  hostPort: number;
  release(): void;
  /** `userland-proxy` on: serve the held socket with a proxy to the container (docker-proxy's job). */
  startProxy?(target: { containerIp: string; containerPort: number }): Promise<void>;
}

/** What the controller needs from the port reserver (bound sockets in the host namespace). */
export interface ReserveRequestLike {
  proto: 'tcp' | 'udp' | 'sctp';
  hostIp: string;
  hostPort: number;
  hostPortEnd?: number;
  holder: string;
}

export interface PortReserverLike {
  reserve(req: ReserveRequestLike): Promise<HeldPort> | HeldPort;
  /** Several at once, all or nothing (the real reserver enters the host namespace once for all). */
  reserveMany?(reqs: ReserveRequestLike[]): HeldPort[];
}

const PROTOS = new Set(['tcp', 'udp', 'sctp']);

export function validatePortRequests(requests: PortBindingRequest[]): void {
  const port = (p: number | undefined, what: string, allowZero: boolean): void => {
    if (p === undefined) return;
    if (!Number.isInteger(p) || p < (allowZero ? 0 : 1) || p > 65535) throw invalid('ERR_INVALID_PORT', `invalid ${what} ${String(p)}: 1-65535 expected`);
  };
  for (const r of requests) {
    if (!PROTOS.has(r.proto)) throw invalid('ERR_INVALID_PORT', `invalid protocol ${JSON.stringify(r.proto)}: tcp, udp or sctp expected`);
    port(r.containerPort, 'container port', false);
    port(r.hostPort, 'host port', true);
    port(r.hostPortEnd, 'host port range end', false);
    if (r.hostPortEnd !== undefined && (r.hostPort ?? 0) > r.hostPortEnd) throw invalid('ERR_INVALID_PORT', `invalid host port range ${r.hostPort}-${r.hostPortEnd}`);
    if (r.hostIp && isIP(r.hostIp) === 0) throw invalid('ERR_INVALID_ADDRESS', `invalid host IP ${JSON.stringify(r.hostIp)}`);
  }
}

/** `-P`: every exposed port not already published gets an ephemeral host port on every address. */
export function publishAllRequests(exposed: ExposedPort[], explicit: PortBindingRequest[]): PortBindingRequest[] {
  const taken = new Set(explicit.map((r) => `${r.containerPort}/${r.proto}`));
  return exposed.filter((e) => !taken.has(`${e.port}/${e.proto}`)).map((e) => ({ proto: e.proto, containerPort: e.port, hostIp: '', hostPort: 0 }));
}

/**
 * The host ports held per endpoint. Reservation is all-or-nothing: when one port of a container is
 * taken, the ports already reserved for it are given back and the error names the port.
 */
export class PortBook {
  readonly #reserver: PortReserverLike;
  readonly #held = new Map<string, HeldPort[]>();

  constructor(reserver: PortReserverLike) {
    this.#reserver = reserver;
  }

  async reserve(endpointId: string, holder: string, requests: PortBindingRequest[], defaultHostIp: string, proxyTo?: string): Promise<PublishedPort[]> {
    const held: HeldPort[] = [];
    const out: PublishedPort[] = [];
    const reqs: ReserveRequestLike[] = requests.map((r) => ({
      proto: r.proto,
      hostIp: r.hostIp || defaultHostIp,
      hostPort: r.hostPort ?? 0,
      ...(r.hostPortEnd !== undefined ? { hostPortEnd: r.hostPortEnd } : {}),
      holder,
    }));
    try {
      if (this.#reserver.reserveMany) held.push(...this.#reserver.reserveMany(reqs));
      else for (const req of reqs) held.push(await this.#reserver.reserve(req));
      for (const [i, r] of requests.entries()) {
        const h = held[i]!;
        if (proxyTo && h.startProxy) await h.startProxy({ containerIp: proxyTo, containerPort: r.containerPort });
        out.push({ proto: r.proto, containerPort: r.containerPort, hostIp: r.hostIp ?? '', hostPort: h.hostPort });
      }
    } catch (error) {
      for (const h of held) h.release();
      throw error;
    }
    this.#held.set(endpointId, [...(this.#held.get(endpointId) ?? []), ...held]);
    return out;
  }

  release(endpointId: string): void {
    for (const h of this.#held.get(endpointId) ?? []) h.release();
    this.#held.delete(endpointId);
  }

  releaseAll(): void {
    for (const id of [...this.#held.keys()]) this.release(id);
  }
}

/** A reserver for tests and `iptables: false` setups: ports are tracked in memory only. */
export class MemoryPortReserver implements PortReserverLike {
  readonly #taken = new Map<string, string>();
  #next = 32768;

  reserve(req: { proto: string; hostIp: string; hostPort: number; hostPortEnd?: number; holder: string }): HeldPort {
    const candidates = req.hostPort === 0 ? [...Array(28232).keys()].map((i) => 32768 + ((this.#next - 32768 + i) % 28232)) : range(req.hostPort, req.hostPortEnd ?? req.hostPort);
    for (const port of candidates) {
      const key = `${req.proto}/${port}`;
      if (this.#taken.has(key)) continue;
      this.#taken.set(key, req.holder);
      if (req.hostPort === 0) this.#next = port + 1;
      return { hostPort: port, release: () => this.#taken.delete(key) };
    }
    const holder = this.#taken.get(`${req.proto}/${req.hostPort}`);
    throw conflict('ERR_PORT_IN_USE', `Bind for 0.0.0.0:${req.hostPort}/${req.proto} failed: port is already allocated${holder ? ` to ${holder}` : ''}`, {
      details: { port: req.hostPort, proto: req.proto, holder },
    });
  }
}

function range(a: number, b: number): number[] {
  return [...Array(b - a + 1).keys()].map((i) => a + i);
}
