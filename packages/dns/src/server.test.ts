import { createServer as createTcpServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeMessage, encodeQuery, QTYPE, RCODE, startStubServer, type StubServer } from './dns2.js';
import { DnsServer, type DnsListener } from './server.js';
import { RecordTable } from './table.js';
import { tcpConnect, udpQuery } from './testing/client.js';

let table: RecordTable;
let server: DnsServer;
let stub: StubServer;

beforeEach(async () => {
  table = new RecordTable();
  table.setHolder('netA', 'web', { names: ['web', 'web.netA'], addresses: ['10.0.1.2'], ptrName: 'web.netA' });
  table.setHolder('netB', 'db', { names: ['db'], addresses: ['10.0.2.2', 'fd00:b::2'] });
  server = new DnsServer({ table });
  stub = await startStubServer({
    address: '127.0.0.1',
    answer: (name) => (name === 'up.example' ? { answers: [{ type: 'A', address: '192.0.2.7' }] } : name === 'empty.example' ? { answers: [] } : undefined),
  });
});
afterEach(async () => {
  await server.close();
  await stub.close();
});

const ask = async (l: DnsListener, name: string, type: number = QTYPE.A, edns?: number) => {
  const r = await udpQuery(l.address.udpPort, encodeQuery({ id: 999, name, type, ...(edns ? { edns } : {}) }));
  expect(r).not.toBeNull();
  return decodeMessage(r!);
};
const addrs = (d: ReturnType<typeof decodeMessage>) => d.answers.map((a) => a.address);

describe('DnsServer', () => {
  it('answers names of its scopes only; other names go upstream (NXDOMAIN and NOERROR passed through)', async () => {
    const l = await server.listen({ address: '127.0.0.1', port: 0, scopes: ['netA'], upstreams: [{ address: '127.0.0.1', port: stub.udpPort }] });
    expect(addrs(await ask(l, 'WEB.neta'))).toEqual(['10.0.1.2']);
    const db = await ask(l, 'db');
    expect(db.rcode).toBe(RCODE.NXDOMAIN);
    const up = await ask(l, 'up.example');
    expect([up.id, up.rcode, addrs(up)]).toEqual([999, 0, ['192.0.2.7']]);
    const empty = await ask(l, 'empty.example');
    expect([empty.rcode, empty.answers.length]).toEqual([0, 0]);
    expect(l.stats()).toMatchObject({ answered: 1, forwarded: 3 });
  });

  it('answers NODATA (NOERROR, no records) for a known name without the asked type', async () => {
    const l = await server.listen({ address: '127.0.0.1', port: 0, scopes: ['netA'] });
    for (const type of [QTYPE.AAAA, QTYPE.MX, QTYPE.TXT]) {
      const d = await ask(l, 'web', type);
      expect([d.rcode, d.answers.length]).toEqual([RCODE.NOERROR, 0]);
    }
  });

  it('answers the union of several scopes and follows live scope changes', async () => {
    const l = await server.listen({ address: '127.0.0.1', port: 0, scopes: ['netA'] });
    expect((await ask(l, 'db')).rcode).toBe(RCODE.SERVFAIL); // no upstreams, like Docker
    l.setScopes(['netA', 'netB']);
    expect(addrs(await ask(l, 'db'))).toEqual(['10.0.2.2']);
    expect(addrs(await ask(l, 'db', QTYPE.AAAA))).toEqual(['fd00:b::2']);
    table.setHolder('netB', 'db2', { names: ['db'], addresses: ['10.0.2.3'] });
    expect(addrs(await ask(l, 'db')).sort()).toEqual(['10.0.2.2', '10.0.2.3']);
    table.setHolder('netA', 'db3', { names: ['db'], addresses: ['10.0.1.9'] });
    expect(addrs(await ask(l, 'db')).sort()).toEqual(['10.0.1.9', '10.0.2.2', '10.0.2.3']);
    l.setScopes(['netA']);
    expect(addrs(await ask(l, 'db'))).toEqual(['10.0.1.9']);
  });

  it('answers PTR for its own addresses', async () => {
    const l = await server.listen({ address: '127.0.0.1', port: 0, scopes: ['netA'] });
    const d = await ask(l, '2.1.0.10.in-addr.arpa', QTYPE.PTR);
    expect(d.answers.map((a) => a.domain)).toEqual(['web.neta']);
  });

  it('with ndots set, answers single-label misses empty instead of forwarding (Docker)', async () => {
    const l = await server.listen({ address: '127.0.0.1', port: 0, scopes: ['netA'], ndotsSet: true, upstreams: [{ address: '127.0.0.1', port: stub.udpPort }] });
    const d = await ask(l, 'nothere');
    expect([d.rcode, d.answers.length]).toEqual([0, 0]);
    expect((await ask(l, 'nothere', QTYPE.MX)).rcode).toBe(RCODE.NXDOMAIN);
    expect(l.stats().forwarded).toBe(1);
  });

  it('answers SERVFAIL when every upstream is dead, after the timeout', async () => {
    const dead = createSocket('udp4'); // bound, never answers
    await new Promise<void>((r) => dead.bind(0, '127.0.0.1', r));
    const l = await server.listen({
      address: '127.0.0.1', port: 0, scopes: [], upstreamTimeoutMs: 200,
      upstreams: [{ address: '127.0.0.1', port: dead.address().port }, { address: '127.0.0.1', port: dead.address().port }],
    });
    const t0 = Date.now();
    const d = await ask(l, 'x.example');
    expect(d.rcode).toBe(RCODE.SERVFAIL);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
    expect(l.stats().forwardsInFlight).toBe(0);
    dead.close();
  });

  it('retries a truncated upstream answer over TCP and relays it as-is', async () => {
    // Upstream: UDP always answers TC with no records; TCP gives the full answer.
    const udp = createSocket('udp4');
    udp.on('message', (m, r) => {
      const resp = Buffer.from(m);
      resp[2] = 0x83; // QR, RD, TC
      resp[3] = 0x80;
      udp.send(resp.subarray(0, m.length), r.port, r.address);
    });
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    const port = udp.address().port;
    const tcp = createTcpServer((s) => s.once('data', async (d: Buffer) => {
      const q = d.subarray(2);
      const stubAnswer = await udpQuery(stub.udpPort, Buffer.concat([q.subarray(0, 12 + 'up.example'.length + 2 + 4)]));
      const len = Buffer.alloc(2);
      len.writeUInt16BE(stubAnswer!.length);
      s.end(Buffer.concat([len, stubAnswer!]));
    }));
    await new Promise<void>((r) => tcp.listen(port, '127.0.0.1', r));
    const l = await server.listen({ address: '127.0.0.1', port: 0, upstreams: [{ address: '127.0.0.1', port }] });
    const d = await ask(l, 'up.example');
    expect([d.id, d.tc, addrs(d)]).toEqual([999, false, ['192.0.2.7']]);
    udp.close();
    tcp.close();
  });

  it('serves TCP: several queries on one connection, framed', async () => {
    const l = await server.listen({ address: '127.0.0.1', port: 0, scopes: ['netA'], upstreams: [{ address: '127.0.0.1', port: stub.udpPort }] });
    const c = await tcpConnect(l.address.tcpPort);
    c.send(encodeQuery({ id: 1, name: 'web', type: 1 }));
    c.send(encodeQuery({ id: 2, name: 'up.example', type: 1 })); // forwarded over TCP to the stub
    c.send(encodeQuery({ id: 3, name: 'web.neta', type: 1 }));
    const got = [await c.next(), await c.next(), await c.next()].map((m) => decodeMessage(m!));
    expect(got.map((d) => [d.id, addrs(d)[0]]).sort()).toEqual([[1, '10.0.1.2'], [2, '192.0.2.7'], [3, '10.0.1.2']]);
    c.sock.destroy();
  });

  it('rejects a second listener on a taken address with ERR_DNS_BIND', async () => {
    const l = await server.listen({ address: '127.0.0.1', port: 0 });
    await expect(server.listen({ address: '127.0.0.1', port: l.address.udpPort })).rejects.toMatchObject({ code: 'ERR_DNS_BIND' });
    expect(server.listeners.length).toBe(1);
  });

  it('rejects an upstream that is not an IP address, opening nothing', async () => {
    await expect(server.listen({ address: '127.0.0.1', port: 0, upstreams: [{ address: 'dns.example' }] }))
      .rejects.toMatchObject({ code: 'ERR_DNS_INVALID_UPSTREAM' });
    expect(server.listeners.length).toBe(0);
  });

  it('closes: sockets released, port reusable', async () => {
    const l = await server.listen({ address: '127.0.0.1', port: 0 });
    const port = l.address.udpPort;
    await l.close();
    expect(server.listeners.length).toBe(0);
    const again = await server.listen({ address: '127.0.0.1', port });
    expect(again.address.udpPort).toBe(port);
  });
});
