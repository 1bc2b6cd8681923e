import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server as TcpServer, type Socket } from 'node:net';
import { invalid, unavailable } from '@tsnet/errors';
import { QTYPE, RCODE } from './dns2.js';
import { Forwarder, MAX_UPSTREAMS, type Upstream } from './forwarder.js';
import { mergeEntries, type NameEntry, type RecordTable } from './table.js';
import { serveTcpConnection, type TcpLimits } from './tcp.js';
import {
  buildResponse, errorResponse, newParsedQuery, parseQuery, PARSE_DROP, PARSE_OK, type ParsedQuery,
} from './wire.js';

/**
 * The server: one RecordTable, any number of listeners. A listener is one sandbox's pair of
 * sockets (UDP + TCP) with the scopes (networks) that sandbox may see and its own upstreams.
 */

export type ListenTarget =
  | { address: string; port: number }
  /** Sockets made elsewhere (inside a sandbox's namespace) and adopted by file descriptor. */
  | { udpFd: number; tcpFd: number; family?: 'udp4' | 'udp6' };

export interface ListenerOptions {
  /** Scopes (network ids) whose names this listener answers. */
  scopes?: readonly string[];
  /** Where names not in the table go (at most 3 are used). None: SERVFAIL, like Docker. */
  upstreams?: readonly Upstream[];
  /** Per-upstream attempt timeout (default 4000 ms, Docker's extIOTimeout). */
  upstreamTimeoutMs?: number;
  /**
   * The sandbox's resolv.conf sets ndots explicitly: single-label A/AAAA names not in the table
   * get an empty answer instead of being forwarded, so the client goes on to its search domains
   * (Docker's resolver does the same).
   */
  ndotsSet?: boolean;
  /** Forward IPv4 queries from this UDP socket (made inside the sandbox), adopted by fd. */
  forwardUdpFd?: number;
  maxTcpConnections?: number;
  tcpIdleTimeoutMs?: number;
  maxTcpMessage?: number;
}

export interface ListenerStats {
  queries: number;
  answered: number;
  forwarded: number;
  errors: number;
  dropped: number;
}

const DEFAULT_TCP: TcpLimits = { maxMessage: 4096, idleMs: 10_000, maxInFlight: 16, maxWriteBacklog: 256 * 1024 };
const MERGE_CACHE_MAX = 4096;
const FORWARD = Symbol('forward');

export class DnsServer {
  readonly table: RecordTable;
  readonly #listeners = new Set<DnsListener>();

  constructor(options: { table: RecordTable }) {
    this.table = options.table;
  }

  get listeners(): readonly DnsListener[] {
    return [...this.#listeners];
  }

  /** Starts a listener; rejects (and leaves nothing open) when a socket cannot be bound or adopted. */
  async listen(target: ListenTarget & ListenerOptions): Promise<DnsListener> {
    const listener = new DnsListener(this.table, target, () => this.#listeners.delete(listener));
    await listener.start(target);
    this.#listeners.add(listener);
    return listener;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#listeners].map((l) => l.close()));
  }
}

export class DnsListener {
  readonly #table: RecordTable;
  #scopes: readonly string[] = [];
  readonly #forwarder: Forwarder;
  readonly #ndotsSet: boolean;
  readonly #tcpLimits: TcpLimits;
  readonly #maxConnections: number;
  readonly #onClose: () => void;
  readonly #q: ParsedQuery = newParsedQuery();
  readonly #cache = new Map<string, NameEntry | null>();
  #cacheVersion = -1;
  #udp: UdpSocket | undefined;
  #tcp: TcpServer | undefined;
  readonly #conns = new Set<Socket>();
  #closed = false;
  #address = { address: '', udpPort: 0, tcpPort: 0 };
  readonly #stats: ListenerStats = { queries: 0, answered: 0, forwarded: 0, errors: 0, dropped: 0 };

  constructor(table: RecordTable, o: ListenerOptions, onClose: () => void) {
    this.#table = table;
    this.setScopes(o.scopes ?? []);
    this.#forwarder = new Forwarder({
      upstreams: checkUpstreams(o.upstreams ?? []), timeoutMs: o.upstreamTimeoutMs ?? 4000,
      ...(o.forwardUdpFd !== undefined ? { udpFd: o.forwardUdpFd } : {}),
    });
    this.#ndotsSet = o.ndotsSet ?? false;
    this.#tcpLimits = {
      ...DEFAULT_TCP,
      ...(o.tcpIdleTimeoutMs !== undefined ? { idleMs: o.tcpIdleTimeoutMs } : {}),
      ...(o.maxTcpMessage !== undefined ? { maxMessage: Math.min(o.maxTcpMessage, 65535) } : {}),
    };
    this.#maxConnections = o.maxTcpConnections ?? 128;
    this.#onClose = onClose;
  }

  get scopes(): readonly string[] {
    return this.#scopes;
  }

  /** Replaces the scopes live; the next query sees the new set. */
  setScopes(scopes: readonly string[]): void {
    this.#scopes = Object.freeze([...new Set(scopes)]);
    this.#cacheVersion = -1;
  }

  get upstreams(): Required<Upstream>[] {
    return this.#forwarder.upstreams;
  }

  setUpstreams(upstreams: readonly Upstream[]): void {
    this.#forwarder.setUpstreams(checkUpstreams(upstreams));
  }

  /** Where the sockets are bound (ports are the real ones, also for adopted sockets). */
  get address(): { address: string; udpPort: number; tcpPort: number } {
    return { ...this.#address };
  }

  stats(): ListenerStats & { tcpConnections: number; forwardsInFlight: number } {
    return { ...this.#stats, tcpConnections: this.#conns.size, forwardsInFlight: this.#forwarder.inFlight };
  }

  /** @internal DnsServer.listen calls it once. */
  async start(target: ListenTarget): Promise<void> {
    try {
      if ('udpFd' in target) {
        this.#udp = await bindUdp(createSocket(target.family ?? 'udp4'), { fd: target.udpFd });
        this.#tcp = await listenTcp(this.#newTcpServer(), { fd: target.tcpFd });
      } else {
        await this.#bindAddress(target.address, target.port);
      }
    } catch (err) {
      await this.close();
      throw err;
    }
    const udp = this.#udp!;
    const t = this.#tcp!.address();
    this.#address = { address: udp.address().address, udpPort: udp.address().port, tcpPort: typeof t === 'object' && t ? t.port : 0 };
    udp.on('message', (msg, rinfo) => {
      const r = this.#answer(msg, false);
      if (r === FORWARD) {
        // The datagram is ours: the forwarder may patch its id in place.
        this.#forwarder.forward(msg, this.#q.qEnd, this.#q.udpSize, (resp) => {
          if (!this.#closed) udp.send(resp, rinfo.port, rinfo.address);
        });
      } else if (r !== null) udp.send(r, rinfo.port, rinfo.address);
    });
    udp.on('error', () => undefined); // send errors (client gone): nothing to do
  }

  async #bindAddress(address: string, port: number): Promise<void> {
    const family = address.includes(':') ? 'udp6' : 'udp4';
    // Port 0: UDP picks a port and TCP takes the same one; retry if TCP finds it taken.
    for (let attempt = 0; ; attempt += 1) {
      this.#udp = await bindUdp(createSocket(family), { address, port });
      try {
        this.#tcp = await listenTcp(this.#newTcpServer(), { host: address, port: this.#udp.address().port });
        return;
      } catch (err) {
        this.#udp.close();
        this.#udp = undefined;
        if (port !== 0 || attempt >= 4) throw err;
      }
    }
  }

  #newTcpServer(): TcpServer {
    const server = createServer((sock) => {
      this.#conns.add(sock);
      sock.on('close', () => this.#conns.delete(sock));
      serveTcpConnection(sock, this.#tcpLimits, (msg, send) => {
        const r = this.#answer(msg, true);
        if (r === FORWARD) this.#forwarder.forward(msg, this.#q.qEnd, 0, send);
        else send(r);
      });
    });
    server.maxConnections = this.#maxConnections;
    return server;
  }

  /**
   * The hot path: parse header and question, one Map lookup (per scope), copy pre-encoded
   * records. Returns the response, null for none, or FORWARD (this.#q then describes the query).
   */
  #answer(msg: Buffer, tcp: boolean): Buffer | null | typeof FORWARD {
    const q = this.#q;
    const st = this.#stats;
    st.queries += 1;
    const r = parseQuery(msg, q);
    if (r !== PARSE_OK) {
      if (r === PARSE_DROP) {
        st.dropped += 1;
        return null;
      }
      st.errors += 1;
      return errorResponse(msg, q.qEnd, r);
    }
    const maxSize = tcp ? 65535 : q.udpSize;
    const entry = q.qclass === 1 ? this.#lookup(q.key) : undefined;
    if (entry) {
      st.answered += 1;
      const t = q.qtype;
      const set = t === QTYPE.A ? entry.a : t === QTYPE.AAAA ? entry.aaaa : t === QTYPE.PTR ? entry.ptr : null;
      return buildResponse(msg, q, RCODE.NOERROR, set, maxSize);
    }
    if (this.#ndotsSet && q.singleLabel && (q.qtype === QTYPE.A || q.qtype === QTYPE.AAAA)) {
      st.answered += 1;
      return buildResponse(msg, q, RCODE.NOERROR, null, maxSize);
    }
    st.forwarded += 1;
    return FORWARD;
  }

  #lookup(key: string): NameEntry | undefined {
    const scopes = this.#scopes;
    if (scopes.length === 1) return this.#table.entry(scopes[0]!, key);
    if (scopes.length === 0) return undefined;
    if (this.#cacheVersion !== this.#table.version) {
      this.#cache.clear();
      this.#cacheVersion = this.#table.version;
    }
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const found: NameEntry[] = [];
    for (const s of scopes) {
      const e = this.#table.entry(s, key);
      if (e) found.push(e);
    }
    const merged = found.length > 0 ? mergeEntries(found) : null;
    if (this.#cache.size >= MERGE_CACHE_MAX) this.#cache.clear();
    this.#cache.set(key, merged);
    return merged ?? undefined;
  }

  /** Closes both sockets (adopted fds included), open TCP connections and pending forwards. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#forwarder.close();
    for (const c of this.#conns) c.destroy();
    const udp = this.#udp;
    const tcp = this.#tcp;
    await Promise.all([
      udp ? new Promise<void>((res) => udp.close(() => res())) : undefined,
      tcp && tcp.listening ? new Promise<void>((res) => tcp.close(() => res())) : undefined,
    ]);
    this.#onClose();
  }
}

function checkUpstreams(list: readonly Upstream[]): Upstream[] {
  for (const u of list) {
    if (!/^[0-9a-fA-F:.]+$/.test(u.address) || (u.port !== undefined && (u.port < 1 || u.port > 65535))) {
      throw invalid('ERR_DNS_INVALID_UPSTREAM', `upstream DNS server "${u.address}:${u.port ?? 53}" is not an IP address and port`);
    }
  }
  return list.slice(0, MAX_UPSTREAMS);
}

/** dgram reports bind failures only as 'error' events: race them against the bind callback. */
function bindUdp(sock: UdpSocket, opts: { address?: string; port?: number; fd?: number }): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      sock.close();
      reject(unavailable('ERR_DNS_BIND', `cannot bind DNS UDP socket ${describe(opts)}: ${err.message}`, { cause: err }));
    };
    sock.once('error', onError);
    try {
      sock.bind(opts, () => {
        sock.off('error', onError);
        resolve(sock);
      });
    } catch (err) {
      onError(err as Error);
    }
  });
}

function listenTcp(server: TcpServer, opts: { host?: string; port?: number; fd?: number }): Promise<TcpServer> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      server.close();
      reject(unavailable('ERR_DNS_BIND', `cannot listen on DNS TCP socket ${describe(opts)}: ${err.message}`, { cause: err }));
    };
    server.once('error', onError);
    try {
      server.listen(opts, () => {
        server.off('error', onError);
        resolve(server);
      });
    } catch (err) {
      onError(err as Error);
    }
  });
}

function describe(o: { address?: string; host?: string; port?: number; fd?: number }): string {
  return o.fd !== undefined ? `fd ${o.fd}` : `${o.address ?? o.host}:${o.port}`;
}
