import { afterEach, expect, it } from 'vitest';
import { describeNetns } from '@tsnet/testkit';
import { inNs, ipJsonIn, netnsWorld, type NetnsWorld } from './testing-netns.js';

// Docker parity (findings F3, F8, F28, F29), read back from the kernel.
interface IpLink { ifname: string; mtu: number; addr_info: Array<{ family: string; local: string; prefixlen: number }> }
interface Route { dst: string; gateway?: string; dev?: string }

const sysctlIn = (nsPath: string, key: string): string => inNs(nsPath, ['cat', `/proc/sys/${key.replace(/\./g, '/')}`]).stdout.trim();
const inet6 = (nsPath: string, dev: string): string[] =>
  ipJsonIn<IpLink[]>(nsPath, `addr show ${dev}`)[0]!.addr_info.filter((a) => a.family === 'inet6').map((a) => a.local);

describeNetns('Docker parity of sandboxes and the default bridge', () => {
  let w: NetnsWorld | undefined;
  afterEach(async () => {
    await w?.destroy();
    w = undefined;
  });

  it('F3: IPv6 is disabled in a sandbox without IPv6 endpoints (no ::1, no fe80::), enabled for an IPv6 endpoint', async () => {
    w = await netnsWorld('nftables');
    const c = w.controller;
    await c.createNetwork({ name: 'v4', ipam: { config: [{ subnet: '10.17.0.0/24' }] } });
    await c.createNetwork({ name: 'v6', enableIPv6: true, ipam: { config: [{ subnet: '10.17.1.0/24' }, { subnet: 'fd00:17::/64' }] } });
    const a = await c.createSandbox({ containerId: 'p3a' });
    await a.connect('v4');
    expect(sysctlIn(a.nsPath, 'net.ipv6.conf.all.disable_ipv6')).toBe('1');
    expect(sysctlIn(a.nsPath, 'net.ipv6.conf.eth0.disable_ipv6')).toBe('1');
    expect(inet6(a.nsPath, 'lo')).toEqual([]);
    expect(inet6(a.nsPath, 'eth0')).toEqual([]);
    await a.connect('v6');
    expect(inet6(a.nsPath, 'lo')).toEqual(['::1']);
    expect(inet6(a.nsPath, 'eth1')).toContain('fd00:17::2');
    expect(inet6(a.nsPath, 'eth0')).toEqual([]);
    expect(inNs(a.nsPath, ['busybox', 'ping', '-6', '-c', '1', '-W', '2', 'fd00:17::1']).status).toBe(0);
    await a.disconnect('v6');
    expect(inet6(a.nsPath, 'lo')).toEqual([]);
  });

  it('F8: the default route goes through the network whose name sorts first, and moves back on disconnect', async () => {
    w = await netnsWorld('nftables');
    const c = w.controller;
    await c.createNetwork({ name: 'n2', ipam: { config: [{ subnet: '10.18.2.0/24' }] } });
    await c.createNetwork({ name: 'n1', ipam: { config: [{ subnet: '10.18.1.0/24' }] } });
    const sb = await c.createSandbox({ containerId: 'p8' });
    await sb.connect('n2');
    expect(ipJsonIn<Route[]>(sb.nsPath, 'route show default')).toEqual([expect.objectContaining({ gateway: '10.18.2.1', dev: 'eth0' })]);
    await sb.connect('n1', { ipv4Address: '10.18.1.99' });
    expect(ipJsonIn<Route[]>(sb.nsPath, 'route show default')).toEqual([expect.objectContaining({ gateway: '10.18.1.1', dev: 'eth1' })]);
    await sb.disconnect('n1');
    expect(ipJsonIn<Route[]>(sb.nsPath, 'route show default')).toEqual([expect.objectContaining({ gateway: '10.18.2.1', dev: 'eth0' })]);
  });

  it('F28/F29: bip, mtu and icc changes re-make the unused default bridge at restart; daemon mtu only there', async () => {
    w = await netnsWorld('nftables', { defaultBridge: { bip: '172.30.0.1/16' } });
    const first = await w.controller.createSandbox({ containerId: 'p28' });
    await first.connect('bridge');
    await w.controller.deleteSandbox('p28');
    const c = await w.restart({ defaultBridge: { bip: '172.31.5.1/24', icc: false }, mtu: 1400 });
    const [br] = w.host.ipJson<IpLink[]>('addr show tsnet0');
    expect(br?.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`)).toEqual(['172.31.5.1/24']);
    expect(br?.mtu).toBe(1400);
    expect(c.inspectNetwork('bridge').Options['com.docker.network.bridge.enable_icc']).toBe('false');
    expect(w.host.sh('nft list ruleset')).toMatch(/iifname "tsnet0" oifname "tsnet0"[^\n]*drop/);
    const sb = await c.createSandbox({ containerId: 'p28b' });
    const ep = await sb.connect('bridge');
    expect(ep.ipv4).toBe('172.31.5.2/24');
    expect(ipJsonIn<IpLink[]>(sb.nsPath, 'link show eth0')[0]?.mtu).toBe(1400);
    // F29: a user-defined network ignores the daemon's mtu (Docker: 1500 unless -o ...driver.mtu).
    await c.createNetwork({ name: 'pool1', ipam: { config: [{ subnet: '10.19.0.0/24' }] } });
    await sb.connect('pool1');
    expect(ipJsonIn<IpLink[]>(sb.nsPath, 'link show eth1')[0]?.mtu).toBe(1500);
  });
});
