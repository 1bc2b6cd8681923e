import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeMessage, encodeQuery, QTYPE, RCODE } from './dns2.js';
import { DnsServer, type DnsListener } from './server.js';
import { RecordTable } from './table.js';
import { tcpConnect, udpQuery } from './testing/client.js';

/** Hostile input: the server must neither crash, hang nor leak, and must still answer afterwards. */

let server: DnsServer;
let l: DnsListener;

beforeEach(async () => {
  const table = new RecordTable();
  table.setHolder('n', 'web', { names: ['web'], addresses: ['10.0.0.2'] });
  server = new DnsServer({ table });
  l = await server.listen({ address: '127.0.0.1', port: 0, scopes: ['n'], tcpIdleTimeoutMs: 300, maxTcpConnections: 40 });
});
afterEach(async () => {
  await server.close();
});

const stillAnswers = async (): Promise<void> => {
  const r = await udpQuery(l.address.udpPort, encodeQuery({ id: 5, name: 'web', type: QTYPE.A }));
  expect(decodeMessage(r!).answers[0]?.address).toBe('10.0.0.2');
};

const waitFor = async (cond: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  expect(cond()).toBe(true);
};

describe('hostile packets', () => {
  it('survives random bytes and mutated queries over UDP', async () => {
    const sock = createSocket('udp4');
    const valid = encodeQuery({ id: 1, name: 'web.example', type: 1, edns: 1232 });
    for (let i = 0; i < 3000; i += 1) {
      let pkt: Buffer;
      if (i % 3 === 0) pkt = randomBytes(i % 600);
      else {
        pkt = Buffer.from(valid);
        for (let k = 0; k < 1 + (i % 5); k += 1) pkt[(Math.random() * pkt.length) | 0] = (Math.random() * 256) | 0;
        if (i % 7 === 0) pkt = pkt.subarray(0, (Math.random() * pkt.length) | 0);
      }
      sock.send(pkt, l.address.udpPort, '127.0.0.1');
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 2));
    }
    await new Promise((r) => setTimeout(r, 100));
    sock.close();
    await stillAnswers();
    expect(l.stats().queries).toBeGreaterThan(1500); // most arrived (UDP may drop a few)
  });

  it.each([
    ['truncated header', Buffer.from([0, 1, 1, 0, 0, 1]), null],
    ['a response (QR=1): ignored', Buffer.from([0, 1, 0x81, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 97, 0, 0, 1, 0, 1]), null],
    ['compression loop in the question', Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]), RCODE.FORMERR],
    ['qdcount 65535', Buffer.from([0, 1, 1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 97, 0, 0, 1, 0, 1]), RCODE.FORMERR],
    ['absurd arcount with a short packet', Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 3, 119, 101, 98, 0, 0, 1, 0, 1]), RCODE.NOERROR],
  ])('%s', async (_, pkt, rcode) => {
    const r = await udpQuery(l.address.udpPort, pkt, rcode === null ? 300 : 2000);
    if (rcode === null) expect(r).toBeNull();
    else expect(r![3]! & 0x0f).toBe(rcode);
    await stillAnswers();
  });

  it('closes a TCP connection that announces an oversized or undersized message', async () => {
    for (const len of [0xffff, 5000, 3]) {
      const c = await tcpConnect(l.address.tcpPort);
      const b = Buffer.alloc(2);
      b.writeUInt16BE(len);
      c.sock.write(b);
      c.sock.write(Buffer.alloc(Math.min(len, 100)));
      await c.closed;
    }
    await waitFor(() => l.stats().tcpConnections === 0);
    await stillAnswers();
  });

  it('survives random bytes over TCP', async () => {
    for (let i = 0; i < 30; i += 1) {
      const c = await tcpConnect(l.address.tcpPort);
      c.sock.write(randomBytes(1 + ((Math.random() * 3000) | 0)));
      c.sock.end();
    }
    await waitFor(() => l.stats().tcpConnections === 0);
    await stillAnswers();
  });

  it('a flood of slow TCP connections is capped, timed out, and answers keep flowing', async () => {
    const socks: Socket[] = [];
    for (let i = 0; i < 120; i += 1) {
      const s = connect({ port: l.address.tcpPort, host: '127.0.0.1' });
      s.on('error', () => undefined);
      s.on('connect', () => s.write(Buffer.from([0]))); // half a length prefix, then silence
      socks.push(s);
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(l.stats().tcpConnections).toBeLessThanOrEqual(40);
    await stillAnswers();
    await waitFor(() => l.stats().tcpConnections === 0);
    const c = await tcpConnect(l.address.tcpPort);
    c.send(encodeQuery({ id: 9, name: 'web', type: 1 }));
    expect(decodeMessage((await c.next())!).answers[0]?.address).toBe('10.0.0.2');
    c.sock.destroy();
    for (const s of socks) s.destroy();
  });
});
