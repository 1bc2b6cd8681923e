import { describe, expect, it } from 'vitest';
import { loadControllerConfig } from '../../controller/config.js';
import type { NetworkRecord } from '../../model/types.js';
import { FakeKernel } from '../../system/fake.js';
import type { DriverContext } from '../types.js';
import type { BridgeConfig } from './config.js';
import { ensureBridge } from './device.js';
import { bridgeFirewallRules, bridgePortMappings } from './firewall.js';
import { setupIPv4 } from './ipv4.js';
import { runSetup, SETUP_STEPS } from './steps.js';
import { verifyBridge } from './verify.js';

const config: BridgeConfig = { bridgeName: 'br0', icc: true, masquerade: true, hostBindingIpv4: '', mtu: 1500, defaultBridge: false, internal: false, enableIPv6: false, ifacePrefix: 'eth' };
const network = (c: Partial<BridgeConfig> = {}, pools = [{ family: 4 as const, poolId: 'p', pool: '10.1.0.0/24', gateway: '10.1.0.1', auxAddresses: {} }]): NetworkRecord =>
  ({ id: 'n'.repeat(64), name: 'net', pools, driverConfig: { ...config, ...c }, internal: c.internal ?? false } as unknown as NetworkRecord);

async function ctx(): Promise<{ ctx: DriverContext; kernel: FakeKernel }> {
  const kernel = new FakeKernel();
  const host = await kernel.ns(undefined);
  return { kernel, ctx: { hostNsPath: undefined, kernel, host, config: loadControllerConfig(), firewallBackend: 'nftables', retireLink: async (n) => (await host.removeLink(n), true) } };
}

describe('bridge setup steps', () => {
  it('run in table order, each only when it applies', () => {
    expect(SETUP_STEPS.map((s) => s.name)).toEqual(['device', 'ipv4', 'ipv6', 'forwarding', 'up', 'verify']);
    const net = network();
    const input = { ctx: {} as DriverContext, network: net, config: net.driverConfig as BridgeConfig };
    expect(SETUP_STEPS.filter((s) => s.when(input)).map((s) => s.name)).toEqual(['device', 'ipv4', 'forwarding', 'up', 'verify']);
  });

  it('create: bridge up with the gateway, sysctls set', async () => {
    const { ctx: c, kernel } = await ctx();
    const net = network();
    await runSetup({ ctx: c, network: net, config: net.driverConfig as BridgeConfig });
    const br = kernel.linksOf().find((l) => l.name === 'br0');
    expect(br).toMatchObject({ kind: 'bridge', up: true, mtu: 1500 });
    expect([...br!.addresses]).toEqual(['10.1.0.1/24']);
    expect(kernel.readSysctl(undefined, 'net/ipv4/ip_forward')).toBe('1');
    expect(kernel.readSysctl(undefined, 'net/ipv4/conf/br0/route_localnet')).toBe('1');
  });

  it('ensureBridge adopts an existing bridge and refuses another kind of link by that name', async () => {
    const { ctx: c } = await ctx();
    await c.host.addBridge({ name: 'br0', mtu: 9000 });
    await ensureBridge(c, config);
    expect((await c.host.linkByName('br0'))?.mtu).toBe(1500);
    await c.host.addVeth({ name: 'vx', peerName: 'vy' });
    await expect(ensureBridge(c, { ...config, bridgeName: 'vx' })).rejects.toMatchObject({ code: 'ERR_BRIDGE_NAME_TAKEN' });
  });

  it('ipv4 replaces a stale address (an old bip)', async () => {
    const { ctx: c } = await ctx();
    await c.host.addBridge({ name: 'br0' });
    await c.host.ensureAddress('br0', '172.17.0.1/16');
    await setupIPv4(c, network(), config);
    expect(await c.host.addresses('br0')).toEqual(['10.1.0.1/24']);
  });

  it('verify reads the kernel back and names what is wrong', async () => {
    const { ctx: c } = await ctx();
    await c.host.addBridge({ name: 'br0' });
    await expect(verifyBridge(c, network(), config)).rejects.toMatchObject({ code: 'ERR_BRIDGE_VERIFY', message: expect.stringContaining('down, no address 10.1.0.1/24') });
  });

  it('firewall: the network\'s rules and an endpoint\'s port mappings', () => {
    expect(bridgeFirewallRules(network({ internal: true, icc: false }))).toEqual({
      id: 'n'.repeat(64), name: 'net', bridge: 'br0', subnets: ['10.1.0.0/24'], gateway: '10.1.0.1', icc: false, internal: true, masquerade: false,
    });
    const ep = { id: 'e', ipv4: '10.1.0.2/24', ipv6: '', ports: [{ proto: 'tcp', containerPort: 80, hostIp: '', hostPort: 8080 }] };
    expect(bridgePortMappings(network({ hostBindingIpv4: '192.0.2.1' }), ep as never, { containerId: 'c' } as never)).toEqual([
      { networkId: 'n'.repeat(64), endpointId: 'e', containerId: 'c', bridge: 'br0', proto: 'tcp', hostIp: '192.0.2.1', hostPort: 8080, containerIp: '10.1.0.2', containerPort: 80 },
    ]);
  });
});
