import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeAnswer, encodeQuery, QTYPE } from './dns2.js';
import { nameKey } from './names.js';
import { encodeSet } from './table.js';
import { buildResponse, newParsedQuery, parseQuery, PARSE_DROP, PARSE_FORMERR, PARSE_NOTIMP, PARSE_OK } from './wire.js';

const header = (o: { flags?: number; qd?: number; an?: number; ar?: number } = {}): Buffer => {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(0x1234, 0);
  b.writeUInt16BE(o.flags ?? 0x0100, 2);
  b.writeUInt16BE(o.qd ?? 1, 4);
  b.writeUInt16BE(o.an ?? 0, 6);
  b.writeUInt16BE(o.ar ?? 0, 10);
  return b;
};

describe('parseQuery', () => {
  it('reads id, flags, the question and a lower-cased wire key', () => {
    const q = newParsedQuery();
    expect(parseQuery(encodeQuery({ id: 77, name: 'WeB.Net1', type: QTYPE.AAAA }), q)).toBe(PARSE_OK);
    expect(q).toMatchObject({ id: 77, qtype: QTYPE.AAAA, qclass: 1, key: nameKey('web.net1'), edns: false, udpSize: 512, singleLabel: false });
  });

  it('reads the EDNS payload size and treats less than 512 as 512', () => {
    const q = newParsedQuery();
    parseQuery(encodeQuery({ id: 1, name: 'web', type: 1, edns: 4096 }), q);
    expect(q).toMatchObject({ edns: true, udpSize: 4096, ednsVersion: 0, singleLabel: true });
    parseQuery(encodeQuery({ id: 1, name: 'web', type: 1, edns: 100 }), q);
    expect(q.udpSize).toBe(512);
  });

  it.each([
    ['short header', Buffer.alloc(11), PARSE_DROP],
    ['a response (QR=1)', Buffer.concat([header({ flags: 0x8100 }), Buffer.from([3, 119, 101, 98, 0, 0, 1, 0, 1])]), PARSE_DROP],
    ['opcode STATUS', Buffer.concat([header({ flags: 0x1000 }), Buffer.from([0, 0, 1, 0, 1])]), PARSE_NOTIMP],
    ['no question', header({ qd: 0 }), PARSE_FORMERR],
    ['qdcount 65535', Buffer.concat([header({ qd: 65535 }), Buffer.from([0, 0, 1, 0, 1])]), PARSE_FORMERR],
    ['compression pointer to itself', Buffer.concat([header(), Buffer.from([0xc0, 12, 0, 1, 0, 1])]), PARSE_FORMERR],
    ['pointer after a label', Buffer.concat([header(), Buffer.from([1, 97, 0xc0, 12, 0, 1, 0, 1])]), PARSE_FORMERR],
    ['label longer than the packet', Buffer.concat([header(), Buffer.from([50, 97, 98])]), PARSE_FORMERR],
    ['name without qtype', Buffer.concat([header(), Buffer.from([1, 97, 0, 0])]), PARSE_FORMERR],
    ['name over 255 bytes', Buffer.concat([header(), Buffer.alloc(300, 1), Buffer.from([0, 0, 1, 0, 1])]), PARSE_FORMERR],
  ])('%s', (_, msg, expected) => {
    expect(parseQuery(msg, newParsedQuery())).toBe(expected);
  });
});

describe('buildResponse', () => {
  const rrs = (n: number) => encodeSet(Array.from({ length: n }, (_, i) => encodeAnswer({ type: QTYPE.A, ttl: 600, bytes: Buffer.from([10, 0, i >> 8, i & 255]) })));

  it('keeps the client case and id, echoes RD, sets RA, decodes with dns2', () => {
    const msg = encodeQuery({ id: 4242, name: 'WeB', type: 1 });
    const q = newParsedQuery();
    parseQuery(msg, q);
    const d = decodeMessage(buildResponse(msg, q, 0, rrs(2), 512));
    expect(d).toMatchObject({ id: 4242, qr: true, rd: true, ra: true, tc: false, rcode: 0 });
    expect(d.questions[0]!.name).toBe('WeB');
    expect(d.answers.map((a) => [a.name, a.address, a.ttl]).sort()).toEqual([['WeB', '10.0.0.0', 600], ['WeB', '10.0.0.1', 600]]);
  });

  it('truncates with TC at 512 without EDNS, and honours a larger EDNS size with an OPT record', () => {
    const set = rrs(60); // 960 bytes of answers
    const plain = encodeQuery({ id: 1, name: 'many', type: 1 });
    const q = newParsedQuery();
    parseQuery(plain, q);
    const small = buildResponse(plain, q, 0, set, q.udpSize);
    expect(small.length).toBeLessThanOrEqual(512);
    const d = decodeMessage(small);
    expect(d.tc).toBe(true);
    expect(d.answers.length).toBe(Math.floor((512 - 12 - 10) / 16));
    const edns = encodeQuery({ id: 1, name: 'many', type: 1, edns: 4096 });
    parseQuery(edns, q);
    const big = buildResponse(edns, q, 0, set, q.udpSize);
    const d2 = decodeMessage(big);
    expect(d2.tc).toBe(false);
    expect(d2.answers.length).toBe(60);
    expect(big.readUInt16BE(10)).toBe(1); // arcount: our OPT
    expect(big.readUInt16BE(big.length - 11 + 1)).toBe(41);
  });

  it('answers an unknown EDNS version with BADVERS and no records (RFC 6891 6.1.3)', () => {
    const msg = encodeQuery({ id: 1, name: 'web', type: 1, edns: 1232 });
    msg[msg.length - 5] = 1; // OPT version 1
    const q = newParsedQuery();
    parseQuery(msg, q);
    const r = buildResponse(msg, q, 0, rrs(1), 1232);
    expect(r.readUInt16BE(6)).toBe(0);
    expect(r[r.length - 6]).toBe(1); // extended rcode 1 << 4 | 0 = 16 (BADVERS)
  });

  it('shuffles: every holder comes first sometimes', () => {
    const set = rrs(3);
    const msg = encodeQuery({ id: 1, name: 'svc', type: 1 });
    const q = newParsedQuery();
    parseQuery(msg, q);
    const first = new Map<number, number>();
    for (let i = 0; i < 600; i += 1) {
      const r = buildResponse(msg, q, 0, set, 512);
      const last = r[q.qEnd + 15]!;
      first.set(last, (first.get(last) ?? 0) + 1);
    }
    expect([...first.keys()].sort()).toEqual([0, 1, 2]);
    for (const n of first.values()) expect(n).toBeGreaterThan(120);
  });
});
