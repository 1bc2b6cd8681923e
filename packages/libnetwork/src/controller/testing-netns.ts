import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ipam } from '@tsnet/ipam';
import { openFileStore, type Store } from '@tsnet/store';
import { trackedTestNs, type TestNs } from '@tsnet/testkit';
import { bridge } from '../drivers/bridge/index.js';
import { host } from '../drivers/host/index.js';
import { none } from '../drivers/none/index.js';
import { createFirewall } from '../firewall/index.js';
import type { BackendName, Firewall } from '../firewall/types.js';
import { removeNamedNetns } from '../netns/index.js';
import { Controller } from './controller.js';
import type { ControllerConfigInput } from './config.js';

export interface NetnsWorld {
  host: TestNs;
  controller: Controller;
  store: Store;
  ipam: Ipam;
  firewall: Firewall;
  dataDir: string;
  hostResolvConf: string;
  /** Stops this controller and starts a new one on the same store (a daemon restart), optionally with a changed config. */
  restart(config?: ControllerConfigInput): Promise<Controller>;
  /** Removes everything: sandboxes, networks, rules, the host namespace, the data dir. */
  destroy(): Promise<void>;
}

/** A controller whose "host" is a fresh test namespace, on a file store in a temp dir. */
export async function netnsWorld(backend: BackendName = 'nftables', config: ControllerConfigInput = {}): Promise<NetnsWorld> {
  const hostNs = trackedTestNs();
  const dataDir = mkdtempSync(join(tmpdir(), 'tsnet-ln-netns-'));
  const hostResolvConf = join(dataDir, 'host-resolv.conf');
  writeFileSync(hostResolvConf, 'nameserver 127.0.0.53\nnameserver 192.0.2.53\nsearch example.com\n');
  const firewall = createFirewall({ backend, nsPath: hostNs.path });
  const sandboxNs = new Set<string>();
  let current = config;
  const open = async (): Promise<{ controller: Controller; store: Store; ipam: Ipam }> => {
    const store = await openFileStore(join(dataDir, 'store'));
    const ipam = await Ipam.open({ store });
    const controller = new Controller({
      store,
      ipam,
      drivers: [bridge(), host(), none()],
      firewall,
      hostNsPath: hostNs.path,
      dataDir,
      config: { hostResolvConfPath: hostResolvConf, ...current },
    });
    controller.events.subscribe((e) => {
      if (e.type === 'sandbox.create' && e.sandbox.mode === 'private') sandboxNs.add(e.sandbox.nsPath.split('/').pop()!);
    });
    await controller.start();
    return { controller, store, ipam };
  };
  const first = await open();
  const world: NetnsWorld = {
    host: hostNs,
    firewall,
    dataDir,
    hostResolvConf,
    ...first,
    async restart(changed?: ControllerConfigInput) {
      if (changed) current = changed;
      await world.controller.stop();
      await world.store.close();
      const next = await open();
      Object.assign(world, next);
      return next.controller;
    },
    async destroy() {
      try {
        await world.controller.destroyAll();
        await world.controller.stop();
        await world.store.close();
      } finally {
        for (const name of sandboxNs) removeNamedNetns(name);
        hostNs.destroy();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
  return world;
}

/** Runs argv inside a namespace path (a sandbox), never throwing. */
export function inNs(nsPath: string, argv: string[], options: { input?: string; timeoutMs?: number } = {}): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('nsenter', [`--net=${nsPath}`, '--', ...argv], { encoding: 'utf8', input: options.input, timeout: options.timeoutMs ?? 20_000 });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export function ipJsonIn<T>(nsPath: string, args: string): T {
  const r = inNs(nsPath, ['ip', '-j', ...args.split(' ')]);
  if (r.status !== 0) throw new Error(`ip -j ${args} in ${nsPath}: ${r.stderr}`);
  return (r.stdout.trim() ? JSON.parse(r.stdout) : []) as T;
}

/** One echo request, 1 s to answer: for paths that must be blocked. */
export const ping = (nsPath: string, ip: string): boolean => inNs(nsPath, ['busybox', 'ping', '-c', '1', '-W', '1', ip]).status === 0;

/** Up to three tries: for paths that must work (a loaded machine can lose the first to ARP). */
export function reaches(nsPath: string, ip: string): boolean {
  for (let i = 0; i < 3; i++) if (inNs(nsPath, ['busybox', 'ping', '-c', '1', '-W', '2', ip]).status === 0) return true;
  return false;
}

/**
 * A TCP exchange: a one-shot busybox nc server in `serverNs` answering `reply`, a client in
 * `clientNs` connecting to ip:port. Returns what the client read ('' when it could not connect).
 */
export async function tcpExchange(serverNs: string, listenPort: number, clientNs: string, ip: string, port: number, reply = 'pong'): Promise<string> {
  const { spawn } = await import('node:child_process');
  const server = spawn('nsenter', [`--net=${serverNs}`, '--', 'busybox', 'nc', '-l', '-p', String(listenPort), '-e', 'echo', reply], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 50; i++) {
      const ready = inNs(serverNs, ['busybox', 'netstat', '-ltn']).stdout.includes(`:${listenPort} `);
      if (ready) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const r = inNs(clientNs, ['busybox', 'nc', '-w', '2', ip, String(port)], { input: '', timeoutMs: 5000 });
    return r.stdout.trim();
  } finally {
    server.kill('SIGKILL');
  }
}
