/**
 * libnetwork benchmarks (`npm run bench -- libnetwork`). Every figure is measured in a fresh test
 * namespace acting as the host, with the file store on local disk (fsync included), and reported
 * as a median of single operations. When dockerd is installed the same operations are measured on
 * a real Docker daemon started in its own namespace in the same run, and the ratio is printed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ipam } from '@tsnet/ipam';
import { openFileStore, type Store } from '@tsnet/store';
import { busyboxRootfsTar, createTestNs, dockerAvailable, median, reportBench, startDockerInNs, type BenchFigure, type TestNs } from '@tsnet/testkit';
import { Controller, bridge, createFirewall, host, none, removeNamedNetns, type BackendName, type Sandbox } from '../src/index.js';

const N = Number(process.env.TSNET_BENCH_N ?? 20);
const JOIN = Number(process.env.TSNET_BENCH_JOIN ?? 1000);
/** `TSNET_BENCH_ONLY=join` (or docker, nftables, iptables, comma-separated) to run a part. */
const ONLY = new Set((process.env.TSNET_BENCH_ONLY ?? 'docker,nftables,iptables,join').split(','));
const time = async (fn: () => Promise<unknown>): Promise<number> => {
  const start = performance.now();
  await fn();
  return performance.now() - start;
};

interface World {
  ns: TestNs;
  controller: Controller;
  store: Store;
  destroy(): Promise<void>;
}

async function world(backend: BackendName): Promise<World> {
  const ns = createTestNs('tsnet-bench');
  const dir = mkdtempSync(join(tmpdir(), 'tsnet-ln-bench-'));
  writeFileSync(join(dir, 'resolv.conf'), 'nameserver 192.0.2.53\n');
  const store = await openFileStore(join(dir, 'store'));
  const ipam = await Ipam.open({ store });
  const namespaces = new Set<string>();
  const controller = new Controller({
    store,
    ipam,
    drivers: [bridge(), host(), none()],
    firewall: createFirewall({ backend, nsPath: ns.path }),
    hostNsPath: ns.path,
    dataDir: dir,
    config: { hostResolvConfPath: join(dir, 'resolv.conf') },
  });
  controller.events.subscribe((e) => {
    if (e.type === 'sandbox.create') namespaces.add(e.sandbox.nsPath.split('/').pop()!);
  });
  await controller.start();
  return {
    ns,
    controller,
    store,
    async destroy() {
      // Throwaway state: dropping the namespaces takes every veth, bridge and rule with them.
      await controller.stop();
      await store.close();
      for (const n of namespaces) removeNamedNetns(n);
      ns.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function benchTsnet(backend: BackendName): Promise<Record<string, number>> {
  const w = await world(backend);
  const c = w.controller;
  try {
    // Warm-up: the first operation of each kind loads and compiles code paths.
    const warm = await c.createSandbox({ containerId: 'warm' });
    await c.createNetwork({ name: 'warm' });
    await warm.connect('warm', { portBindings: [{ proto: 'tcp', containerPort: 1, hostPort: 0 }] });
    await warm.disconnect('warm');
    await c.deleteNetwork('warm');
    await c.settle();
    const create: number[] = [];
    for (let i = 0; i < N; i++) create.push(await time(() => c.createNetwork({ name: `bench${i}` })));
    const del: number[] = [];
    for (let i = 0; i < N; i++) del.push(await time(() => c.deleteNetwork(`bench${i}`)));
    // Each figure is its own operation: let the previous phase's background link deletion finish.
    await c.settle();
    await c.createNetwork({ name: 'join', ipam: { config: [{ subnet: '10.200.0.0/22' }] } });
    const sandboxes: Sandbox[] = [];
    for (let i = 0; i < N; i++) sandboxes.push(await c.createSandbox({ containerId: `bench-${i}` }));
    const connect: number[] = [];
    for (const sb of sandboxes) connect.push(await time(() => sb.connect('join')));
    const disconnect: number[] = [];
    for (const sb of sandboxes) disconnect.push(await time(() => sb.disconnect('join')));
    await c.settle();
    const publish: number[] = [];
    const ports = [...Array(1000).keys()].map((i) => ({ proto: 'tcp' as const, containerPort: 10000 + i, hostPort: 20000 + i }));
    for (let round = 0; round < 3; round++) {
      publish.push(await time(() => sandboxes[round]!.connect('join', { portBindings: ports })));
      await sandboxes[round]!.disconnect('join');
      await c.settle();
    }
    return { network_create_ms: median(create), network_delete_ms: median(del), connect_ms: median(connect), disconnect_ms: median(disconnect), publish_1000_ports_ms: median(publish) };
  } finally {
    await w.destroy();
  }
}

/** JOIN sandboxes on one bridge, then on until the kernel's per-bridge port limit refuses one. */
async function benchJoin(): Promise<{ seconds: number; maxPorts: number; error: string }> {
  const w = await world('nftables');
  const c = w.controller;
  try {
    await c.createNetwork({ name: 'big', options: { 'com.docker.network.bridge.name': 'brbig' }, ipam: { config: [{ subnet: '10.201.0.0/20' }] } });
    const start = performance.now();
    for (let i = 0; i < JOIN; i++) {
      const sb = await c.createSandbox({ containerId: `join-${i}` });
      await sb.connect('big');
    }
    const seconds = (performance.now() - start) / 1000;
    let ports = JOIN;
    let error = '';
    for (let i = JOIN; i < 1100; i++) {
      const sb = await c.createSandbox({ containerId: `join-${i}` });
      try {
        await sb.connect('big');
        ports++;
      } catch (e) {
        error = `${(e as { code?: string }).code}: ${(e as Error).message}`;
        break;
      }
    }
    return { seconds, maxPorts: ports, error };
  } finally {
    await w.destroy();
  }
}

async function benchDocker(): Promise<Record<string, number> | undefined> {
  if (!dockerAvailable()) return undefined;
  const ns = createTestNs('tsnet-bench-docker');
  const d = await startDockerInNs(ns);
  try {
    await d.importImage('tsnetbox', busyboxRootfsTar());
    const create: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      create.push(await time(async () => {
        const r = await d.api<{ Id: string }>('POST', '/networks/create', { Name: `bench${i}`, CheckDuplicate: true });
        if (r.status !== 201) throw new Error(`docker network create: ${JSON.stringify(r.body)}`);
        ids.push(r.body.Id);
      }));
    }
    // connect/disconnect need a running container: one, moved across the networks.
    const ctr = await d.api<{ Id: string }>('POST', '/containers/create?name=bench', { Image: 'tsnetbox', Cmd: ['sleep', '3600'] });
    await d.api('POST', `/containers/${ctr.body.Id}/start`);
    const connect: number[] = [];
    for (const id of ids) connect.push(await time(() => d.api('POST', `/networks/${id}/connect`, { Container: ctr.body.Id })));
    const disconnect: number[] = [];
    for (const id of ids) disconnect.push(await time(() => d.api('POST', `/networks/${id}/disconnect`, { Container: ctr.body.Id })));
    const del: number[] = [];
    for (const id of ids) del.push(await time(() => d.api('DELETE', `/networks/${id}`)));
    return { network_create_ms: median(create), network_delete_ms: median(del), connect_ms: median(connect), disconnect_ms: median(disconnect) };
  } finally {
    await d.stop();
    ns.destroy();
  }
}

const targets: Record<string, string> = {
  network_create_ms: '<= 8',
  network_delete_ms: '<= 40',
  connect_ms: '<= 4',
  disconnect_ms: '<= 6',
  publish_1000_ports_ms: '<= 200',
};

const figures: BenchFigure[] = [];
const results: Array<[BackendName, Record<string, number>]> = [];
for (const backend of ['nftables', 'iptables'] as const) {
  if (ONLY.has(backend)) results.push([backend, await benchTsnet(backend)]);
}
const joined = JOIN > 0 && ONLY.has('join') ? await benchJoin() : undefined;
// Docker last, so its daemon's teardown (containerd, shims, namespace cleanup) does not run beside ours.
const docker = !ONLY.has('docker') ? undefined : await benchDocker().catch((e: Error) => {
  console.error(`# docker not measured: ${e.message.split('\n')[0]}`);
  return undefined;
});
for (const [backend, r] of results) {
  const prefix = backend === 'nftables' ? 'libnetwork' : 'libnetwork.iptables';
  for (const [key, value] of Object.entries(r)) {
    const dockerValue = docker?.[key];
    figures.push({ name: `${prefix}.${key}`, value, unit: 'ms', ...(dockerValue !== undefined ? { docker: dockerValue } : {}), ...(targets[key] ? { target: targets[key] } : {}) });
  }
}
if (joined) {
  figures.push({ name: `libnetwork.join_${JOIN}_sandboxes_s`, value: joined.seconds, unit: 's' });
  figures.push({ name: 'libnetwork.bridge_max_ports', value: joined.maxPorts, unit: 'ports' });
  console.error(`# port ${joined.maxPorts + 1} on one bridge: ${joined.error || 'accepted'}`);
}
console.error('# publish_1000_ports and join_1000_sandboxes have no Docker counterpart here (Docker publishes at container start, one docker-proxy per port).');
if (!docker) console.error('# Docker not measured (dockerd not available): absolute figures only.');
reportBench('libnetwork', figures);
