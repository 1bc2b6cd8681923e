import { describeNetns, trackedTestNs, type TestNs } from '@tsnet/testkit';
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { PortReserver } from './reserver.js';

/** Host ports held by real sockets in a test namespace: the kernel is asked (ss), not our table. */

const listening = (ns: TestNs) => ns.sh("ss -Htln | awk '{print $4}'");
/** What a TCP client in ns gets from ip:port within 3 s: 'connected', an errno code, or 'timeout'. */
const CONNECT = `
const s = require('net').connect(+process.argv[2], process.argv[1]);
const t = setTimeout(() => { console.log('timeout'); process.exit(0); }, 3000);
s.on('connect', () => { console.log('connected'); process.exit(0); });
s.on('error', (e) => { console.log(e.code); process.exit(0); });`;
const connectResult = (ns: TestNs, ip: string, port: number) => ns.exec(['node', '-e', CONNECT, ip, String(port)], { timeoutMs: 8000 }).stdout.trim();
const udpBound = (ns: TestNs) => ns.sh("ss -Huln | awk '{print $4}'");
const holder = (container: string) => ({ container, endpoint: `ep-${container}`, network: 'web' });

describeNetns('PortReserver in a namespace', () => {
  let ns: TestNs;
  let reserver: PortReserver;
  const children: ChildProcess[] = [];
  beforeEach(() => {
    ns = trackedTestNs('tsnet-ports');
    ns.sh('ip link set lo up');
    reserver = new PortReserver({ nsPath: ns.path });
  });
  afterEach(async () => {
    for (const r of reserver.list()) await reserver.release(r);
    for (const c of children.splice(0)) c.kill('SIGKILL');
    ns.destroy();
  });

  it('binds the port in the host namespace and names the holder of a taken port', async () => {
    const r = reserver.reserve({ proto: 'tcp', hostIp: '', hostPort: 8080, holder: holder('web1') });
    reserver.reserve({ proto: 'udp', hostIp: '127.0.0.1', hostPort: 5353, holder: holder('web1') });
    // Held, but not listening: with no DNAT rule in this namespace a connection is refused (RST) at once.
    expect(listening(ns)).not.toContain(':8080');
    expect(connectResult(ns, '127.0.0.1', 8080)).toBe('ECONNREFUSED');
    // Any other program is kept off the port by the kernel (busybox nc sets SO_REUSEADDR).
    const nc = ns.exec(['timeout', '2', 'busybox', 'nc', '-l', '-p', '8080'], { timeoutMs: 5000 });
    expect(nc.stderr).toMatch(/in use/i);
    expect(udpBound(ns)).toContain('127.0.0.1:5353');
    expect(() => reserver.reserve({ proto: 'tcp', hostIp: '', hostPort: 8080, holder: holder('web2') })).toThrow(
      expect.objectContaining({ code: 'ERR_PORT_IN_USE', message: expect.stringContaining('allocated to container web1') }),
    );
    // A second reserver (another daemon, say) is refused by the kernel itself.
    const other = new PortReserver({ nsPath: ns.path });
    expect(() => other.reserve({ proto: 'tcp', hostIp: '', hostPort: 8080, holder: holder('x') })).toThrow(
      expect.objectContaining({ code: 'ERR_PORT_IN_USE', message: 'Bind for 0.0.0.0:8080/tcp failed: port is already in use by another process' }),
    );
    await reserver.release(r);
    // Free again: another program may now bind it.
    const again = new PortReserver({ nsPath: ns.path });
    await again.release(again.reserve({ proto: 'tcp', hostIp: '', hostPort: 8080, holder: holder('web3') }));
  });

  it('refuses an address the host does not have with ERR_PORT_BIND, holding nothing', () => {
    expect(() => reserver.reserve({ proto: 'tcp', hostIp: '1.2.3.4', hostPort: 8090, holder: holder('web1') })).toThrow(
      expect.objectContaining({ code: 'ERR_PORT_BIND', message: 'Error starting userland proxy: listen tcp4 1.2.3.4:8090: bind: cannot assign requested address' }),
    );
    expect(reserver.list()).toEqual([]);
  });

  it('reserves [::]:port next to its own 0.0.0.0:port for the same container (dual-stack)', () => {
    reserver.reserve({ proto: 'tcp', hostIp: '', hostPort: 8443, holder: holder('web1') });
    const v6 = reserver.reserve({ proto: 'tcp', hostIp: '', hostPort: 8443, family: 6, holder: holder('web1') });
    expect(v6.family).toBe(6);
    expect(() => reserver.reserve({ proto: 'tcp', hostIp: '', hostPort: 8443, family: 6, holder: holder('web2') })).toThrow(
      expect.objectContaining({ code: 'ERR_PORT_IN_USE', message: expect.stringContaining('allocated to container web1') }),
    );
  });

  it('says "another process" for a port some program listens on', async () => {
    const nc = ns.spawn(['busybox', 'nc', '-l', '-p', '9090'], { stdio: 'ignore' });
    children.push(nc);
    for (let i = 0; i < 50 && !listening(ns).includes(':9090'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(() => reserver.reserve({ proto: 'tcp', hostIp: '', hostPort: 9090, holder: holder('web1') })).toThrow(
      expect.objectContaining({ code: 'ERR_PORT_IN_USE', details: expect.objectContaining({ holder: 'another process' }) }),
    );
    expect(reserver.list()).toEqual([]);
  });

  it('reserves many ports in one pass inside the namespace, all or nothing', () => {
    const reqs = Array.from({ length: 300 }, (_, k) => ({ proto: 'tcp' as const, hostIp: '', hostPort: 30000 + k, holder: holder('many') }));
    const held = reserver.reserveMany([...reqs, { proto: 'udp', hostIp: '', hostPort: 0, holder: holder('many') }]);
    expect(held).toHaveLength(301);
    // Made in the test namespace (not ours): refused there, and the kernel keeps others off them.
    expect(connectResult(ns, '127.0.0.1', 30299)).toBe('ECONNREFUSED');
    const other = new PortReserver({ nsPath: ns.path });
    expect(() => other.reserve({ proto: 'tcp', hostIp: '', hostPort: 30150, holder: holder('x') })).toThrow(expect.objectContaining({ code: 'ERR_PORT_IN_USE' }));
    // One taken port undoes the whole batch.
    expect(() => other.reserveMany([{ proto: 'tcp', hostIp: '', hostPort: 31000, holder: holder('x') }, reqs[5]!])).toThrow(
      expect.objectContaining({ code: 'ERR_PORT_IN_USE' }),
    );
    expect(other.list()).toEqual([]);
    expect(other.reserve({ proto: 'tcp', hostIp: '', hostPort: 31000, holder: holder('x') }).hostPort).toBe(31000);
    void other.releaseHolder('x');
  });

  it("picks ephemeral ports from the namespace's ip_local_port_range", () => {
    ns.sh('sysctl -qw net.ipv4.ip_local_port_range="41000 41001"');
    const ports = [1, 2].map(() => reserver.reserve({ proto: 'tcp', hostIp: '', hostPort: 0, holder: holder('c') }).hostPort);
    expect(ports.sort()).toEqual([41000, 41001]);
    // Both held by the kernel (the client here cannot even pick a source port any more).
    expect(connectResult(ns, '127.0.0.1', 41000)).toBe('EADDRNOTAVAIL');
    expect(() => reserver.reserve({ proto: 'tcp', hostIp: '', hostPort: 0, holder: holder('c') })).toThrow(expect.objectContaining({ code: 'ERR_PORT_IN_USE' }));
  });
});
