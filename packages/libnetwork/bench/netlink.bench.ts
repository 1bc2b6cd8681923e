// Kernel-layer benchmark: what one container attach costs at the netlink level, in a fresh host
// namespace. Figures go to bench/results/libnetwork-netlink.json (the core benches write
// libnetwork.json), named libnetwork.netlink_* / libnetwork.netns_*.
import { randomBytes } from 'node:crypto';
import { median, reportBench } from '@tsnet/testkit';
import { createNamedNetns, removeNamedNetns } from '../src/netns/index.js';
import { Netlink } from '../src/netlink/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const tag = randomBytes(3).toString('hex');
const now = (): number => performance.now();

async function main(): Promise<void> {
  const hostPath = createNamedNetns(`tsnet-bench-host-${tag}`);
  const boxPath = createNamedNetns(`tsnet-bench-box-${tag}`);
  try {
    const host = await Netlink.forNamespace(hostPath);
    const box = await Netlink.forNamespace(boxPath);
    await host.addBridge({ name: 'br-bench' });
    await host.ensureAddress('br-bench', '10.123.0.1/16');
    await host.setUp('br-bench');

    const attach: number[] = [];
    const detach: number[] = [];
    const moved: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const name = `veth${i.toString(16).padStart(7, '0')}`;
      const ip = `10.123.${(i >> 8) & 0xff}.${(i & 0xff) + 2 > 254 ? 2 : (i & 0xff) + 2}/16`;
      // The peer is born inside the sandbox namespace as eth0: no separate move.
      let t = now();
      // Enslaved and up at creation: one RTM_NEWLINK instead of three requests.
      await host.addVeth({ name, peerName: 'eth0', peerNsPath: boxPath, master: 'br-bench', up: true });
      await box.ensureAddress('eth0', ip);
      await box.setUp('eth0');
      attach.push(now() - t);
      t = now();
      await host.removeLink(name);
      detach.push(now() - t);
      // Docker's way, for comparison: create both ends here, then move + rename the peer.
      t = now();
      await host.addVeth({ name, peerName: `p${name.slice(4)}` });
      await host.setNamespace(`p${name.slice(4)}`, boxPath, 'eth0');
      await box.ensureAddress('eth0', ip);
      await box.setUp('eth0');
      await host.setUp(name);
      moved.push(now() - t);
      await host.removeLink(name);
    }

    // Batch deletion (one device group, one RTM_DELLINK): what a network delete with 20 endpoints pays.
    const batch: number[] = [];
    for (let r = 0; r < 10; r++) {
      const names = Array.from({ length: 20 }, (_, i) => `vb${r}x${i}`);
      for (const [i, name] of names.entries()) await host.addVeth({ name, peerName: `eth${i}`, peerNsPath: boxPath });
      const t = now();
      await host.removeLinks(names);
      batch.push(now() - t);
    }

    const nsCreate: number[] = [];
    const nsRemove: number[] = [];
    for (let i = 0; i < Math.min(ROUNDS, 100); i++) {
      const name = `tsnet-bench-ns-${tag}-${i}`;
      let t = now();
      createNamedNetns(name);
      nsCreate.push(now() - t);
      t = now();
      removeNamedNetns(name);
      nsRemove.push(now() - t);
    }

    reportBench('libnetwork-netlink', [
      { name: 'libnetwork.netlink_veth_ms', value: median(attach), unit: 'ms', target: '~1 (veth into ns + master + addr + up)' },
      { name: 'libnetwork.netlink_veth_delete_ms', value: median(detach), unit: 'ms' },
      { name: 'libnetwork.netlink_veth_move_ms', value: median(moved), unit: 'ms' },
      { name: 'libnetwork.netlink_delete_20_veths_ms', value: median(batch), unit: 'ms' },
      { name: 'libnetwork.netns_create_ms', value: median(nsCreate), unit: 'ms' },
      { name: 'libnetwork.netns_remove_ms', value: median(nsRemove), unit: 'ms' },
    ]);
  } finally {
    Netlink.closeAll();
    removeNamedNetns(`tsnet-bench-host-${tag}`);
    removeNamedNetns(`tsnet-bench-box-${tag}`);
  }
}

await main();
