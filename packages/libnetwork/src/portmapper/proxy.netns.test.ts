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
});
