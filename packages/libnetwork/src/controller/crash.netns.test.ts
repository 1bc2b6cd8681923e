import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ipam } from '@tsnet/ipam';
import { openFileStore, type Store } from '@tsnet/store';
import { describeNetns, trackedTestNs, type TestNs } from '@tsnet/testkit';
import { bridge } from '../drivers/bridge/index.js';
import type { BridgeConfig } from '../drivers/bridge/config.js';
import { host } from '../drivers/host/index.js';
import { none } from '../drivers/none/index.js';
import { createFirewall } from '../firewall/index.js';
import { removeNamedNetns } from '../netns/index.js';
import { Controller } from './controller.js';
import { ipJsonIn } from './testing-netns.js';

const ROUNDS = Number(process.env.TSNET_CRASH_ROUNDS ?? 15);
const child = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const root = fileURLToPath(new URL('../../../../', import.meta.url));

interface IpLink { ifname: string; master?: string; linkinfo?: { info_kind?: string } }

/** Runs the child until it is ready, lets it work for a random while, then SIGKILLs it. */
async function runAndKill(hostNs: TestNs, dataDir: string, seed: number, seen: Set<string>): Promise<string> {
  const proc = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', child, hostNs.path, dataDir, String(seed)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const m of out.matchAll(/^netns (\S+)$/gm)) seen.add(m[1]!);
  });
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  while (!out.includes('ready') && Date.now() < deadline && proc.exitCode === null) await new Promise((r) => setTimeout(r, 10));
  if (!out.includes('ready')) throw new Error(`crash child never got ready: ${err}`);
  await new Promise((r) => setTimeout(r, 30 + Math.floor(Math.random() * 700)));
  proc.kill('SIGKILL');
  await exited;
  return out;
}

async function openController(hostNs: TestNs, dataDir: string): Promise<{ controller: Controller; store: Store; ipam: Ipam }> {
  const store = await openFileStore(join(dataDir, 'store'));
  const ipam = await Ipam.open({ store });
  const controller = new Controller({
    store,
    ipam,
    drivers: [bridge(), host(), none()],
    firewall: createFirewall({ backend: 'nftables', nsPath: hostNs.path }),
    hostNsPath: hostNs.path,
    dataDir,
    config: { hostResolvConfPath: join(dataDir, 'host-resolv.conf'), defaultBridge: { bip: '172.29.0.1/16' } },
  });
  await controller.start();
  return { controller, store, ipam };
}

/** Everything the kernel and ipam hold must be exactly what the restored store says. */
async function checkConsistent(hostNs: TestNs, seen: Set<string>, c: Controller, store: Store, ipam: Ipam): Promise<void> {
  expect(await store.list('/libnetwork/intent/')).toEqual([]);
  const networks = c.networks();
  const endpoints = c.endpoints();
  const sandboxes = c.sandboxes().map((s) => s.record);
  const links = hostNs.ipJson<IpLink[]>('-d link show');
  const bridges = new Set(networks.filter((n) => n.driver === 'bridge').map((n) => (n.driverConfig as BridgeConfig).bridgeName));
  expect(links.filter((l) => l.linkinfo?.info_kind === 'bridge').map((l) => l.ifname).sort()).toEqual([...bridges].sort());
  // tsnetgc* veths are already retired (restore/disconnect), deleted in the background; the end of the test checks they went.
  const veths = links.filter((l) => l.linkinfo?.info_kind === 'veth' && !l.ifname.startsWith('tsnetgc')).map((l) => `${l.ifname}@${l.master ?? '-'}`).sort();
  const wantVeths = endpoints.filter((e) => e.hostIfName).map((e) => {
    const n = networks.find((x) => x.id === e.networkId)!;
    return `${e.hostIfName}@${(n.driverConfig as BridgeConfig).bridgeName}`;
  });
  expect(veths).toEqual(wantVeths.sort());
  const live = new Set(
    (await import('node:fs')).readdirSync('/run/netns').filter((n) => seen.has(n)),
  );
  expect([...live].sort()).toEqual(sandboxes.filter((s) => s.mode === 'private').map((s) => s.nsName).sort());
  for (const s of sandboxes) {
    const inside = ipJsonIn<IpLink[]>(s.nsPath, 'link show').map((l) => l.ifname).sort();
    const want = endpoints.filter((e) => e.sandboxId === s.id && e.ifName).map((e) => e.ifName);
    expect(inside).toEqual(['lo', ...want].sort());
  }
  const drift = await createFirewall({ backend: 'nftables', nsPath: hostNs.path }).drift(c.firewallState());
  expect(drift).toEqual({ missing: [], extra: [] });
  // ipam holds exactly the networks' pools, and in them exactly gateways + endpoint addresses.
  const pools = await ipam.pools();
  expect(pools.map((p) => p.poolId).sort()).toEqual(networks.flatMap((n) => n.pools.map((p) => p.poolId)).sort());
  const held = [...networks.flatMap((n) => n.pools.map((p) => p.gateway)), ...endpoints.map((e) => e.ipv4.split('/')[0]!).filter(Boolean)];
  expect(new Set(held).size).toBe(held.length);
  expect(pools.flatMap((p) => p.addresses).sort()).toEqual(held.sort());
}

describeNetns('crash safety: SIGKILL at random points, then restart', () => {
  let hostNs: TestNs;
  let dataDir: string;
  const seen = new Set<string>();
  beforeAll(() => {
    hostNs = trackedTestNs();
    dataDir = mkdtempSync(join(tmpdir(), 'tsnet-crash-'));
    writeFileSync(join(dataDir, 'host-resolv.conf'), 'nameserver 192.0.2.53\n');
  });
  afterAll(() => {
    for (const name of seen) removeNamedNetns(name);
    hostNs.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`${ROUNDS} kills leave nothing orphaned, leaked or held twice`, { timeout: 600_000 }, async () => {
    let refusals = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const out = await runAndKill(hostNs, dataDir, round + 1, seen);
      refusals += (out.match(/^refused /gm) ?? []).length;
      const { controller, store, ipam } = await openController(hostNs, dataDir);
      try {
        await checkConsistent(hostNs, seen, controller, store, ipam);
      } finally {
        await controller.stop();
        await store.close();
      }
    }
    // Clean up through the API and find nothing left.
    const { controller, store } = await openController(hostNs, dataDir);
    await controller.destroyAll();
    await controller.stop();
    await store.close();
    expect(hostNs.ipJson<IpLink[]>('link show').map((l) => l.ifname)).toEqual(['lo']);
    expect([...seen].filter((n) => existsSync(`/run/netns/${n}`))).toEqual([]);
    expect(hostNs.sh('nft list ruleset').trim()).toBe('');
    expect(refusals).toBeLessThan(ROUNDS * 50);
  });
});
