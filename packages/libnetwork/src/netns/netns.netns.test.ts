import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readlinkSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { describeNetns, trackedTestNs, type TestNs } from '@tsnet/testkit';
import {
  createNamedNetns,
  netnsId,
  openSocketInNetns,
  removeNamedNetns,
  runInNetns,
  sameNetns,
  spawnInNetns,
  spawnSyncInNetns,
} from './index.js';

/** Runs argv inside ns without blocking the event loop (our server answers from this process). */
async function execAsync(ns: TestNs, argv: string[], input = ''): Promise<string> {
  const child = ns.spawn(argv, { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stdin!.end(input);
  const timer = setTimeout(() => child.kill(), 10_000);
  await once(child, 'exit');
  clearTimeout(timer);
  return out;
}

// A UDP client run as a separate process inside the namespace (busybox nc here has no -u).
const udpClient = `
const s = require('node:dgram').createSocket('udp4');
const [host, port] = process.argv.slice(1);
s.on('message', (m) => { process.stdout.write(m); s.close(); });
s.send('ping', Number(port), host);
setTimeout(() => process.exit(1), 5000).unref();
`;

const selfNs = (): string => readlinkSync('/proc/thread-self/ns/net');
const netnsList = (): string[] =>
  // stderr ignored: `ip netns list` complains about other suites' entries not mounted in this mount namespace.
  (JSON.parse(execFileSync('ip', ['-j', 'netns', 'list'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }) || '[]') as { name: string }[]).map((n) => n.name);

describeNetns('netns addon', () => {
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const step of cleanup.splice(0)) step();
  });
  const testNs = (): TestNs => {
    const ns = trackedTestNs();
    cleanup.push(() => ns.destroy());
    return ns;
  };

  it('creates a named namespace that ip netns sees, and removes it (twice is fine)', () => {
    const name = `tsnet-test-${randomBytes(4).toString('hex')}`;
    cleanup.push(() => removeNamedNetns(name));
    const before = selfNs();
    const path = createNamedNetns(name);
    expect(path).toBe(`/run/netns/${name}`);
    expect(netnsList()).toContain(name);
    expect(selfNs()).toBe(before); // the thread came back
    expect(netnsId(path).ino).not.toBe(netnsId().ino);
    // A real, separate namespace: only a loopback inside.
    const links = JSON.parse(execFileSync('nsenter', [`--net=${path}`, 'ip', '-j', 'link'], { encoding: 'utf8' })) as { ifname: string }[];
    expect(links.map((l) => l.ifname)).toEqual(['lo']);
    removeNamedNetns(name);
    expect(netnsList()).not.toContain(name);
    expect(() => removeNamedNetns(name)).not.toThrow();
  });

  it('refuses an existing name with EEXIST and bad names with a stable code', () => {
    const ns = testNs();
    expect(() => createNamedNetns(ns.name)).toThrow(expect.objectContaining({ code: 'EEXIST', syscall: 'open', errno: -17 }));
    // Other test files make and remove namespaces at the same time: only look at what bad names could make.
    const touched = (): boolean[] => ['/run/etc', '/run/netns/a', '/run/netns/-x', `/run/netns/${'x'.repeat(200)}`].map((p) => existsSync(p));
    const before = touched();
    for (const bad of ['', '../etc', 'a/b', '-x', 'x'.repeat(200)]) {
      expect(() => createNamedNetns(bad)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_NETNS_NAME' }));
    }
    expect(touched()).toEqual(before);
    expect(netnsList()).toContain(ns.name);
  });

  it('runs a function inside a namespace and switches back, even when it throws', () => {
    const ns = testNs();
    const before = selfNs();
    const inside = runInNetns(ns.path, () => selfNs());
    expect(inside).toBe(ns.sh('readlink /proc/self/ns/net').trim());
    expect(selfNs()).toBe(before);
    expect(() => runInNetns(ns.path, () => { throw new Error('boom'); })).toThrow('boom');
    expect(selfNs()).toBe(before);
    // Nested calls restore the outer namespace, not the original one.
    const other = testNs();
    const seen = runInNetns(ns.path, () => [runInNetns(other.path, () => selfNs()), selfNs()]);
    expect(seen).toEqual([runInNetns(other.path, selfNs), inside]);
    expect(sameNetns(ns.path, '/proc/self/ns/net')).toBe(false);
    // An async fn would continue outside after its first await: refused.
    expect(() => runInNetns(ns.path, async () => 1)).toThrow(TypeError);
    expect(selfNs()).toBe(before);
  });

  it('reports a missing namespace like Node does', () => {
    expect(() => runInNetns('/run/netns/tsnet-none-such', () => 1)).toThrow(
      expect.objectContaining({ code: 'ENOENT', errno: -2, syscall: 'open', path: '/run/netns/tsnet-none-such' }),
    );
    expect(() => runInNetns('relative', () => 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_NETNS_PATH' }));
  });

  it('starts child processes inside the namespace (spawn forks from the calling thread)', async () => {
    const ns = testNs();
    const want = ns.sh('readlink /proc/self/ns/net').trim();
    const sync = spawnSyncInNetns(ns.path, 'readlink', ['/proc/self/ns/net'], { encoding: 'utf8' });
    expect(String(sync.stdout).trim()).toBe(want);
    const child = spawnInNetns(ns.path, 'readlink', ['/proc/self/ns/net'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await once(child, 'exit');
    expect(out.trim()).toBe(want);
    expect(selfNs()).not.toBe(want);
  });

  it('opens a UDP socket inside the namespace that answers a packet sent from inside it', async () => {
    const ns = testNs();
    ns.sh('ip addr add 127.0.0.11/8 dev lo');
    const { fd, port } = openSocketInNetns(ns.path, { type: 'udp', address: '127.0.0.11', port: 0 });
    expect(port).toBeGreaterThan(0);
    // The socket is in the namespace: ss inside lists it, the host's does not.
    expect(ns.sh('ss -Hlun')).toContain(`127.0.0.11:${port}`);
    const sock = createSocket('udp4');
    cleanup.push(() => sock.close());
    sock.on('message', (msg, rinfo) => sock.send(`pong:${msg.toString().trim()}`, rinfo.port, rinfo.address));
    await new Promise<void>((resolve) => sock.bind({ fd }, resolve));
    const reply = await execAsync(ns, [process.execPath, '-e', udpClient, '127.0.0.11', String(port)]);
    expect(reply).toContain('pong:ping');
  });

  it('opens a listening TCP socket inside the namespace, fixed port, SO_REUSEADDR', async () => {
    const ns = testNs();
    const { fd, port } = openSocketInNetns(ns.path, { type: 'tcp', address: '127.0.0.1', port: 5353 });
    expect(port).toBe(5353);
    const server = createServer((c) => c.end('hello from the namespace\n'));
    cleanup.push(() => server.close());
    server.listen({ fd });
    await once(server, 'listening');
    const reply = await execAsync(ns, ['busybox', 'nc', '-w', '2', '127.0.0.1', '5353']);
    expect(reply).toContain('hello from the namespace');
    // The port is taken inside that namespace only.
    expect(() => openSocketInNetns(ns.path, { type: 'tcp', address: '127.0.0.1', port: 5353 })).toThrow(
      expect.objectContaining({ code: 'EADDRINUSE', syscall: 'bind' }),
    );
    expect(() => openSocketInNetns(ns.path, { type: 'udp', address: 'nope', port: 1 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ADDRESS' }),
    );
  });

  it('can hold a TCP port without listening (a reservation)', () => {
    const ns = testNs();
    const { port } = openSocketInNetns(ns.path, { type: 'tcp', address: '0.0.0.0', port: 0, listen: false });
    expect(ns.sh('ss -Hltn')).not.toContain(`:${port}`);
    expect(() => openSocketInNetns(ns.path, { type: 'tcp', address: '0.0.0.0', port })).toThrow(expect.objectContaining({ code: 'EADDRINUSE' }));
    // Connections are refused, not left hanging in a backlog.
    expect(ns.exec(['busybox', 'nc', '-w', '1', '127.0.0.1', String(port)], { input: '' }).status).not.toBe(0);
  });

  it('reads /proc/sys/net as the namespace of the opening thread', () => {
    const ns = testNs();
    ns.sh('echo 1 > /proc/sys/net/ipv4/ip_forward');
    expect(runInNetns(ns.path, () => readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim())).toBe('1');
  });
});
