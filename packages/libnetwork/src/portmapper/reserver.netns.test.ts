import { describeNetns, trackedTestNs, type TestNs } from '@tsnet/testkit';
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { PortReserver } from './reserver.js';

/** Host ports held by real sockets in a test namespace: the kernel is asked (ss), not our table. */

const listening = (ns: TestNs) => ns.sh("ss -Htln | awk '{print $4}'");
const udpBound = (ns: TestNs) => ns.sh("ss -Huln | awk '{print $4}'");
const holder = (container: string) => ({ container, endpoint: `ep-${container}`, network: 'web' });

describeNetns('PortReserver in a namespace', () => {
  let ns: TestNs;
  let reserver: PortReserver;
  const children: ChildProcess[] = [];
  beforeEach(() => {
    ns = trackedTestNs('tsnet-ports');
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
    expect(listening(ns)).toContain('0.0.0.0:8080');
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
    expect(listening(ns)).not.toContain(':8080');
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

  it("picks ephemeral ports from the namespace's ip_local_port_range", () => {
    ns.sh('sysctl -qw net.ipv4.ip_local_port_range="41000 41001"');
    const ports = [1, 2].map(() => reserver.reserve({ proto: 'tcp', hostIp: '', hostPort: 0, holder: holder('c') }).hostPort);
    expect(ports.sort()).toEqual([41000, 41001]);
    expect(listening(ns)).toContain('0.0.0.0:41000');
    expect(() => reserver.reserve({ proto: 'tcp', hostIp: '', hostPort: 0, holder: holder('c') })).toThrow(expect.objectContaining({ code: 'ERR_PORT_IN_USE' }));
  });
});
