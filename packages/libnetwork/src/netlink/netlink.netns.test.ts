import { afterEach, expect, it } from 'vitest';
import { createParentLink, describeNetns, trackedTestNs, type TestNs } from '@tsnet/testkit';
import { Netlink } from './index.js';

interface IpLink {
  ifname: string;
  ifindex: number;
  mtu: number;
  address: string;
  flags: string[];
  master?: string;
  link_netnsid?: number;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown>; info_slave_data?: Record<string, unknown> };
}
interface IpAddr { ifname: string; addr_info: { family: string; local: string; prefixlen: number; broadcast?: string }[] }
interface IpRoute { dst: string; gateway?: string; dev: string; scope?: string; protocol?: string; metric?: number }

describeNetns('netlink', () => {
  const made: TestNs[] = [];
  afterEach(() => {
    Netlink.closeAll();
    for (const ns of made.splice(0)) ns.destroy();
  });
  const testNs = (): TestNs => {
    const ns = trackedTestNs();
    made.push(ns);
    return ns;
  };
  const link = (ns: TestNs, name: string): IpLink | undefined =>
    ns.ipJson<IpLink[]>('-d link show').find((l) => l.ifname === name);

  it('creates a veth pair with its peer straight inside another namespace', async () => {
    const host = testNs();
    const box = testNs();
    const nl = await Netlink.forNamespace(host.path);
    await nl.addVeth({ name: 'vethab12cd3', peerName: 'eth0', peerNsPath: box.path, mtu: 1400, peerMac: '02:42:ac:11:00:02' });
    const hostEnd = link(host, 'vethab12cd3');
    const boxEnd = link(box, 'eth0');
    expect(hostEnd).toMatchObject({ mtu: 1400, linkinfo: { info_kind: 'veth' } });
    expect(boxEnd).toMatchObject({ mtu: 1400, address: '02:42:ac:11:00:02', linkinfo: { info_kind: 'veth' } });
    expect(link(host, 'eth0')).toBeUndefined();
    // Our own view agrees with the kernel's.
    const mine = (await nl.links()).find((l) => l.name === 'vethab12cd3');
    expect(mine).toMatchObject({ index: hostEnd!.ifindex, kind: 'veth', mtu: 1400, mac: hostEnd!.address, up: false });
    expect(mine!.linkNetnsId).toBeDefined();
    // Deleting one end takes the other.
    expect(await nl.removeLink('vethab12cd3')).toBe(true);
    expect(link(box, 'eth0')).toBeUndefined();
    expect(await nl.removeLink('vethab12cd3')).toBe(false);
  });

  it('creates a veth up and enslaved in one request', async () => {
    const host = testNs();
    const box = testNs();
    const nl = await Netlink.forNamespace(host.path);
    await nl.addBridge({ name: 'br1', up: true });
    expect(link(host, 'br1')!.flags).toContain('UP');
    await nl.addVeth({ name: 'vethup0', peerName: 'eth0', peerNsPath: box.path, master: 'br1', up: true });
    expect(link(host, 'vethup0')).toMatchObject({ master: 'br1', flags: expect.arrayContaining(['UP']) });
    expect(link(box, 'eth0')!.flags).not.toContain('UP');
    await expect(nl.addVeth({ name: 'vethup1', peerName: 'p1', master: 'nobr' })).rejects.toMatchObject({ code: 'ERR_LINK_NOT_FOUND' });
  });

  it('removes many links in one batch (device group), missing ones fine', async () => {
    const host = testNs();
    const box = testNs();
    const nl = await Netlink.forNamespace(host.path);
    await nl.addVeth({ name: 'keep0', peerName: 'keep1' });
    const names = Array.from({ length: 8 }, (_, i) => `del${i}`);
    for (const [i, name] of names.entries()) await nl.addVeth({ name, peerName: `eth${i}`, peerNsPath: box.path });
    const removed = await nl.removeLinks([...names, 'gone0']);
    expect(removed.sort()).toEqual([...names].sort());
    const left = host.ipJson<IpLink[]>('link').map((l) => l.ifname);
    expect(left).toEqual(expect.arrayContaining(['keep0', 'keep1']));
    for (const name of names) expect(left).not.toContain(name);
    expect(box.ipJson<IpLink[]>('link').map((l) => l.ifname)).toEqual(['lo']); // peers went too
    expect(await nl.removeLinks(['gone0', 'gone1'])).toEqual([]);
  });

  it('sets up/down, MTU, MAC, master, name and namespace, read back with ip -j', async () => {
    const host = testNs();
    const box = testNs();
    const nl = await Netlink.forNamespace(host.path);
    await nl.addBridge({ name: 'br-test', mtu: 1450 });
    await nl.addVeth({ name: 'va', peerName: 'vb' });
    await nl.setUp('va');
    expect(link(host, 'va')!.flags).toContain('UP');
    await nl.setDown('va');
    expect(link(host, 'va')!.flags).not.toContain('UP');
    await nl.setMtu('va', 1300);
    await nl.setMac('va', '02:00:00:00:00:aa');
    expect(link(host, 'va')).toMatchObject({ mtu: 1300, address: '02:00:00:00:00:aa' });
    await nl.setMaster('va', 'br-test');
    expect(link(host, 'va')).toMatchObject({ master: 'br-test', linkinfo: { info_slave_data: expect.anything() } });
    expect(await nl.linkByName('va')).toMatchObject({ master: 'br-test', slaveKind: 'bridge' });
    await nl.setHairpin('va', true);
    expect(link(host, 'va')!.linkinfo!.info_slave_data).toMatchObject({ hairpin: true });
    await nl.setMaster('va', null);
    expect(link(host, 'va')!.master).toBeUndefined();
    await nl.rename('va', 'vc');
    expect(link(host, 'vc')).toBeDefined();
    expect(link(host, 'va')).toBeUndefined();
    // Docker's move: into the sandbox, renamed on the way.
    await nl.setNamespace('vc', box.path, 'eth1');
    expect(link(host, 'vc')).toBeUndefined();
    expect(link(box, 'eth1')).toMatchObject({ linkinfo: { info_kind: 'veth' } });
    await nl.setNamespace('vb', box.path);
    expect(link(box, 'vb')).toBeDefined();
    expect(await nl.linkByName('nope0')).toBeUndefined();
  });

  it('adds, lists and removes addresses (ensure twice, remove twice)', async () => {
    const host = testNs();
    const nl = await Netlink.forNamespace(host.path);
    await nl.addVeth({ name: 'va', peerName: 'vb' });
    await nl.ensureAddress('va', '10.20.0.1/24');
    await nl.ensureAddress('va', '10.20.0.1/24');
    await nl.ensureAddress('va', 'fd00:20::1/64', { nodad: true });
    const ip = host.ipJson<IpAddr[]>('addr show dev va')[0]!.addr_info;
    expect(ip).toContainEqual(expect.objectContaining({ family: 'inet', local: '10.20.0.1', prefixlen: 24, broadcast: '10.20.0.255' }));
    expect(ip).toContainEqual(expect.objectContaining({ family: 'inet6', local: 'fd00:20::1', prefixlen: 64 }));
    expect(await nl.addresses('va')).toEqual(expect.arrayContaining(['10.20.0.1/24', 'fd00:20::1/64']));
    const details = await nl.addressDetails();
    expect(details).toContainEqual(expect.objectContaining({ dev: 'va', address: '10.20.0.1', prefixLen: 24, family: 4 }));
    await nl.removeAddress('va', '10.20.0.1/24');
    await nl.removeAddress('va', '10.20.0.1/24');
    await nl.removeAddress('gone0', '10.20.0.1/24');
    expect(host.ipJson<IpAddr[]>('addr show dev va')[0]!.addr_info.map((a) => a.local)).not.toContain('10.20.0.1');
    await expect(nl.addresses('gone0')).rejects.toMatchObject({ code: 'ERR_LINK_NOT_FOUND' });
  });

  it('adds, lists and removes routes: default via a gateway, scope link, metric', async () => {
    const host = testNs();
    const nl = await Netlink.forNamespace(host.path);
    await nl.addVeth({ name: 'va', peerName: 'vb' });
    await nl.setUp('va');
    await nl.ensureAddress('va', '10.30.0.2/24');
    await nl.ensureRoute({ dst: 'default', gateway: '10.30.0.1' });
    await nl.ensureRoute({ dst: 'default', gateway: '10.30.0.1' });
    await nl.ensureRoute({ dst: '10.40.0.0/16', dev: 'va' });
    await nl.ensureRoute({ dst: '10.50.0.9/16', gateway: '10.30.0.1', dev: 'va', metric: 100 }); // host bits cleared
    const ip = host.ipJson<IpRoute[]>('route show');
    expect(ip).toContainEqual(expect.objectContaining({ dst: 'default', gateway: '10.30.0.1', dev: 'va' }));
    expect(ip).toContainEqual(expect.objectContaining({ dst: '10.40.0.0/16', dev: 'va', scope: 'link' }));
    expect(ip).toContainEqual(expect.objectContaining({ dst: '10.50.0.0/16', gateway: '10.30.0.1', metric: 100 }));
    const mine = await nl.routes({ family: 4 });
    expect(mine).toContainEqual(expect.objectContaining({ dst: 'default', gateway: '10.30.0.1', dev: 'va', scope: 'universe' }));
    expect(mine).toContainEqual(expect.objectContaining({ dst: '10.40.0.0/16', dev: 'va', scope: 'link' }));
    expect(mine).toContainEqual(expect.objectContaining({ dst: '10.30.0.0/24', dev: 'va', src: '10.30.0.2', protocol: 2 }));
    await nl.removeRoute({ dst: 'default' });
    await nl.removeRoute({ dst: 'default' });
    await nl.removeRoute({ dst: '10.40.0.0/16', dev: 'va' });
    await nl.removeRoute({ dst: '10.40.0.0/16', dev: 'gone0' });
    const after = host.ipJson<IpRoute[]>('route show').map((r) => r.dst);
    expect(after).not.toContain('default');
    expect(after).not.toContain('10.40.0.0/16');
    expect(after).toContain('10.50.0.0/16');
  });

  it('pings across a veth pair, then across a bridge between two namespaces', async () => {
    const host = testNs();
    const a = testNs();
    const b = testNs();
    const nh = await Netlink.forNamespace(host.path);
    const [na, nb] = [await Netlink.forNamespace(a.path), await Netlink.forNamespace(b.path)];
    await nh.addBridge({ name: 'br0' });
    await nh.ensureAddress('br0', '172.31.0.1/24');
    await nh.setUp('br0');
    for (const [i, box, nl] of [[2, a, na], [3, b, nb]] as const) {
      await nh.addVeth({ name: `veth${i}`, peerName: 'eth0', peerNsPath: box.path });
      await nh.setMaster(`veth${i}`, 'br0');
      await nh.setUp(`veth${i}`);
      await nl.ensureAddress('eth0', `172.31.0.${i}/24`);
      await nl.setUp('eth0');
      await nl.ensureRoute({ dst: 'default', gateway: '172.31.0.1' });
    }
    expect(a.exec(['busybox', 'ping', '-c', '1', '-W', '2', '172.31.0.1']).status).toBe(0); // veth pair to the host end
    expect(a.exec(['busybox', 'ping', '-c', '1', '-W', '2', '172.31.0.3']).status).toBe(0); // across the bridge
    expect(b.exec(['busybox', 'ping', '-c', '1', '-W', '2', '172.31.0.2']).status).toBe(0);
    // The bridge learned both ends (FDB), and the host has neighbours for both.
    const fdb = await nh.fdb('br0');
    expect(fdb.length).toBeGreaterThan(0);
    const neigh = await nh.neighbours('br0');
    expect(neigh.map((n) => n.address)).toEqual(expect.arrayContaining(['172.31.0.2']));
  });

  it('makes a macvlan on a veth parent, straight into another namespace', async () => {
    const host = testNs();
    const box = testNs();
    createParentLink(host, 'phys0');
    const nl = await Netlink.forNamespace(host.path);
    await nl.addMacvlan({ name: 'mv0', parent: 'phys0', mode: 'bridge', nsPath: box.path, mtu: 1400 });
    const mv = link(box, 'mv0');
    expect(mv).toMatchObject({ mtu: 1400, linkinfo: { info_kind: 'macvlan', info_data: { mode: 'bridge' } } });
    await nl.addMacvlan({ name: 'mv1', parent: 'phys0', mode: 'private' });
    expect(link(host, 'mv1')).toMatchObject({ linkinfo: { info_kind: 'macvlan', info_data: { mode: 'private' } } });
    await expect(nl.addMacvlan({ name: 'mv2', parent: 'nope0' })).rejects.toMatchObject({ code: 'ERR_LINK_NOT_FOUND' });
  });

  it('makes a vxlan device and its FDB entries', async () => {
    const host = testNs();
    createParentLink(host, 'phys0');
    host.sh('ip addr add 192.168.77.1/24 dev phys0');
    const nl = await Netlink.forNamespace(host.path);
    await nl.addVxlan({ name: 'vx42', vni: 42, local: '192.168.77.1', port: 4789, dev: 'phys0', learning: false, mtu: 1450 });
    const vx = link(host, 'vx42');
    expect(vx).toMatchObject({ mtu: 1450, linkinfo: { info_kind: 'vxlan', info_data: { id: 42, local: '192.168.77.1', port: 4789, link: 'phys0', learning: false } } });
    await nl.ensureFdb({ dev: 'vx42', mac: '00:00:00:00:00:00', dst: '192.168.77.2' });
    await nl.ensureFdb({ dev: 'vx42', mac: '00:00:00:00:00:00', dst: '192.168.77.3' });
    await nl.ensureFdb({ dev: 'vx42', mac: '00:00:00:00:00:00', dst: '192.168.77.3' });
    await nl.ensureFdb({ dev: 'vx42', mac: '02:42:0a:00:00:05', dst: '192.168.77.2' });
    await nl.ensureFdb({ dev: 'vx42', mac: '02:42:0a:00:00:05', dst: '192.168.77.3' }); // moved: replaced
    const fdb = JSON.parse(host.sh('bridge -j fdb show dev vx42')) as { mac: string; dst?: string }[];
    expect(fdb.filter((e) => e.mac === '00:00:00:00:00:00').map((e) => e.dst).sort()).toEqual(['192.168.77.2', '192.168.77.3']);
    expect(fdb.filter((e) => e.mac === '02:42:0a:00:00:05').map((e) => e.dst)).toEqual(['192.168.77.3']);
    expect(await nl.fdb('vx42')).toContainEqual(expect.objectContaining({ mac: '02:42:0a:00:00:05', dst: '192.168.77.3', self: true }));
    await nl.removeFdb({ dev: 'vx42', mac: '02:42:0a:00:00:05' });
    await nl.removeFdb({ dev: 'vx42', mac: '02:42:0a:00:00:05' });
    expect(host.sh('bridge fdb show dev vx42')).not.toContain('02:42:0a:00:00:05');
    // Remote a.k.a. group for unicast, as `ip link add ... remote`.
    await nl.addVxlan({ name: 'vx43', vni: 43, remote: '192.168.77.9', dev: 'phys0' });
    expect(link(host, 'vx43')!.linkinfo!.info_data).toMatchObject({ id: 43, remote: '192.168.77.9' });
  });

  it('neighbour entries: add (replace), list, remove', async () => {
    const host = testNs();
    const nl = await Netlink.forNamespace(host.path);
    await nl.addVeth({ name: 'va', peerName: 'vb' });
    await nl.ensureNeighbour({ dev: 'va', address: '10.60.0.9', lladdr: '02:00:00:00:00:09' });
    await nl.ensureNeighbour({ dev: 'va', address: '10.60.0.9', lladdr: '02:00:00:00:00:0a' });
    const ip = host.ipJson<{ dst: string; lladdr: string; state: string[] }[]>('neigh show dev va');
    expect(ip).toContainEqual(expect.objectContaining({ dst: '10.60.0.9', lladdr: '02:00:00:00:00:0a', state: ['PERMANENT'] }));
    expect(await nl.neighbours('va')).toContainEqual(expect.objectContaining({ address: '10.60.0.9', lladdr: '02:00:00:00:00:0a', state: ['permanent'] }));
    await nl.removeNeighbour({ dev: 'va', address: '10.60.0.9' });
    await nl.removeNeighbour({ dev: 'va', address: '10.60.0.9' });
    expect(host.ipJson<{ dst: string }[]>('neigh show dev va').map((n) => n.dst)).not.toContain('10.60.0.9');
  });

  it('fails ipvlan with a clear error naming the missing kernel feature', async () => {
    const host = testNs();
    createParentLink(host, 'phys0');
    const nl = await Netlink.forNamespace(host.path);
    const before = host.ipJson<IpLink[]>('link').map((l) => l.ifname);
    const err = await nl.addIpvlan({ name: 'ipv0', parent: 'phys0', mode: 'l2' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EOPNOTSUPP', feature: 'ipvlan', syscall: 'RTM_NEWLINK' });
    expect((err as Error).message).toContain('ipvlan is not available in this kernel');
    expect(host.ipJson<IpLink[]>('link').map((l) => l.ifname)).toEqual(before);
  });

  it('refuses bad input with stable codes and changes nothing', async () => {
    const host = testNs();
    const nl = await Netlink.forNamespace(host.path);
    await nl.addVeth({ name: 'va', peerName: 'vb' });
    const before = host.sh('ip -j link; ip -j addr; ip -j route');
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => nl.addBridge({ name: 'a-name-longer-than-15' }), 'ERR_INVALID_IFNAME'],
      [() => nl.addVeth({ name: 'ok0', peerName: 'bad/name' }), 'ERR_INVALID_IFNAME'],
      [() => nl.addBridge({ name: 'br1', mtu: 10 }), 'ERR_INVALID_MTU'],
      [() => nl.addBridge({ name: 'br1', mac: '02:00:00:00:00' }), 'ERR_INVALID_MAC'],
      [() => nl.ensureAddress('va', '10.0.0.1'), 'ERR_INVALID_CIDR'],
      [() => nl.ensureAddress('va', '10.0.0.300/24'), 'ERR_INVALID_CIDR'],
      [() => nl.ensureAddress('va', '10.0.0.1/33'), 'ERR_INVALID_CIDR'],
      [() => nl.ensureAddress('nope0', '10.0.0.1/24'), 'ERR_LINK_NOT_FOUND'],
      [() => nl.ensureRoute({ dst: '10.0.0.0/8', gateway: 'not-an-ip' }), 'ERR_INVALID_ADDRESS'],
      [() => nl.addVxlan({ name: 'vx1', vni: 1 << 24 }), 'ERR_INVALID_VNI'],
      [() => nl.setUp('nope0'), 'ENODEV'],
      [() => nl.addVeth({ name: 'va', peerName: 'vz' }), 'EEXIST'],
    ];
    for (const [op, code] of cases) await expect(op()).rejects.toMatchObject({ code });
    expect(host.sh('ip -j link; ip -j addr; ip -j route')).toBe(before);
  });

  it('caches one socket per namespace, which keeps working from the main thread', async () => {
    const host = testNs();
    const box = testNs();
    const a = await Netlink.forNamespace(host.path);
    expect(await Netlink.forNamespace(host.path)).toBe(a);
    expect(await Netlink.forNamespace(box.path)).not.toBe(a);
    Netlink.release(host.path);
    const b = await Netlink.forNamespace(host.path);
    expect(b).not.toBe(a);
    await b.addBridge({ name: 'br9' });
    expect(link(host, 'br9')).toBeDefined();
    await expect(a.links()).rejects.toThrow(/closed/);
  });
});
