import { mkdtempSync, rmSync } from 'node:fs';
import { afterAll, onTestFinished } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ipam } from '@tsnet/ipam';
import { MemoryStore, type Store } from '@tsnet/store';
import { bridge } from '../drivers/bridge/index.js';
import { host } from '../drivers/host/index.js';
import { none } from '../drivers/none/index.js';
import type { Drift, Firewall, FirewallState } from '../firewall/types.js';
import { FakeKernel } from '../system/fake.js';
import { Controller } from './controller.js';
import type { ControllerConfigInput } from './config.js';
import { MemoryPortReserver } from './ports.js';

/** A firewall that remembers the last desired state (the controller's contract with the firewall). */
export class RecordingFirewall implements Firewall {
  readonly backend = 'nftables' as const;
  state: FirewallState = { networks: [], portMappings: [] };
  resolvers = new Map<string, { udpPort: number; tcpPort: number }>();
  applies = 0;
  async apply(state: FirewallState): Promise<void> {
    this.applies++;
    this.state = structuredClone(state);
  }
  async list(): Promise<never[]> {
    return [];
  }
  async drift(): Promise<Drift> {
    return { missing: [], extra: [] };
  }
  async teardown(): Promise<void> {
    this.state = { networks: [], portMappings: [] };
  }
  async applySandboxResolver(nsPath: string, ports: { udpPort: number; tcpPort: number }): Promise<void> {
    this.resolvers.set(nsPath, ports);
  }
  async removeSandboxResolver(nsPath: string): Promise<void> {
    this.resolvers.delete(nsPath);
  }
}

export interface FakeWorld {
  store: Store;
  kernel: FakeKernel;
  firewall: RecordingFirewall;
  ipam: Ipam;
  dataDir: string;
  ports: MemoryPortReserver;
  controller: Controller;
  /** A new controller over the same store, kernel and data dir (a daemon restart). */
  restart(): Promise<Controller>;
}

/** Removes `dir` when the calling test ends, or after the suite when called in a describe body. */
function removeAfterTest(dir: string): void {
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    onTestFinished(remove);
  } catch {
    afterAll(remove);
  }
}

/** A controller on the in-memory kernel, store and firewall: the model's logic without root. */
export async function fakeWorld(config: ControllerConfigInput = {}, store: Store = new MemoryStore()): Promise<FakeWorld> {
  const kernel = new FakeKernel();
  const firewall = new RecordingFirewall();
  const dataDir = mkdtempSync(join(tmpdir(), 'tsnet-ln-'));
  removeAfterTest(dataDir);
  const hostResolv = join(dataDir, 'host-resolv.conf');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(hostResolv, 'nameserver 127.0.0.53\nnameserver 192.0.2.53\nsearch example.com\n');
  const make = async (): Promise<{ controller: Controller; ipam: Ipam; ports: MemoryPortReserver }> => {
    const ipam = await Ipam.open({ store });
    const ports = new MemoryPortReserver();
    const controller = new Controller({
      store,
      ipam,
      drivers: [bridge(), host(), none()],
      firewall,
      kernel,
      portReserver: ports,
      dataDir,
      config: { hostResolvConfPath: hostResolv, ...config },
    });
    await controller.start();
    return { controller, ipam, ports };
  };
  const first = await make();
  const world: FakeWorld = {
    store,
    kernel,
    firewall,
    dataDir,
    ...first,
    async restart() {
      const next = await make();
      Object.assign(world, next);
      return next.controller;
    },
  };
  return world;
}
