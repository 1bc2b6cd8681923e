import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNetns, trackedTestNs, type TestNs } from '@tsnet/testkit';
import { startChild, type DnsChild } from './testing/child.js';

/**
 * Real `dig` queries inside a namespace the suite makes for itself, against the server run the
 * way it runs for a sandbox: its own process inside the namespace, listening on 127.0.0.x:53.
 * The upstream is a dns2 stub on 10.53.0.53 inside the same namespace — never the internet.
 *   127.0.0.11  scopes [netA]        upstream 10.53.0.53
 *   127.0.0.12  scopes [netB]        upstream 10.53.0.53
 *   127.0.0.13  scopes [netA]        upstream 10.53.0.99 (nobody there)
 *   127.0.0.14  scopes [netA] → live changes
 */

const UP = '10.53.0.53';
const svc = ['10.0.1.10', '10.0.1.11', '10.0.1.12'];

describeNetns('dns server in a namespace, queried by dig', () => {
  let ns: TestNs;
  let child: DnsChild;

  beforeAll(async () => {
    ns = trackedTestNs();
    ns.sh(`ip addr add ${UP}/32 dev lo`);
    const holders = [
      { scope: 'netA', id: 'web', record: { names: ['web', 'web.netA', 'www'], addresses: ['10.0.1.2', 'fd00:a::2'], ptrName: 'web.netA' } },
      ...svc.map((a, i) => ({ scope: 'netA', id: `svc${i}`, record: { names: [`svc-${i}`, 'svc'], addresses: [a] } })),
      ...Array.from({ length: 60 }, (_, i) => ({ scope: 'netA', id: `m${i}`, record: { names: [`m${i}`, 'many'], addresses: [`10.0.3.${i + 1}`] } })),
      { scope: 'netB', id: 'db', record: { names: ['db'], addresses: ['10.0.2.2'] } },
    ];
    const up = [{ address: UP }];
    child = await startChild(ns, {
      stub: { address: UP, records: { 'up.example': ['192.0.2.7'] } },
      holders,
      listeners: [
        { id: 'a', address: '127.0.0.11', port: 53, scopes: ['netA'], upstreams: up },
        { id: 'b', address: '127.0.0.12', port: 53, scopes: ['netB'], upstreams: up },
        { id: 'dead', address: '127.0.0.13', port: 53, scopes: ['netA'], upstreams: [{ address: '10.53.0.99' }], upstreamTimeoutMs: 300 },
        { id: 'live', address: '127.0.0.14', port: 53, scopes: ['netA'], upstreams: up },
      ],
    });
  });

  afterAll(async () => {
    await child?.stop();
    ns?.destroy();
  });

  const dig = (args: string): string => ns.sh(`dig +time=2 +tries=1 ${args}`);
  const status = (out: string): string => /status: (\w+)/.exec(out)?.[1] ?? 'none';
  const answers = (out: string): string[] =>
    out.split('\n').filter((l) => /\sIN\s+(A|AAAA|PTR)\s/.test(l) && !l.startsWith(';')).map((l) => l.trim().split(/\s+/).pop()!);

  it('resolves its scope, case-insensitively; another scope is NXDOMAIN (passed through from upstream)', () => {
    expect(answers(dig('@127.0.0.11 WeB'))).toEqual(['10.0.1.2']);
    expect(answers(dig('@127.0.0.11 www.'))).toEqual(['10.0.1.2']);
    const cross = dig('@127.0.0.11 db');
    expect([status(cross), answers(cross)]).toEqual(['NXDOMAIN', []]);
    expect(answers(dig('@127.0.0.12 db'))).toEqual(['10.0.2.2']);
    expect(status(dig('@127.0.0.12 web'))).toBe('NXDOMAIN');
  });

  it('keeps the client\'s spelling of the name in question and answer', () => {
    const out = dig('@127.0.0.11 +noall +answer +question wEb.NeTa');
    expect(out).toMatch(/^;wEb\.NeTa\.\s+IN\s+A$/m);
    expect(out).toMatch(/^wEb\.NeTa\.\s+600\s+IN\s+A\s+10\.0\.1\.2$/m);
  });

  it('answers AAAA, NODATA for a missing type, and PTR in both reverse trees', () => {
    expect(answers(dig('@127.0.0.11 web AAAA'))).toEqual(['fd00:a::2']);
    const nodata = dig('@127.0.0.11 svc AAAA');
    expect([status(nodata), answers(nodata)]).toEqual(['NOERROR', []]);
    expect(answers(dig('@127.0.0.11 -x 10.0.1.2'))).toEqual(['web.neta.']);
    expect(answers(dig('@127.0.0.11 -x fd00:a::2'))).toEqual(['web.neta.']);
    expect(answers(dig('@127.0.0.11 -x 10.0.1.10'))).toEqual(['svc-0.']);
  });

  it('spreads a shared name: each holder comes first about a third of 200 times', () => {
    const out = ns.sh(`dig +time=2 +tries=1 @127.0.0.11 +noall +answer ${Array(200).fill('svc').join(' ')}`);
    const lines = out.split('\n').filter((l) => l.includes('IN'));
    expect(lines.length).toBe(600);
    const first = new Map<string, number>();
    for (let i = 0; i < lines.length; i += 3) {
      const a = lines[i]!.trim().split(/\s+/).pop()!;
      first.set(a, (first.get(a) ?? 0) + 1);
    }
    expect([...first.keys()].sort()).toEqual(svc);
    for (const n of first.values()) expect(n).toBeGreaterThan(40); // expected ~67
  });

  it('serves TCP, several queries on one connection', () => {
    const out = dig('@127.0.0.11 +tcp +keepopen web svc db');
    expect(out.match(/status: \w+/g)).toEqual(['status: NOERROR', 'status: NOERROR', 'status: NXDOMAIN']);
    expect(answers(dig('@127.0.0.11 +tcp many')).length).toBe(60);
  });

  it('truncates at 512 bytes without EDNS or with bufsize 512, answers in full with a larger EDNS size', () => {
    const plain = dig('@127.0.0.11 +ignore +noedns many');
    expect(plain).toMatch(/flags: qr tc rd ra/);
    expect(answers(plain).length).toBeLessThan(60);
    expect(Number(/MSG SIZE\s+rcvd: (\d+)/.exec(plain)![1])).toBeLessThanOrEqual(512);
    expect(dig('@127.0.0.11 +ignore +bufsize=512 many')).toMatch(/flags: qr tc rd ra/);
    const edns = dig('@127.0.0.11 +bufsize=4096 many');
    expect(edns).not.toMatch(/flags: qr tc/);
    expect(edns).toMatch(/EDNS: version: 0, flags:; udp: 1232/);
    expect(answers(edns).length).toBe(60);
    expect(answers(dig('@127.0.0.11 many')).length).toBe(60); // dig retries over TCP after TC anyway
  });

  it('forwards other names: NOERROR with records, NXDOMAIN, and SERVFAIL when the upstream is dead', () => {
    expect(answers(dig('@127.0.0.11 up.example'))).toEqual(['192.0.2.7']);
    expect(answers(dig('@127.0.0.11 +tcp up.example'))).toEqual(['192.0.2.7']);
    expect(status(dig('@127.0.0.11 nothere.example'))).toBe('NXDOMAIN');
    expect(status(dig('@127.0.0.13 up.example'))).toBe('SERVFAIL');
    expect(answers(dig('@127.0.0.13 web'))).toEqual(['10.0.1.2']); // local names need no upstream
  });

  it('follows live scope and record changes', async () => {
    expect(status(dig('@127.0.0.14 db'))).toBe('NXDOMAIN');
    await child.send({ cmd: 'setScopes', listener: 'live', scopes: ['netA', 'netB'] });
    expect(answers(dig('@127.0.0.14 db'))).toEqual(['10.0.2.2']);
    await child.send({ cmd: 'setHolder', scope: 'netB', id: 'db', record: { names: ['db2'], addresses: ['10.0.2.2'] } });
    expect(status(dig('@127.0.0.14 db'))).toBe('NXDOMAIN');
    expect(answers(dig('@127.0.0.14 db2'))).toEqual(['10.0.2.2']);
    await child.send({ cmd: 'setScopes', listener: 'live', scopes: ['netA'] });
    expect(status(dig('@127.0.0.14 db2'))).toBe('NXDOMAIN');
    const stats = await child.send({ cmd: 'stats', listener: 'live' });
    expect(stats.stats?.forwarded).toBe(3);
  });
});
