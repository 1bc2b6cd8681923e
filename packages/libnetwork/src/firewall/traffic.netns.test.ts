import { describeNetns } from '@tsnet/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createFirewall } from './firewall.js';
import { mapping, network } from './fixtures.js';
import { PortReserver } from '../portmapper/reserver.js';
import { HOST_IP, OUTSIDE_IP, addBridge, addContainer, makeTopology, pings, serve, tcpConnect, tcpGet, udpGet, type Topology } from './test-topology.js';
import type { Firewall, FirewallState } from './types.js';

/**
 * Real packets through rules applied by each backend, on a topology built by hand with `ip`:
 *   br-a (10.1.0.0/24, icc): c1 10.1.0.2 (publishes 8080→80, 127.0.0.1:5353→53/udp), c2 10.1.0.3
 *   br-b (10.2.0.0/24, icc=false): c3 10.2.0.2, c4 10.2.0.3
 *   br-i (10.3.0.0/24, internal): c5 10.3.0.2
 *   outside 192.0.2.2 on the host's uplink 192.0.2.1
 */

const a = network('a', 1);
const b = network('b', 2, { icc: false });
const i = network('i', 3, { internal: true });
const state: FirewallState = {
  networks: [a, b, i],
  portMappings: [mapping(a, '10.1.0.2', 8080, 80), mapping(a, '10.1.0.2', 5353, 53, { proto: 'udp', hostIp: '127.0.0.1' })],
};

for (const backend of ['nftables', 'iptables'] as const) {
  describeNetns(`${backend}: real traffic`, () => {
    let t: Topology;
    let firewall: Firewall;
    const fw = () => firewall;

    beforeAll(async () => {
      t = makeTopology();
      firewall = createFirewall({ backend, nsPath: t.host.path });
      addBridge(t, 'br-a', '10.1.0.1/24');
      addBridge(t, 'br-b', '10.2.0.1/24');
      addBridge(t, 'br-i', '10.3.0.1/24');
      addContainer(t, 'c1', 'br-a', '10.1.0.2', '10.1.0.1');
      addContainer(t, 'c2', 'br-a', '10.1.0.3', '10.1.0.1');
      addContainer(t, 'c3', 'br-b', '10.2.0.2', '10.2.0.1');
      addContainer(t, 'c4', 'br-b', '10.2.0.3', '10.2.0.1');
      addContainer(t, 'c5', 'br-i', '10.3.0.2', '10.3.0.1');
      // Bridged traffic must traverse the ip hooks (br_netfilter), as on a Docker host.
      t.host.sh('sysctl -qw net.bridge.bridge-nf-call-iptables=1');
      // Loopback DNAT to a bridge (no userland proxy): what requiredSysctls asks the driver for.
      t.host.sh('sysctl -qw net.ipv4.conf.br-a.route_localnet=1');
      const c1 = t.containers.get('c1')!.ns;
      await serve(t, c1, 'c1', 80);
      await serve(t, c1, 'c1', 53, 'udp');
      await serve(t, c1, 'c1', 81); // never published
      await serve(t, t.containers.get('c3')!.ns, 'c3', 80);
      await serve(t, t.containers.get('c4')!.ns, 'c4', 80);
      await serve(t, t.containers.get('c5')!.ns, 'c5', 80);
      await serve(t, t.outside, 'outside', 80);
      // A machine of the host's LAN that routes the container subnets through the host (F39).
      t.outside.sh(`ip route add 10.0.0.0/8 via ${HOST_IP}`);
    });
    afterAll(async () => {
      await firewall?.teardown().catch(() => undefined);
      firewall?.close?.();
      t?.destroy();
    });

    it('before any rule: no DNAT, and bridges reach each other', () => {
      expect(tcpGet(t.outside, HOST_IP, 8080)).toBe('');
      expect(pings(t.containers.get('c1')!.ns, '10.2.0.2')).toBe(true);
      // Without rules, routing alone reaches any container port: what the drop below must stop.
      expect(tcpGet(t.outside, '10.1.0.2', 81)).toBe(`c1 from ${OUTSIDE_IP}`);
    });

    it('publishes 8080 to c1 from outside, from 127.0.0.1 and by hairpin', async () => {
      await fw().apply(state);
      expect(tcpGet(t.outside, HOST_IP, 8080)).toBe(`c1 from ${OUTSIDE_IP}`);
      // From the host itself through loopback: DNAT in OUTPUT, source masqueraded to the bridge.
      expect(tcpGet(t.host, '127.0.0.1', 8080)).toBe('c1 from 10.1.0.1');
      // From the host through its own uplink address.
      expect(tcpGet(t.host, HOST_IP, 8080)).toMatch(/^c1 from /);
      // c1 reaching its own published port: hairpin masquerade.
      expect(tcpGet(t.containers.get('c1')!.ns, HOST_IP, 8080)).toBe('c1 from 10.1.0.1');
      // Another container of the same bridge through the host address.
      expect(tcpGet(t.containers.get('c2')!.ns, HOST_IP, 8080)).toBe('c1 from 10.1.0.3');
    });

    it('publishes 127.0.0.1:5353/udp to c1 only on loopback', () => {
      expect(udpGet(t.host, '127.0.0.1', 5353)).toBe('c1 from 10.1.0.1 ping');
      expect(udpGet(t.outside, HOST_IP, 5353)).toBe('');
    });

    it('drops new connections routed from outside to container ports that were never published (F39)', () => {
      // Docker accepts a published container port addressed directly, and nothing else.
      expect(tcpGet(t.outside, '10.1.0.2', 80)).toBe(`c1 from ${OUTSIDE_IP}`);
      expect(tcpGet(t.outside, '10.1.0.2', 81)).toBe('');
      expect(tcpConnect(t.outside, '10.1.0.2', 81)).toBe('timeout'); // dropped, not refused by c1
      expect(tcpGet(t.outside, '10.1.0.3', 80)).toBe(''); // c2: nothing published
      expect(pings(t.outside, '10.1.0.2')).toBe(false);
      expect(tcpGet(t.outside, '10.2.0.2', 80)).toBe(''); // icc=false network
      expect(pings(t.outside, '10.3.0.2')).toBe(false); // internal network
      // The published port itself, through the host address, still works from outside.
      expect(tcpGet(t.outside, HOST_IP, 8080)).toBe(`c1 from ${OUTSIDE_IP}`);
    });

    it('publishes nothing for a container on an internal network (F51, as Docker)', async () => {
      await fw().apply({ ...state, portMappings: [...state.portMappings, mapping(i, '10.3.0.2', 8900, 80)] });
      // The host itself reaches c5 directly (not forwarded), so the server is there...
      expect(tcpGet(t.host, '10.3.0.2', 80)).toBe('c5 from 10.3.0.1');
      // ...but no host address leads to it: without the DNAT the reply path through the host existed.
      expect(tcpGet(t.host, HOST_IP, 8900)).toBe('');
      expect(tcpGet(t.outside, HOST_IP, 8900)).toBe('');
      expect((await fw().list()).some((r) => r.text.includes('8900'))).toBe(false);
      await fw().apply(state);
    });

    it('masquerades containers going out', () => {
      expect(tcpGet(t.containers.get('c1')!.ns, OUTSIDE_IP, 80)).toBe(`outside from ${HOST_IP}`);
    });

    it('isolates bridges from each other', () => {
      expect(pings(t.containers.get('c1')!.ns, '10.2.0.2')).toBe(false);
      expect(pings(t.containers.get('c3')!.ns, '10.1.0.2')).toBe(false);
      expect(tcpGet(t.containers.get('c3')!.ns, '10.1.0.2', 80)).toBe('');
    });

    it('a container of another bridge reaches a published port through a host address, never directly', () => {
      const c3 = t.containers.get('c3')!.ns;
      // DNATed to c1 then let through ahead of isolation (Docker's userland proxy serves this path).
      expect(tcpGet(c3, HOST_IP, 8080)).toMatch(/^c1 from /);
      expect(tcpGet(c3, '10.2.0.1', 8080)).toMatch(/^c1 from /); // its own gateway is a host address too
      // The very same container port, addressed directly: still isolated, and so is a port not published.
      expect(tcpGet(c3, '10.1.0.2', 80)).toBe('');
      expect(tcpGet(c3, '10.1.0.2', 53)).toBe('');
      expect(pings(c3, '10.1.0.2')).toBe(false);
      // The other direction too: c1 reaches c3 only by... nothing (c3 publishes nothing).
      expect(tcpGet(t.containers.get('c1')!.ns, '10.2.0.2', 80)).toBe('');
      // An internal network gets no way out through a published port either.
      expect(tcpGet(t.containers.get('c5')!.ns, '10.3.0.1', 8080)).toBe('');
    });

    it('enable_icc=false blocks traffic within the bridge; icc=true allows it', () => {
      expect(pings(t.containers.get('c3')!.ns, '10.2.0.3')).toBe(false);
      expect(tcpGet(t.containers.get('c3')!.ns, '10.2.0.3', 80)).toBe('');
      expect(pings(t.containers.get('c1')!.ns, '10.1.0.3')).toBe(true);
    });

    it('an internal network has no way out and no way in', () => {
      const c5 = t.containers.get('c5')!.ns;
      expect(pings(c5, OUTSIDE_IP)).toBe(false);
      expect(tcpGet(c5, OUTSIDE_IP, 80)).toBe('');
      expect(pings(t.containers.get('c1')!.ns, '10.3.0.2')).toBe(false);
      expect(pings(c5, '10.3.0.1')).toBe(true); // its own gateway still answers
    });

    it('unpublishing stops the DNAT; the still-reserved port refuses at once; teardown restores the open forwarding', async () => {
      // The daemon's reservation of 8080 in the host namespace (a bound, non-listening socket).
      const reserver = new PortReserver({ nsPath: t.host.path });
      const held = reserver.reserve({ proto: 'tcp', hostIp: '', hostPort: 8080, holder: { container: 'c1', endpoint: 'e1' } });
      expect(tcpConnect(t.outside, HOST_IP, 8080)).toBe('connected'); // DNATed past the socket to c1
      await fw().apply({ ...state, portMappings: [] });
      expect(tcpGet(t.outside, HOST_IP, 8080)).toBe('');
      // A connection escaping DNAT meets the reservation: refused (RST), not left hanging in a backlog.
      expect(tcpConnect(t.outside, HOST_IP, 8080)).toBe('ECONNREFUSED');
      await reserver.release(held);
      await fw().teardown();
      expect(pings(t.containers.get('c1')!.ns, '10.2.0.2')).toBe(true);
      // Without rules, routing alone reaches any container port: what the drop below must stop.
      expect(tcpGet(t.outside, '10.1.0.2', 81)).toBe(`c1 from ${OUTSIDE_IP}`);
    });
  });
}
