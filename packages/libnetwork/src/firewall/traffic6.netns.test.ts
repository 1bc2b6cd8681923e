import { describeNetns } from '@tsnet/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createFirewall } from './firewall.js';
import { mapping, network } from './fixtures.js';
import { makeTopology, pings, serve, tcpGet, type Topology } from './test-topology.js';
import type { Firewall, FirewallState } from './types.js';

/** The ip6 side: a dual-stack bridge, a published port reached over IPv6 from outside, masquerade out. */

const v6 = network('six', 6, { subnets: ['10.6.0.0/24', 'fd00:6::/64'] });
const other = network('sev', 7, { subnets: ['10.7.0.0/24', 'fd00:7::/64'] });
const state: FirewallState = { networks: [v6, other], portMappings: [mapping(v6, 'fd00:6::2', 8080, 80)] };

/** A v6-only container on a new bridge of the host. */
async function container6(t: Topology, name: string, bridge: string, ip: string, gateway: string): Promise<void> {
  const { trackedTestNs } = await import('@tsnet/testkit');
  const c = trackedTestNs(`tsnet-fw-${name}`);
  t.containers.set(name, { ns: c, ip, name });
  t.host.sh(`ip link add ${bridge} type bridge && ip -6 addr add ${gateway}/64 dev ${bridge} nodad && ip link set ${bridge} up`);
  t.host.sh(`ip link add v${name} type veth peer name eth0 netns ${c.name} && ip link set v${name} master ${bridge} && ip link set v${name} up`);
  c.sh(`ip -6 addr add ${ip}/64 dev eth0 nodad && ip link set eth0 up && ip -6 route add default via ${gateway}`);
}

for (const backend of ['nftables', 'iptables'] as const) {
  describeNetns(`${backend}: IPv6 traffic`, () => {
    let t: Topology;
    let fw: Firewall;
    beforeAll(async () => {
      t = makeTopology();
      t.host.sh('sysctl -qw net.ipv6.conf.all.forwarding=1');
      t.host.sh('ip -6 addr add 2001:db8::1/64 dev uplink nodad');
      t.outside.sh('ip -6 addr add 2001:db8::2/64 dev uplinkp nodad');
      await container6(t, 'c6', 'br-six', 'fd00:6::2', 'fd00:6::1');
      await container6(t, 'c7', 'br-sev', 'fd00:7::2', 'fd00:7::1');
      const c = t.containers.get('c6')!.ns;
      await serve(t, c, 'c6', 80, 'tcp', '::');
      await serve(t, c, 'c6', 81, 'tcp', '::'); // never published
      t.outside.sh('ip -6 route add fd00::/16 via 2001:db8::1');
      // IPv6 neighbours need a moment on fresh links: wait until every path answers.
      const ready = () => pings(t.host, 'fd00:6::2') && pings(t.host, 'fd00:7::2') && pings(t.host, '2001:db8::2');
      for (let i = 0; i < 30 && !ready(); i++) await new Promise((r) => setTimeout(r, 100));
      await serve(t, t.outside, 'outside', 80, 'tcp', '::');
      fw = createFirewall({ backend, nsPath: t.host.path });
    });
    afterAll(async () => {
      await fw?.teardown().catch(() => undefined);
      fw?.close?.();
      t?.destroy();
    });

    it('DNATs [host]:8080 to the container and masquerades it going out', async () => {
      expect(tcpGet(t.outside, '2001:db8::1', 8080)).toBe('');
      expect(tcpGet(t.outside, 'fd00:6::2', 81)).toBe('c6 from 2001:db8::2'); // routed, before any rule
      await fw.apply(state);
      expect(tcpGet(t.outside, '2001:db8::1', 8080)).toBe('c6 from 2001:db8::2');
      expect(tcpGet(t.containers.get('c6')!.ns, '2001:db8::2', 80)).toBe('outside from 2001:db8::1');
    });

    it('drops new connections routed from outside to unpublished container ports (F39)', () => {
      expect(tcpGet(t.outside, 'fd00:6::2', 80)).toBe('c6 from 2001:db8::2'); // published container port
      expect(tcpGet(t.outside, 'fd00:6::2', 81)).toBe('');
      expect(pings(t.outside, 'fd00:6::2')).toBe(false);
      expect(pings(t.outside, 'fd00:7::2')).toBe(false);
    });

    it('lets another bridge reach the published port through a host address, never the container directly', () => {
      const c7 = t.containers.get('c7')!.ns;
      expect(tcpGet(c7, '2001:db8::1', 8080)).toMatch(/^c6 from /);
      expect(tcpGet(c7, 'fd00:6::2', 80)).toBe('');
      expect(pings(c7, 'fd00:6::2')).toBe(false);
    });
  });
}
