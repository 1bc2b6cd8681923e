import { createNetlink, Flags, Protocol, parseMessages, rt, type NetlinkMessage, type NetlinkSocket } from 'netlink';
import { runInNetns } from '../netns/index.js';
import { NetlinkError } from './errors.js';

const NLMSG_ERROR = 2;
/** How long one request may take before we give up on the kernel answering (it always should). */
const REQUEST_TIMEOUT_MS = 10_000;
/** A dump interrupted by a concurrent change is retried this many times before failing with EINTR. */
const DUMP_RETRIES = 10;
const EINTR = 4;

/**
 * One NETLINK_ROUTE socket bound to one network namespace. The socket is created with the calling
 * thread inside that namespace (runInNetns), and a socket's namespace is fixed at creation, so all
 * its requests act there from then on (see src/netns/README.md).
 *
 * Requests are serialized: the kernel runs one dump at a time per socket (a second one gets
 * EBUSY), and the `netlink` package assembles multipart replies with one buffer per socket.
 */
export class RtSocket {
  readonly #sock: NetlinkSocket;
  #queue: Promise<unknown> = Promise.resolve();
  /** Sequence numbers whose reply carried NLM_F_DUMP_INTR (seen on the raw socket, DONE included). */
  readonly #interrupted = new Set<number>();
  #closed = false;

  constructor(nsPath: string | undefined) {
    this.#sock = runInNetns(nsPath, () => createNetlink(Protocol.ROUTE));
    // The package drops the DONE message of a dump, which is where the kernel often sets
    // NLM_F_DUMP_INTR, so watch the raw bytes for it.
    this.#sock.socket.on('message', (buf: Buffer) => {
      for (const m of safeParse(buf)) if (m.flags & Flags.DUMP_INTR) this.#interrupted.add(m.seq);
    });
  }

  /** A request answered by an ACK (or an error, thrown as NetlinkError). */
  async ack(type: number, body: Buffer, flags: number, syscall: string, object: string): Promise<void> {
    await this.#serial(() => this.#request(type, body, flags, syscall, object));
  }

  /** A GET for one object; resolves with its parsed message, or undefined for the given errnos. */
  async get(type: number, body: Buffer, syscall: string, object: string, missing: number[] = []): Promise<rt.Message | undefined> {
    const m = await this.getRaw(type, body, syscall, object, missing);
    return m === undefined ? undefined : rt.parseMessage(m.type, m.data);
  }

  /** Like get, unparsed (callers that need only a header field skip parsing every attribute). */
  async getRaw(type: number, body: Buffer, syscall: string, object: string, missing: number[] = []): Promise<NetlinkMessage | undefined> {
    return this.#serial(async () => {
      try {
        return (await this.#request(type, body, 0, syscall, object))[0];
      } catch (e) {
        if (e instanceof NetlinkError && missing.includes(-e.errno)) return undefined;
        throw e;
      }
    });
  }

  /**
   * A dump (NLM_F_DUMP). When the kernel flags it NLM_F_DUMP_INTR — the table changed while it
   * was being walked, so the result may miss or duplicate entries — it is simply asked again.
   */
  async dump(type: number, body: Buffer, syscall: string): Promise<rt.Message[]> {
    return this.#serial(async () => {
      for (let attempt = 0; attempt < DUMP_RETRIES; attempt++) {
        const seq = this.#sock.generateSeq();
        const msgs = await this.#request(type, body, 0x300 /* NLM_F_DUMP */, syscall, 'dump', seq);
        const intr = this.#interrupted.delete(seq) || msgs.some((m) => m.flags & Flags.DUMP_INTR);
        if (!intr) return msgs.filter((m) => m.type !== NLMSG_ERROR).map((m) => rt.parseMessage(m.type, m.data));
      }
      throw new NetlinkError(EINTR, syscall, `dump (interrupted ${DUMP_RETRIES} times)`);
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sock.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #request(type: number, body: Buffer, flags: number, syscall: string, object: string, seq?: number): Promise<NetlinkMessage[]> {
    if (this.#closed) throw new Error(`netlink socket closed (${syscall} ${object})`);
    const [msgs] = await this.#sock.request(type, body, {
      flags,
      checkError: false,
      timeout: REQUEST_TIMEOUT_MS,
      ...(seq === undefined ? {} : { seq }),
    });
    const first = msgs[0];
    if (first !== undefined && first.type === NLMSG_ERROR) {
      const errno = first.data.readInt32LE(0);
      if (errno !== 0) throw new NetlinkError(errno, syscall, object);
      return [];
    }
    return msgs;
  }
}

function safeParse(buf: Buffer): NetlinkMessage[] {
  try {
    return parseMessages(buf);
  } catch {
    return [];
  }
}
