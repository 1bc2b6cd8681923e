/**
 * The process the crash test SIGKILLs: a controller running create/connect/disconnect/delete loops
 * against a file store in a test host namespace. Every namespace it is about to create is printed
 * (synchronously, before it exists), so the test knows every name that could be left behind.
 * Usage: node --conditions=source --import tsx crash-child.ts <hostNsPath> <dataDir> <seed>
 */
import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { Ipam } from '@tsnet/ipam';
import { openFileStore } from '@tsnet/store';
import { bridge } from '../drivers/bridge/index.js';
import { host } from '../drivers/host/index.js';
import { none } from '../drivers/none/index.js';
import { createFirewall } from '../firewall/index.js';
import { realKernel } from '../system/real.js';
import { Controller } from './controller.js';

const [hostNsPath, dataDir, seedArg] = process.argv.slice(2) as [string, string, string];
let seed = Number(seedArg) || 1;
const rand = (n: number): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed % n;
};
const say = (line: string): void => {
  writeSync(1, `${line}\n`);
};

const kernel = realKernel(hostNsPath);
const logged = {
  ...kernel,
  createNamedNetns(name: string): string {
    say(`netns ${name}`);
    return kernel.createNamedNetns(name);
  },
};
const store = await openFileStore(join(dataDir, 'store'));
const ipam = await Ipam.open({ store });
const controller = new Controller({
  store,
  ipam,
  drivers: [bridge(), host(), none()],
  firewall: createFirewall({ backend: 'nftables', nsPath: hostNsPath }),
  hostNsPath,
  dataDir,
  kernel: logged,
  config: { hostResolvConfPath: join(dataDir, 'host-resolv.conf'), defaultBridge: { bip: '172.29.0.1/16' } },
});
await controller.start();
say('ready');

const quiet = async (fn: () => Promise<unknown>): Promise<void> => {
  try {
    await fn();
  } catch (error) {
    say(`refused ${(error as { code?: string }).code ?? (error as Error).message}`);
  }
};

for (let round = 0; ; round++) {
  // Half of what earlier runs left behind goes first, so deletes are interrupted too.
  for (const sb of controller.sandboxes()) if (rand(2) === 0) await quiet(() => sb.delete());
  for (const n of controller.networks()) if (!n.predefined && rand(2) === 0) await quiet(() => controller.deleteNetwork(n.id));
  const name = `net${seedArg}-${round}`;
  const subnet = rand(2) === 0 ? [{ subnet: `10.${60 + rand(20)}.${rand(250)}.0/24` }] : [];
  await quiet(() => controller.createNetwork({ name, ipam: { config: subnet } }));
  const network = rand(4) === 0 ? 'bridge' : name;
  const sandboxes = [];
  for (let i = 0; i < 1 + rand(3); i++) {
    const sb = await controller.createSandbox({ containerId: `c${seedArg}-${round}-${i}`, containerName: `c${round}${i}` });
    sandboxes.push(sb);
    const ports = rand(2) === 0 ? [{ proto: 'tcp' as const, containerPort: 80, hostPort: 0 }] : [];
    await quiet(() => sb.connect(network, { portBindings: ports }));
  }
  for (const sb of sandboxes) {
    if (rand(3) === 0) continue; // left connected for the next run
    await quiet(() => sb.disconnect(network));
    if (rand(2) === 0) await quiet(() => sb.delete());
  }
  if (rand(2) === 0) await quiet(() => controller.deleteNetwork(name));
}
