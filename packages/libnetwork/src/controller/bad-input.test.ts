import { describe, expect, it } from 'vitest';
import type { Controller } from './controller.js';
import { fakeWorld, type FakeWorld } from './testing.js';

/** Store, kernel and firewall as one comparable value: a refused request must change none of it. */
async function snapshot(w: FakeWorld): Promise<string> {
  // ipam's round-robin cursor may move on a failed request (Docker's does too); nothing is allocated.
  const store = (await w.store.list('/')).map((e) => [e.key, e.value.replace(/\\?"cursor\\?":\\?"[0-9a-f]+\\?",?/, '')]);
  const kernel = [...w.kernel.namespaces.entries()].map(([k, ns]) => [k, [...ns.links.values()].map((l) => ({ ...l, addresses: [...l.addresses] })), ns.routes]);
  return JSON.stringify({ store, kernel, fw: w.firewall.state });
}

type Case = [string, string, (c: Controller) => Promise<unknown>];

const cases: Case[] = [
  ['invalid network name', 'ERR_INVALID_NETWORK_NAME', (c) => c.createNetwork({ name: 'bad name' })],
  ['duplicate name', 'ERR_NETWORK_EXISTS', (c) => c.createNetwork({ name: 'taken' })],
  ['unknown driver', 'ERR_DRIVER_NOT_FOUND', (c) => c.createNetwork({ name: 'x', driver: 'weave' })],
  ['unknown ipam driver', 'ERR_IPAM_DRIVER_NOT_FOUND', (c) => c.createNetwork({ name: 'x', ipam: { driver: 'dhcp' } })],
  ['bad boolean option', 'ERR_INVALID_OPTION', (c) => c.createNetwork({ name: 'x', options: { 'com.docker.network.bridge.enable_icc': 'maybe' } })],
  ['bad mtu', 'ERR_INVALID_OPTION', (c) => c.createNetwork({ name: 'x', options: { 'com.docker.network.driver.mtu': '9999999' } })],
  ['bad host binding', 'ERR_INVALID_ADDRESS', (c) => c.createNetwork({ name: 'x', options: { 'com.docker.network.bridge.host_binding_ipv4': 'nope' } })],
  ['bad bridge name', 'ERR_INVALID_IFNAME', (c) => c.createNetwork({ name: 'x', options: { 'com.docker.network.bridge.name': 'a/b' } })],
  ['bridge name used by another network', 'ERR_BRIDGE_NAME_IN_USE', (c) => c.createNetwork({ name: 'x', options: { 'com.docker.network.bridge.name': 'tsnet0' } })],
  ['overlapping subnet', 'ERR_SUBNET_OVERLAP', (c) => c.createNetwork({ name: 'x', ipam: { config: [{ subnet: '10.99.0.0/16' }] } })],
  ['subnet with host bits', 'ERR_INVALID_SUBNET', (c) => c.createNetwork({ name: 'x', ipam: { config: [{ subnet: '10.98.0.1/24' }] } })],
  ['gateway outside subnet', 'ERR_INVALID_ADDRESS', (c) => c.createNetwork({ name: 'x', ipam: { config: [{ subnet: '10.97.0.0/24', gateway: '10.96.0.1' }] } })],
  ['ip-range outside subnet', 'ERR_INVALID_IP_RANGE', (c) => c.createNetwork({ name: 'x', ipam: { config: [{ subnet: '10.97.0.0/24', ipRange: '10.97.1.0/25' }] } })],
  ['IPv6 subnet without --ipv6', 'ERR_IPV6_NOT_ENABLED', (c) => c.createNetwork({ name: 'x', ipam: { config: [{ subnet: 'fd00:1::/64' }] } })],
  ['second host network', 'ERR_NETWORK_SINGLETON', (c) => c.createNetwork({ name: 'x', driver: 'host' })],
  ['delete unknown network', 'ERR_NETWORK_NOT_FOUND', (c) => c.deleteNetwork('nope')],
  ['connect twice', 'ERR_ENDPOINT_EXISTS', (c) => c.connect('taken', 'c-in')],
  ['disconnect what is not connected', 'ERR_ENDPOINT_NOT_FOUND', (c) => c.disconnect('bridge', 'c-free')],
  ['connect to unknown network', 'ERR_NETWORK_NOT_FOUND', (c) => c.connect('nope', 'c-in')],
  ['connect unknown sandbox', 'ERR_SANDBOX_NOT_FOUND', (c) => c.connect('taken', 'nobody')],
  ['static IP on the default bridge', 'ERR_STATIC_IP_NOT_ALLOWED', (c) => c.connect('bridge', 'c-free', { ipv4Address: '172.17.0.50' })],
  ['static IP outside the subnet', 'ERR_INVALID_ADDRESS', (c) => c.connect('taken', 'c-free', { ipv4Address: '10.1.1.1' })],
  ['static IP already used', 'ERR_IPAM_ADDRESS_IN_USE', (c) => c.connect('taken', 'c-free', { ipv4Address: '10.99.0.2' })],
  ['alias on the default bridge', 'ERR_ALIAS_NOT_SUPPORTED', (c) => c.connect('bridge', 'c-free', { aliases: ['a'] })],
  ['bad MAC', 'ERR_INVALID_MAC', (c) => c.connect('taken', 'c-free', { macAddress: 'zz' })],
  ['bad port', 'ERR_INVALID_PORT', (c) => c.connect('bridge', 'c-free', { portBindings: [{ proto: 'tcp', containerPort: 0 }] })],
  ['port taken', 'ERR_PORT_IN_USE', (c) => c.connect('bridge', 'c-free', { portBindings: [{ proto: 'tcp', containerPort: 80, hostPort: 7000 }] })],
  ['link to a container not on the network', 'ERR_LINK_TARGET_NOT_FOUND', (c) => c.connect('bridge', 'c-free', { links: [{ container: 'ghost', alias: 'g' }] })],
  ['sandbox for a container that has one', 'ERR_SANDBOX_EXISTS', (c) => c.createSandbox({ containerId: 'c-in' })],
  ['bad hostname', 'ERR_INVALID_HOSTNAME', (c) => c.createSandbox({ containerId: 'h1', hostname: '-x-' })],
  ['bad --add-host', 'ERR_INVALID_EXTRA_HOST', (c) => c.createSandbox({ containerId: 'h2', extraHosts: ['nope'] })],
  ['bad --dns', 'ERR_INVALID_ADDRESS', (c) => c.createSandbox({ containerId: 'h3', dns: ['x'] })],
];

describe('bad input: a stable code and nothing changed', async () => {
  const w = await fakeWorld();
  await w.controller.createNetwork({ name: 'taken', ipam: { config: [{ subnet: '10.99.0.0/16' }] } });
  const inUse = await w.controller.createSandbox({ containerId: 'c-in' });
  await inUse.connect('taken');
  await inUse.connect('bridge', { portBindings: [{ proto: 'tcp', containerPort: 80, hostPort: 7000 }] });
  await w.controller.createSandbox({ containerId: 'c-free' });

  it.each(cases)('%s → %s', async (_why, code, act) => {
    const before = await snapshot(w);
    await expect(act(w.controller)).rejects.toMatchObject({ code });
    expect(await snapshot(w)).toBe(before);
  });

  it('an ambiguous id prefix is refused', async () => {
    const nets = w.controller.networks();
    // Find two networks sharing a first hex digit (there are 4 networks; force it if needed).
    const byFirst = new Map<string, number>();
    for (const n of nets) byFirst.set(n.id[0]!, (byFirst.get(n.id[0]!) ?? 0) + 1);
    const shared = [...byFirst.entries()].find(([, count]) => count > 1)?.[0];
    if (shared) expect(() => w.controller.network(shared)).toThrow(expect.objectContaining({ code: 'ERR_NETWORK_AMBIGUOUS' }));
    expect(() => w.controller.network('')).toThrow(expect.objectContaining({ code: 'ERR_NETWORK_NOT_FOUND' }));
  });
});

describe('rollback when a kernel step fails', () => {
  it.each(['addVeth', 'ensureAddress', 'ensureRoute'])('connect failing in %s leaves nothing', async (op) => {
    const w = await fakeWorld();
    await w.controller.createNetwork({ name: 'n', ipam: { config: [{ subnet: '10.50.0.0/24' }] } });
    const sb = await w.controller.createSandbox({ containerId: 'x' });
    const before = await snapshot(w);
    w.kernel.failOn = op;
    await expect(sb.connect('n', { portBindings: [{ proto: 'tcp', containerPort: 1, hostPort: 6000 }] })).rejects.toThrow(/injected/);
    await w.controller.settle();
    expect(await snapshot(w)).toBe(before);
    expect((await w.ipam.poolInfo(w.controller.network('n').pools[0]!.poolId)).addresses).toEqual(['10.50.0.1']);
    await sb.connect('n', { portBindings: [{ proto: 'tcp', containerPort: 1, hostPort: 6000 }] });
  });

  it('network create failing in the bridge setup leaves no pool and no bridge', async () => {
    const w = await fakeWorld();
    const before = await snapshot(w);
    w.kernel.failOn = 'ensureAddress';
    await expect(w.controller.createNetwork({ name: 'n', ipam: { config: [{ subnet: '10.51.0.0/24' }] } })).rejects.toThrow(/injected/);
    await w.controller.settle();
    expect(await snapshot(w)).toBe(before);
    expect((await w.ipam.pools()).map((p) => p.pool)).toEqual(['172.17.0.0/16']);
  });
});
