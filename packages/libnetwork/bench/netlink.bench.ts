// Kernel-layer benchmark: what one container attach costs at the netlink level, in a fresh host
// namespace. Figures go to bench/results/libnetwork-netlink.json (the core benches write
// libnetwork.json), named libnetwork.netlink_* / libnetwork.netns_*.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { median, reportBench } from '@tsnet/testkit';
import { createNamedNetns, removeNamedNetns, removeNetnsPath } from '../src/netns/index.js';
import { Netlink } from '../src/netlink/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const tag = randomBytes(3).toString('hex');
const now = (): number => performance.now();

async function main(): Promise<void> {
  const hostPath = createNamedNetns(`tsnet-bench-host-${tag}`);
  const boxPath = createNamedNetns(`tsnet-bench-box-${tag}`);
  try {
    const host = await Netlink.forNamespace(hostPath);
    await Netlink.forNamespace(boxPath); // opened ahead, as a sandbox handle would be
    await host.addBridge({ name: 'br-bench' });
    await host.ensureAddress('br-bench', '10.123.0.1/16');
    await host.setUp('br-bench');

    const attach: number[] = [];
    const detach: number[] = [];
    const moved: number[] = [];
    const boxes: string[] = [];
    const name = (i: number): string => `veth${i.toString(16).padStart(7, '0')}`;
    try {
      // Phase by phase, so that one measurement does not pay for the kernel's deferred cleanup
      // of the previous one (a deleted link keeps RCU callbacks and workqueues busy for a while).
      for (let i = 0; i < ROUNDS; i++) {
        const ns = createNamedNetns(`tsnet-bench-sb-${tag}-${i}`);
        boxes.push(ns);
        const box = await Netlink.forNamespace(ns);
        // The peer is born inside the sandbox as eth0, enslaved and up at creation.
        const t = now();
        await host.addVeth({ name: name(i), peerName: 'eth0', peerNsPath: ns, master: 'br-bench', up: true });
        await box.ensureAddress('eth0', `10.123.${i >> 8}.${(i & 0xff) + 2 > 254 ? 2 : (i & 0xff) + 2}/16`);
        await box.setUp('eth0');
        attach.push(now() - t);
      }
      for (let i = 0; i < ROUNDS; i++) {
        const t = now();
        await host.removeLink(name(i));
        detach.push(now() - t);
      }
      // Docker's way, for comparison: create both ends here, then move + rename the peer.
      for (let i = 0; i < Math.min(ROUNDS, 50); i++) {
        const box = await Netlink.forNamespace(boxes[i]!);
        const t = now();
        await host.addVeth({ name: name(i), peerName: `p${name(i).slice(4)}`, master: 'br-bench', up: true });
        await host.setNamespace(`p${name(i).slice(4)}`, boxes[i]!, 'eth0');
        await box.ensureAddress('eth0', '10.124.0.2/16');
        await box.setUp('eth0');
        moved.push(now() - t);
      }
      await host.removeLinks(Array.from({ length: Math.min(ROUNDS, 50) }, (_, i) => name(i)));
    } finally {
      for (const ns of boxes) {
        Netlink.release(ns);
        removeNetnsPath(ns);
      }
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

    // The kernel's own floor for comparison: `ip -batch` creating 50 veths with the peer in
    // another namespace in one process (no per-command fork), per veth.
    const floor: number[] = [];
    for (let r = 0; r < 3; r++) {
      const script = Array.from({ length: 50 }, (_, i) => `link add fl${r}x${i} type veth peer name fp${r}x${i} netns ${boxPath.split('/').pop()}`).join('\n');
      const t = now();
      execFileSync('nsenter', [`--net=${hostPath}`, 'ip', '-batch', '-'], { input: script });
      floor.push((now() - t) / 50);
      await host.removeLinks(Array.from({ length: 50 }, (_, i) => `fl${r}x${i}`));
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
      { name: 'libnetwork.netlink_ip_batch_veth_ms', value: median(floor), unit: 'ms', target: 'kernel floor: ip -batch, peer in another ns' },
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
