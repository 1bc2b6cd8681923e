import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { connect, isIPv6, type Socket } from 'node:net';
import { RCODE } from './dns2.js';
import { errorResponse } from './wire.js';

/**
 * Forwarding of names not in the table, as Docker's resolver does it (libnetwork resolver.go):
 * upstreams in order, at most 3; UDP first and the same upstream again over TCP when the answer
 * comes back truncated; SERVFAIL and REFUSED move on to the next upstream; when none answers the
 * client gets SERVFAIL. Any other answer — NXDOMAIN, NOERROR with or without records — is
 * relayed byte for byte, only the id restored. A bound on outstanding queries (Docker: 1024)
 * answers REFUSED beyond it.
 */

export interface Upstream {
  address: string;
  port?: number;
}

export interface ForwarderOptions {
  upstreams: readonly Upstream[];
  /** Per upstream attempt (Docker: 4 s). */
  timeoutMs?: number;
  maxPending?: number;
  /**
   * A UDP socket to forward IPv4 queries from, adopted by fd — made inside the sandbox's
   * namespace, so upstreams are reached from the container's network as Docker does (and an
   * internal network reaches nothing). Default: a socket in this process's namespace.
   */
  udpFd?: number;
}

export const MAX_UPSTREAMS = 3;
const MAX_TCP_MESSAGE = 65535;

interface Exchange {
  upstream: Required<Upstream>;
  question: string;
  qEnd: number;
  deadline: number;
  done: (resp: Buffer | null) => void;
}

export class Forwarder {
  #upstreams: (Required<Upstream> & { family: 'udp4' | 'udp6' })[] = [];
  readonly #tcpSockets = new Set<Socket>();
  readonly #timeoutMs: number;
  readonly #maxPending: number;
  readonly #udpFd: number | undefined;
  readonly #pending = new Map<number, Exchange>();
  #sockets: { udp4?: UdpSocket; udp6?: UdpSocket } = {};
  #timer: NodeJS.Timeout | undefined;
  #inFlight = 0;
  #closed = false;

  constructor(options: ForwarderOptions) {
    this.#timeoutMs = options.timeoutMs ?? 4000;
    this.#maxPending = options.maxPending ?? 1024;
    this.#udpFd = options.udpFd;
    this.setUpstreams(options.upstreams);
  }

  get upstreams(): Required<Upstream>[] {
    return this.#upstreams.map((u) => ({ address: u.address, port: u.port }));
  }

  setUpstreams(list: readonly Upstream[]): void {
    this.#upstreams = list.slice(0, MAX_UPSTREAMS).map((u) => ({
      address: u.address, port: u.port ?? 53, family: isIPv6(u.address) ? 'udp6' : 'udp4',
    }));
  }

  /** Queries being forwarded right now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Forwards `query` (a copy the forwarder may change) and calls reply exactly once, unless the
   * forwarder is closed first. `udpLimit` is the client's limit (0 for a TCP client).
   */
  forward(query: Buffer, qEnd: number, udpLimit: number, reply: (resp: Buffer) => void): void {
    if (this.#inFlight >= this.#maxPending) {
      reply(errorResponse(query, qEnd, RCODE.REFUSED));
      return;
    }
    this.#inFlight += 1;
    void this.#run(query, qEnd, udpLimit).then((resp) => {
      this.#inFlight -= 1;
      if (!this.#closed) reply(resp);
    });
  }

  async #run(query: Buffer, qEnd: number, udpLimit: number): Promise<Buffer> {
    const clientId = query.readUInt16BE(0);
    for (const up of this.#upstreams) {
      let resp: Buffer | null;
      if (udpLimit === 0) resp = await this.#tcp(up, query, qEnd);
      else {
        resp = await this.#udp(up, query, qEnd);
        // Truncated: the same upstream over TCP; if that fails the client still gets TC and retries itself.
        if (resp && resp[2]! & 0x02) resp = (await this.#tcp(up, query, qEnd)) ?? resp;
      }
      if (this.#closed) break;
      if (!resp) continue;
      const rcode = resp[3]! & 0x0f;
      if (rcode === RCODE.SERVFAIL || rcode === RCODE.REFUSED) continue;
      resp.writeUInt16BE(clientId, 0);
      if (udpLimit > 0 && resp.length > udpLimit) return truncated(resp, qEnd);
      return resp;
    }
    query.writeUInt16BE(clientId, 0);
    return errorResponse(query, qEnd, RCODE.SERVFAIL);
  }

  #udp(up: Required<Upstream> & { family: 'udp4' | 'udp6' }, query: Buffer, qEnd: number): Promise<Buffer | null> {
    return new Promise((resolve) => {
      const id = this.#freeId();
      query.writeUInt16BE(id, 0);
      this.#pending.set(id, {
        upstream: up, qEnd, question: questionOf(query, qEnd), deadline: Date.now() + this.#timeoutMs,
        done: resolve,
      });
      this.#armTimer();
      this.#socket(up).send(query, up.port, up.address, (err) => {
        if (err) this.#finish(id, null);
      });
    });
  }

  #tcp(up: Required<Upstream>, query: Buffer, qEnd: number): Promise<Buffer | null> {
    return new Promise((resolve) => {
      const question = questionOf(query, qEnd);
      const id = query.readUInt16BE(0);
      const sock = connect({ host: up.address, port: up.port });
      this.#tcpSockets.add(sock);
      let buf = Buffer.alloc(0);
      const finish = (resp: Buffer | null): void => {
        this.#tcpSockets.delete(sock);
        sock.destroy();
        resolve(resp);
      };
      sock.setTimeout(this.#timeoutMs, () => finish(null));
      sock.on('error', () => finish(null));
      sock.on('close', () => finish(null));
      sock.on('connect', () => {
        const len = Buffer.allocUnsafe(2);
        len.writeUInt16BE(query.length);
        sock.write(Buffer.concat([len, query]));
      });
      sock.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length > MAX_TCP_MESSAGE + 2) return finish(null);
        if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
        const resp = buf.subarray(2, 2 + buf.readUInt16BE(0));
        finish(matches(resp, id, question, qEnd) ? Buffer.from(resp) : null);
      });
    });
  }

  #socket(up: { family: 'udp4' | 'udp6' }): UdpSocket {
    const family = up.family;
    let sock = this.#sockets[family];
    if (!sock) {
      sock = createSocket(family);
      // Sends made before the bind completes are queued by dgram.
      if (family === 'udp4' && this.#udpFd !== undefined) sock.bind({ fd: this.#udpFd });
      sock.on('message', (msg, rinfo) => this.#onMessage(msg, rinfo));
      sock.on('error', () => undefined); // per-send errors arrive in send's callback
      sock.unref();
      this.#sockets[family] = sock;
    }
    return sock;
  }

  #onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    if (msg.length < 12) return;
    const id = msg.readUInt16BE(0);
    const ex = this.#pending.get(id);
    // Only the upstream we asked, about the question we asked, may answer (spoofing defence).
    if (!ex || rinfo.port !== ex.upstream.port || rinfo.address !== ex.upstream.address) return;
    if (!matches(msg, id, ex.question, ex.qEnd)) return;
    this.#finish(id, msg);
  }

  #finish(id: number, resp: Buffer | null): void {
    const ex = this.#pending.get(id);
    if (!ex) return;
    this.#pending.delete(id);
    ex.done(resp);
  }

  #freeId(): number {
    for (;;) {
      const id = (Math.random() * 0x10000) | 0;
      if (!this.#pending.has(id)) return id;
    }
  }

  /** One coarse timer for every pending UDP exchange instead of a setTimeout per query. */
  #armTimer(): void {
    if (this.#timer) return;
    const tick = Math.max(10, Math.min(100, this.#timeoutMs / 4));
    this.#timer = setInterval(() => {
      const now = Date.now();
      for (const [id, ex] of this.#pending) if (ex.deadline <= now) this.#finish(id, null);
      if (this.#pending.size === 0) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    }, tick);
    this.#timer.unref();
  }

  close(): void {
    this.#closed = true;
    for (const id of [...this.#pending.keys()]) this.#finish(id, null);
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const s of Object.values(this.#sockets)) s.close();
    for (const s of this.#tcpSockets) s.destroy();
    this.#sockets = {};
  }
}

function questionOf(msg: Buffer, qEnd: number): string {
  return msg.toString('latin1', 12, qEnd).toLowerCase();
}

function matches(resp: Buffer, id: number, question: string, qEnd: number): boolean {
  return resp.length >= qEnd && resp.readUInt16BE(0) === id && (resp[2]! & 0x80) !== 0 &&
    resp[4] === 0 && resp[5] === 1 && questionOf(resp, qEnd) === question;
}

/** A relayed answer over the client's UDP limit: header with TC and the question only. */
function truncated(resp: Buffer, qEnd: number): Buffer {
  const out = Buffer.allocUnsafe(qEnd);
  resp.copy(out, 0, 0, qEnd);
  out[2] = out[2]! | 0x02;
  out.writeUInt16BE(1, 4);
  out.writeUInt32BE(0, 6);
  out.writeUInt16BE(0, 10);
  return out;
}
