import type { EncodedAnswers } from './table.js';

/**
 * The hot path's wire handling, by hand and bounded: a query is read only as far as its header,
 * its single question (labels walked, compression pointers rejected — a query has nothing to
 * point back at, so a pointer is either garbage or an attack) and an OPT record right after it.
 * Answers are assembled from pre-encoded records: header, the client's own question bytes
 * (keeping its letter case), records (shuffled), OPT.
 */

export const PARSE_OK = 0;
export const PARSE_DROP = -1; // not a query we may answer: too short, or a response (QR=1)
export const PARSE_FORMERR = 1;
export const PARSE_NOTIMP = 4;

export const MIN_UDP_SIZE = 512;
/** Our advertised EDNS UDP payload size (DNS flag day 2020). */
export const OUR_EDNS_SIZE = 1232;
const HEADER = 12;
const OPT_LEN = 11;

/** Scratch filled by parseQuery; reused for every query (single-threaded, used synchronously). */
export interface ParsedQuery {
  id: number;
  flags: number;
  /** Offset just past the question's name (its root byte). 0 when the question could not be read. */
  nameEnd: number;
  /** Offset just past qtype/qclass. */
  qEnd: number;
  qtype: number;
  qclass: number;
  /** Lower-cased wire-form name as a latin1 string (see names.ts). */
  key: string;
  edns: boolean;
  ednsVersion: number;
  /** Largest UDP response the client accepts (512 without EDNS). */
  udpSize: number;
  /** True when the name has a single label (Docker's ndots rule looks at it). */
  singleLabel: boolean;
}

export function newParsedQuery(): ParsedQuery {
  return { id: 0, flags: 0, nameEnd: 0, qEnd: 0, qtype: 0, qclass: 0, key: '', edns: false, ednsVersion: 0, udpSize: MIN_UDP_SIZE, singleLabel: false };
}

// Buffer's own latin1Slice skips toString's argument juggling: ~30% of the per-query CPU.
const fastSlice = (Buffer.prototype as unknown as { latin1Slice?: (s: number, e: number) => string }).latin1Slice;
const latin1: (b: Buffer, s: number, e: number) => string = fastSlice
  ? (b, s, e) => fastSlice.call(b, s, e)
  : (b, s, e) => b.toString('latin1', s, e);

export function parseQuery(msg: Buffer, q: ParsedQuery): number {
  const len = msg.length;
  q.nameEnd = 0;
  q.qEnd = 0;
  q.edns = false;
  q.udpSize = MIN_UDP_SIZE;
  if (len < HEADER) return PARSE_DROP;
  const flags = (msg[2]! << 8) | msg[3]!;
  if (flags & 0x8000) return PARSE_DROP;
  q.id = (msg[0]! << 8) | msg[1]!;
  q.flags = flags;
  if (((flags >> 11) & 0xf) !== 0) return PARSE_NOTIMP;
  if (msg[4] !== 0 || msg[5] !== 1) return PARSE_FORMERR; // qdcount must be exactly 1
  let i = HEADER;
  let labels = 0;
  for (;;) {
    if (i >= len) return PARSE_FORMERR;
    const l = msg[i]!;
    if (l === 0) break;
    if (l > 63) return PARSE_FORMERR; // compression pointer or extended label type
    i += l + 1;
    labels += 1;
    if (i - HEADER > 254) return PARSE_FORMERR; // RFC 1035 2.3.4: 255 octets with the root
  }
  const nameEnd = i + 1;
  if (nameEnd + 4 > len) return PARSE_FORMERR;
  q.nameEnd = nameEnd;
  q.qEnd = nameEnd + 4;
  q.qtype = (msg[nameEnd]! << 8) | msg[nameEnd + 1]!;
  q.qclass = (msg[nameEnd + 2]! << 8) | msg[nameEnd + 3]!;
  q.singleLabel = labels <= 1;
  // Label length bytes are < 0x40, so lower-casing can only touch letters.
  q.key = latin1(msg, HEADER, nameEnd).toLowerCase();
  parseOpt(msg, q);
  return PARSE_OK;
}

/** Reads an OPT RR when it is the first additional record of an otherwise plain query. */
function parseOpt(msg: Buffer, q: ParsedQuery): void {
  const o = q.qEnd;
  if (msg[6] !== 0 || msg[7] !== 0 || msg[8] !== 0 || msg[9] !== 0) return;
  if (msg[10] === 0 && msg[11] === 0) return;
  if (o + OPT_LEN > msg.length || msg[o] !== 0 || msg[o + 1] !== 0 || msg[o + 2] !== 41) return;
  q.edns = true;
  const size = (msg[o + 3]! << 8) | msg[o + 4]!;
  q.udpSize = size > MIN_UDP_SIZE ? size : MIN_UDP_SIZE; // RFC 6891 6.2.5: below 512 means 512
  q.ednsVersion = msg[o + 6]!;
}

function writeOpt(out: Buffer, at: number, extRcode: number): void {
  out[at] = 0;
  out.writeUInt16BE(41, at + 1);
  out.writeUInt16BE(OUR_EDNS_SIZE, at + 3);
  out.writeUInt32BE((extRcode << 24) >>> 0, at + 5);
  out.writeUInt16BE(0, at + 9);
}

/** Response flags: QR, the client's opcode, RD and CD echoed, RA set (we recurse for it). */
function responseFlags(queryFlags: number, rcode: number, tc: boolean): number {
  return 0x8000 | (queryFlags & 0x7800) | (queryFlags & 0x0110) | 0x0080 | (tc ? 0x0200 : 0) | (rcode & 0xf);
}

let perm = new Int32Array(256);

/**
 * An answer from pre-encoded records: NOERROR with `set` (null → no records: NODATA), or an
 * error rcode with no records. `maxSize` bounds the message; records that do not fit are dropped
 * and TC set, so the client retries over TCP.
 */
export function buildResponse(msg: Buffer, q: ParsedQuery, rcode: number, set: EncodedAnswers | null, maxSize: number): Buffer {
  const qLen = q.qEnd > 0 ? q.qEnd - HEADER : 0;
  const badVers = q.edns && q.ednsVersion !== 0;
  const optLen = q.edns ? OPT_LEN : 0;
  const fixed = HEADER + qLen + optLen;
  let count = 0;
  let bytes = 0;
  let tc = false;
  const n = set && !badVers ? set.count : 0;
  if (n > 0) {
    const offs = set!.offsets;
    if (n > 1) shuffle(n);
    else perm[0] = 0;
    const room = maxSize - fixed;
    for (; count < n; count += 1) {
      const j = perm[count]!;
      const size = offs[j + 1]! - offs[j]!;
      if (bytes + size > room) {
        tc = true;
        break;
      }
      bytes += size;
    }
  }
  const out = Buffer.allocUnsafe(fixed + bytes);
  const flags = responseFlags(q.flags, badVers ? 0 : rcode, tc);
  out[0] = q.id >> 8;
  out[1] = q.id & 0xff;
  out[2] = flags >> 8;
  out[3] = flags & 0xff;
  out[4] = 0;
  out[5] = qLen > 0 ? 1 : 0;
  out[6] = count >> 8;
  out[7] = count & 0xff;
  out[8] = 0;
  out[9] = 0;
  out[10] = 0;
  out[11] = q.edns ? 1 : 0;
  if (qLen > 0) msg.copy(out, HEADER, HEADER, q.qEnd);
  let at = HEADER + qLen;
  if (count === 1 && n === 1) at += set!.rrs.copy(out, at);
  else if (count > 0) {
    const { rrs, offsets } = set!;
    for (let k = 0; k < count; k += 1) {
      const j = perm[k]!;
      at += rrs.copy(out, at, offsets[j]!, offsets[j + 1]!);
    }
  }
  if (q.edns) writeOpt(out, at, badVers ? 1 : 0); // BADVERS = 16: upper bits in the OPT TTL
  return out;
}

/** Fisher–Yates over the first n slots of perm (Docker shuffles every answer the same way). */
function shuffle(n: number): void {
  if (n > perm.length) perm = new Int32Array(n);
  for (let i = 0; i < n; i += 1) perm[i] = i;
  for (let i = n - 1; i > 0; i -= 1) {
    const r = (Math.random() * (i + 1)) | 0;
    const t = perm[i]!;
    perm[i] = perm[r]!;
    perm[r] = t;
  }
}

/** A response carrying only the query's header and question with `rcode` (errors, empty answers). */
export function errorResponse(query: Buffer, qEnd: number, rcode: number): Buffer {
  const end = qEnd > 0 ? qEnd : HEADER;
  const out = Buffer.allocUnsafe(end);
  query.copy(out, 0, 0, end);
  out.writeUInt16BE(responseFlags((query[2]! << 8) | query[3]!, rcode, false), 2);
  out.writeUInt16BE(qEnd > 0 ? 1 : 0, 4);
  out.writeUInt32BE(0, 6);
  out.writeUInt16BE(0, 10);
  return out;
}
