import { describeNetns } from '@tsnet/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createFirewall } from '../firewall/firewall.js';
import { mapping, network } from '../firewall/fixtures.js';
import { HOST_IP, OUTSIDE_IP, addBridge, addContainer, makeTopology, serve, tcpGet, udpGet, type Topology } from '../firewall/test-topology.js';
import type { Firewall } from '../firewall/types.js';
import { PortReserver } from './reserver.js';

/**
 * userland-proxy on (Docker's default): loopback and bridge traffic is not DNATed by the kernel,
 * so it reaches the reserved socket, where the proxy process relays it to the container.
 */
describeNetns('userland proxy', () => {
  let t: Topology;
  let fw: Firewall;
  let reserver: PortReserver;
  const a = network('a', 1);

  beforeAll(async () => {
    t = makeTopology();
    addBridge(t, 'br-a', '10.1.0.1/24');
    const c1 = addContainer(t, 'c1', 'br-a', '10.1.0.2', '10.1.0.1');
    await serve(t, c1.ns, 'c1', 80);
    await serve(t, c1.ns, 'c1', 53, 'udp');
    fw = createFirewall({ backend: 'nftables', nsPath: t.host.path });
    reserver = new PortReserver({ nsPath: t.host.path });
  });
  afterAll(async () => {
    for (const r of reserver?.list() ?? []) await reserver.release(r);
    fw?.close?.();
    t?.destroy();
  });

  it('relays TCP and UDP from the host loopback; the kernel still DNATs traffic from outside', async () => {
    const tcp = reserver.reserve({ proto: 'tcp', hostIp: '', hostPort: 8080, holder: { container: 'c1', endpoint: 'e1' } });
    const udp = reserver.reserve({ proto: 'udp', hostIp: '', hostPort: 5353, holder: { container: 'c1', endpoint: 'e1' } });
    await reserver.startProxy(tcp, { containerIp: '10.1.0.2', containerPort: 80 });
    await reserver.startProxy(udp, { containerIp: '10.1.0.2', containerPort: 53 });
    await fw.apply({
      userlandProxy: true,
      networks: [a],
      portMappings: [mapping(a, '10.1.0.2', 8080, 80), mapping(a, '10.1.0.2', 5353, 53, { proto: 'udp' })],
    });
    // Through the proxy: the container sees the host's bridge address as the peer.
    expect(tcpGet(t.host, '127.0.0.1', 8080)).toBe('c1 from 10.1.0.1');
    expect(udpGet(t.host, '127.0.0.1', 5353)).toBe('c1 from 10.1.0.1 ping');
    // From outside: kernel DNAT, the client's own address is preserved.
    expect(tcpGet(t.outside, HOST_IP, 8080)).toBe(`c1 from ${OUTSIDE_IP}`);

    const pid = tcp.proxy!.pid!;
    await reserver.release(tcp);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(tcpGet(t.host, '127.0.0.1', 8080)).toBe('');
  });

  it('with dualStack, one [::] socket holds both families and the proxy serves [::1] and host IPv6 addresses for an IPv4-only container (F43)', async () => {
    t.host.sh('ip -6 addr add 2001:db8::1/64 dev uplink nodad');
    t.outside.sh('ip -6 addr add 2001:db8::2/64 dev uplinkp nodad');
    const dual = new PortReserver({ nsPath: t.host.path, dualStack: true });
    const holder = { container: 'c1', endpoint: 'e1' };
    const tcp = dual.reserve({ proto: 'tcp', hostIp: '', hostPort: 8081, holder });
    const udp = dual.reserve({ proto: 'udp', hostIp: '', hostPort: 5354, holder });
    try {
      expect(tcp.dualStack).toBe(true);
      // The kernel holds the port on IPv6 too: no one else can bind [::]:8081 (nor 0.0.0.0:8081).
      expect(t.host.exec(['busybox', 'nc', '-l', '-p', '8081'], { timeoutMs: 1500 }).stderr).toMatch(/in use/);
      expect(() => dual.reserve({ proto: 'tcp', hostIp: '::1', hostPort: 8081, holder: { container: 'c2', endpoint: 'e2' } })).toThrow(
        expect.objectContaining({ code: 'ERR_PORT_IN_USE', message: expect.stringContaining('allocated to container c1') }),
      );
      await dual.startProxy(tcp, { containerIp: '10.1.0.2', containerPort: 80 });
      await dual.startProxy(udp, { containerIp: '10.1.0.2', containerPort: 53 });
      await fw.apply({
        userlandProxy: true,
        networks: [a],
        portMappings: [mapping(a, '10.1.0.2', 8081, 80), mapping(a, '10.1.0.2', 5354, 53, { proto: 'udp' })],
      });
      expect(tcpGet(t.host, '::1', 8081)).toBe('c1 from 10.1.0.1');
      expect(tcpGet(t.outside, '2001:db8::1', 8081)).toBe('c1 from 10.1.0.1');
      // IPv4 still: loopback through the proxy (an IPv6 socket answering a v4-mapped peer), outside by DNAT.
      expect(tcpGet(t.host, '127.0.0.1', 8081)).toBe('c1 from 10.1.0.1');
      expect(udpGet(t.host, '127.0.0.1', 5354)).toBe('c1 from 10.1.0.1 ping');
      expect(tcpGet(t.outside, HOST_IP, 8081)).toBe(`c1 from ${OUTSIDE_IP}`);
    } finally {
      for (const r of dual.list()) await dual.release(r);
    }
    expect(tcpGet(t.host, '::1', 8081)).toBe('');
  });
});
