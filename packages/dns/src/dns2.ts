import { createRequire } from 'node:module';
import { unavailable } from '@tsnet/errors';

/**
 * The one place that touches the `dns2` package (which ships no types). It serves the cold path
 * only: encoding resource records when the table changes, decoding messages in tests and debug
 * tools, and a small authoritative server for labs and tests. Queries never go through it.
 */

interface Dns2Writer {
  toBuffer(): Buffer;
}
interface Dns2Packet {
  header: Record<string, number>;
  questions: { name: string; type: number; class: number }[];
  answers: Record<string, unknown>[];
  authorities: Record<string, unknown>[];
  additionals: Record<string, unknown>[];
  toBuffer(): Buffer;
}
interface Dns2PacketStatic {
  new (data?: unknown): Dns2Packet;
  parse(buf: Buffer): Dns2Packet;
  TYPE: Record<string, number>;
  CLASS: Record<string, number>;
  Writer: new () => Dns2Writer;
  Resource: { encode(resource: Record<string, unknown>, writer?: Dns2Writer): Buffer };
}
interface Dns2Server {
  on(event: 'request', fn: (req: Dns2Packet, send: (res: Dns2Packet) => unknown, rinfo: unknown) => void): Dns2Server;
  on(event: 'error' | 'requestError', fn: (err: Error) => void): Dns2Server;
  once(event: 'error', fn: (err: Error) => void): Dns2Server;
  off(event: 'error', fn: (err: Error) => void): Dns2Server;
  listen(opts: Record<string, { port: number; address: string }>): Promise<Record<string, { port: number; address: string }>>;
  close(): Promise<void>;
}
interface Dns2Module {
  Packet: Dns2PacketStatic;
  createServer(opts: { udp?: boolean | { type: string }; tcp?: boolean }): Dns2Server;
}

const dns2 = createRequire(import.meta.url)('dns2') as Dns2Module;
const { Packet } = dns2;

export const QTYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

/** One answer record for the table: A/AAAA carry 4/16 address bytes, PTR a target name. */
export type RecordData =
  | { type: typeof QTYPE.A | typeof QTYPE.AAAA; ttl: number; bytes: Buffer }
  | { type: typeof QTYPE.PTR; ttl: number; target: string };

/**
 * Encodes one answer RR whose owner is a compression pointer to the question (offset 12), so
 * the answer carries the client's own spelling of the name and every A record is 16 bytes.
 */
export function encodeAnswer(rr: RecordData): Buffer {
  const base = { name: '', type: rr.type, class: Packet.CLASS.IN!, ttl: rr.ttl };
  let record: Record<string, unknown>;
  if (rr.type === QTYPE.PTR) record = { ...base, domain: rr.target };
  else if (rr.type === QTYPE.A) record = { ...base, address: [...rr.bytes].join('.') };
  else {
    // Fully expanded groups: dns2's IPv6 parser mishandles some compressed forms.
    const groups = Array.from({ length: 8 }, (_, i) => rr.bytes.readUInt16BE(i * 2).toString(16));
    record = { ...base, address: groups.join(':') };
  }
  const writer = new Packet.Writer();
  Packet.Resource.encode(record, writer);
  const wire = writer.toBuffer();
  // wire = 0x00 (root owner) | type | class | ttl | rdlength | rdata
  return Buffer.concat([Buffer.from([0xc0, 0x0c]), wire.subarray(1)]);
}

/** A decoded message, for tests and debug output. */
export interface DecodedMessage {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  rcode: number;
  questions: { name: string; type: number; class: number }[];
  answers: { name: string; type: number; ttl: number; address?: string; domain?: string }[];
  additionals: { name: string; type: number; class: number }[];
}

export function decodeMessage(buf: Buffer): DecodedMessage {
  const p = Packet.parse(buf);
  const h = p.header;
  return {
    id: h.id ?? 0, qr: h.qr === 1, opcode: h.opcode ?? 0, aa: h.aa === 1, tc: h.tc === 1, rd: h.rd === 1,
    ra: h.ra === 1, rcode: h.rcode ?? 0,
    questions: p.questions.map((q) => ({ name: q.name, type: q.type, class: q.class })),
    answers: p.answers as DecodedMessage['answers'],
    additionals: p.additionals as DecodedMessage['additionals'],
  };
}

/** Encodes a query (tests, debug tools): one question, RD set, optional EDNS OPT with a UDP size. */
export function encodeQuery(o: { id: number; name: string; type: number; edns?: number }): Buffer {
  const p = new Packet();
  p.header = { id: o.id, rd: 1 };
  p.questions = [{ name: o.name, type: o.type, class: Packet.CLASS.IN! }];
  const q = p.toBuffer();
  if (o.edns === undefined) return q;
  const opt = Buffer.from([0, 0, 41, 0, 0, 0, 0, 0, 0, 0, 0]);
  opt.writeUInt16BE(o.edns, 3);
  q.writeUInt16BE(1, 10);
  return Buffer.concat([q, opt]);
}

/** What a stub server answers: records for a question, or an rcode with no records. */
export type StubAnswer =
  | { rcode?: number; answers?: { type: 'A' | 'AAAA' | 'TXT'; address?: string; data?: string; ttl?: number }[] }
  | undefined;

export interface StubServer {
  readonly udpPort: number;
  readonly tcpPort: number;
  close(): Promise<void>;
}

/**
 * A small authoritative server on dns2 (labs and tests use it as an "upstream"). dns2's `listen`
 * resolves only on 'listening' and never rejects, so a bind error is raced against 'error'; and
 * its `send` must be called exactly once per request, whatever the handler does.
 */
export async function startStubServer(o: {
  address: string;
  /** Default: a free port, the same for UDP and TCP (so it works as an upstream "host:port"). */
  port?: number;
  tcp?: boolean;
  answer: (name: string, type: number) => StubAnswer | Promise<StubAnswer>;
}): Promise<StubServer> {
  for (let attempt = 0; ; attempt += 1) {
    const port = o.port ?? 20000 + Math.floor(Math.random() * 40000);
    try {
      return await startStubOnce({ ...o, port });
    } catch (err) {
      if (o.port !== undefined || attempt >= 9) throw err;
    }
  }
}

async function startStubOnce(o: {
  address: string;
  port: number;
  tcp?: boolean;
  answer: (name: string, type: number) => StubAnswer | Promise<StubAnswer>;
}): Promise<StubServer> {
  const server = dns2.createServer({ udp: { type: o.address.includes(':') ? 'udp6' : 'udp4' }, tcp: o.tcp ?? true });
  server.on('request', (req, send) => void respondOnce(req, send, o.answer));
  server.on('requestError', () => undefined);
  const port = o.port;
  const opts: Record<string, { port: number; address: string }> = { udp: { port, address: o.address } };
  if (o.tcp ?? true) opts.tcp = { port, address: o.address };
  let onError: (err: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    onError = (err) => reject(unavailable('ERR_DNS_BIND', `stub DNS server cannot bind ${o.address}:${port}: ${err.message}`, { cause: err }));
    server.once('error', onError);
  });
  const addrs = await Promise.race([server.listen(opts), failed]).catch(async (err: unknown) => {
    await closeQuietly(server);
    throw err;
  });
  server.off('error', onError);
  server.on('error', () => undefined);
  return { udpPort: addrs.udp!.port, tcpPort: addrs.tcp?.port ?? 0, close: () => closeQuietly(server) };
}

/** dns2's close waits for 'close' of every socket, which a socket that never bound does not emit. */
async function closeQuietly(server: Dns2Server): Promise<void> {
  await Promise.race([server.close().catch(() => undefined), new Promise((r) => setTimeout(r, 500).unref())]);
}

async function respondOnce(
  req: Dns2Packet,
  send: (res: Dns2Packet) => unknown,
  answer: (name: string, type: number) => StubAnswer | Promise<StubAnswer>,
): Promise<void> {
  const res = new Packet(req);
  res.header = { ...req.header, qr: 1, ra: 1 };
  res.additionals = [];
  const q = req.questions[0];
  try {
    const a = q ? await answer(q.name, q.type) : { rcode: RCODE.FORMERR };
    res.header.rcode = a?.rcode ?? (a ? RCODE.NOERROR : RCODE.NXDOMAIN);
    res.answers = (a?.answers ?? []).map((r) => ({
      name: q!.name, type: Packet.TYPE[r.type]!, class: Packet.CLASS.IN!, ttl: r.ttl ?? 60,
      ...(r.address !== undefined ? { address: r.address } : {}), ...(r.data !== undefined ? { data: r.data } : {}),
    }));
  } catch {
    res.header.rcode = RCODE.SERVFAIL;
    res.answers = [];
  }
  try {
    await send(res);
  } catch {
    // The client went away; nothing to do, and send must not be retried.
  }
}
