/**
 * `npm run bench -- libnetwork` (this file): the firewall's share of a network create and of
 * publishing ports, for both backends, each in a fresh namespace standing in for the host.
 *   libnetwork.firewall_network_apply_ms      apply a state with one more network (5 there already),
 *                                             median of 25 (the delta: one nft transaction)
 *   libnetwork.firewall_network_remove_ms     the same network removed again, median of 25
 *   libnetwork.firewall_publish_1000_ports_ms 1,000 port mappings added in one apply
 *   libnetwork.firewall_startup_reconcile_ms  a fresh backend's first apply of an already-applied
 *                                             state (lists the kernel, finds nothing to do)
 * and the same as libnetwork.iptables.* for the iptables backend (host flavour: nf_tables here).
 * Docker's whole `network create` is 88 ms on this machine kind; tsnet's target for the whole
 * create is 8 ms, so the firewall's part should be ~3 ms.
 */
import { median, reportBench, timeMs, trackedTestNs, type BenchFigure } from '@tsnet/testkit';
import { createFirewall } from '../src/firewall/index.js';
import type { FirewallState, NetworkRules, PortMapping } from '../src/firewall/index.js';

const RUNS = 25;

function net(i: number): NetworkRules {
  return { id: `n${i}`, name: `net${i}`, bridge: `br-n${i}`, subnets: [`10.${i}.0.0/24`], icc: true, masquerade: true, internal: false };
}

function ports(n: NetworkRules, count: number): PortMapping[] {
  return Array.from({ length: count }, (_, k) => ({
    networkId: n.id,
    endpointId: 'e'.repeat(12),
    containerId: 'c'.repeat(12),
    bridge: n.bridge,
    proto: 'tcp',
    hostIp: '',
    hostPort: 20000 + k,
    containerIp: '10.1.0.2',
    containerPort: 20000 + k,
  }));
}

async function measure(backend: 'nftables' | 'iptables'): Promise<Record<string, number>> {
  const ns = trackedTestNs('tsnet-bench-fw');
  try {
    const fw = createFirewall({ backend, nsPath: ns.path });
    const base: FirewallState = { networks: [1, 2, 3, 4, 5].map(net), portMappings: [] };
    await fw.apply(base);
    const add: number[] = [];
    const remove: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const extra = net(100 + i);
      add.push(await timeMs(() => fw.apply({ ...base, networks: [...base.networks, extra] })));
      // Give the handle lookup queued after an add its own time, as a real delete comes later.
      await new Promise((r) => setTimeout(r, 20));
      remove.push(await timeMs(() => fw.apply(base)));
    }
    const published: FirewallState = { ...base, portMappings: ports(base.networks[0]!, 1000) };
    const publish = await timeMs(() => fw.apply(published));
    const fresh = createFirewall({ backend, nsPath: ns.path });
    const reconcile = await timeMs(() => fresh.apply(published));
    fw.close?.();
    fresh.close?.();
    return { apply: median(add), remove: median(remove), publish, reconcile };
  } finally {
    ns.destroy();
  }
}

const figures: BenchFigure[] = [];
for (const backend of ['nftables', 'iptables'] as const) {
  const r = await measure(backend);
  const p = backend === 'nftables' ? 'libnetwork' : 'libnetwork.iptables';
  figures.push(
    { name: `${p}.firewall_network_apply_ms`, value: r.apply!, unit: 'ms', target: backend === 'nftables' ? '~3' : 'n/a' },
    { name: `${p}.firewall_network_remove_ms`, value: r.remove!, unit: 'ms' },
    { name: `${p}.firewall_publish_1000_ports_ms`, value: r.publish!, unit: 'ms' },
    { name: `${p}.firewall_startup_reconcile_ms`, value: r.reconcile!, unit: 'ms' },
  );
}
reportBench('libnetwork-firewall', figures);
process.exit(0);
