import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { ControllerEvent } from './events.js';
import { fakeWorld } from './testing.js';

const peerOf = (w: Awaited<ReturnType<typeof fakeWorld>>, nsPath: string) => w.kernel.linksOf(nsPath).filter((l) => l.name !== 'lo');

describe('Controller on the in-memory kernel', () => {
  it('starts with the predefined networks and the default bridge device', async () => {
    const w = await fakeWorld({ defaultBridge: { bip: '172.31.0.1/16' } });
    expect(w.controller.networks().map((n) => [n.name, n.driver])).toEqual([['bridge', 'bridge'], ['host', 'host'], ['none', 'null']]);
    const br = w.kernel.linksOf().find((l) => l.name === 'tsnet0');
    expect(br?.kind).toBe('bridge');
    expect(br?.up).toBe(true);
    expect([...br!.addresses]).toEqual(['172.31.0.1/16']);
    expect(w.firewall.state.networks.map((n) => n.bridge)).toEqual(['tsnet0']);
    const inspect = w.controller.inspectNetwork('bridge');
    expect(inspect.IPAM.Config).toEqual([{ Subnet: '172.31.0.0/16', Gateway: '172.31.0.1' }]);
    expect(inspect.Options['com.docker.network.bridge.name']).toBe('tsnet0');
  });

  it('creates a user network, finds it by name, id and prefix, and shows Docker\'s inspect shape', async () => {
    const w = await fakeWorld();
    const net = await w.controller.createNetwork({
      name: 'web',
      options: { 'com.docker.network.bridge.name': 'brweb', 'com.example.unknown': 'kept' },
      labels: { team: 'a' },
      ipam: { config: [{ subnet: '10.10.10.0/24', ipRange: '10.10.10.128/25', gateway: '10.10.10.254', auxAddresses: { printer: '10.10.10.5' } }] },
    });
    expect(w.controller.network('web').id).toBe(net.id);
    expect(w.controller.network(net.id).name).toBe('web');
    expect(w.controller.network(net.id.slice(0, 5)).name).toBe('web');
    expect(w.kernel.linksOf().find((l) => l.name === 'brweb')?.addresses.has('10.10.10.254/24')).toBe(true);
    const i = w.controller.inspectNetwork('web');
    expect(i).toMatchObject({
      Name: 'web',
      Id: net.id,
      Scope: 'local',
      Driver: 'bridge',
      EnableIPv6: false,
      Internal: false,
      Attachable: false,
      Containers: {},
      Labels: { team: 'a' },
      Options: { 'com.docker.network.bridge.name': 'brweb', 'com.example.unknown': 'kept' },
      IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: '10.10.10.0/24', Gateway: '10.10.10.254', IPRange: '10.10.10.128/25', AuxiliaryAddresses: { printer: '10.10.10.5' } }] },
    });
  });

  it('picks subnets from the default pools without overlapping', async () => {
    const w = await fakeWorld({ defaultAddressPools: [{ base: '10.77.0.0/16', size: 24 }] });
    const a = await w.controller.createNetwork({ name: 'a' });
    const b = await w.controller.createNetwork({ name: 'b' });
    expect(a.pools[0]?.pool).not.toBe(b.pools[0]?.pool);
    expect(b.pools[0]?.pool).toMatch(/^10\.77\.\d+\.0\/24$/);
  });

  it('default pools skip host routes and the host\'s nameservers', async () => {
    const w = await fakeWorld({ defaultAddressPools: [{ base: '192.0.0.0/22', size: 24 }] });
    (await w.kernel.ns(undefined)).ensureRoute({ dst: '192.0.0.0/24', dev: 'tsnet0' });
    // The host resolv.conf of fakeWorld names 192.0.2.53.
    const a = await w.controller.createNetwork({ name: 'a' });
    expect(a.pools[0]?.pool).toBe('192.0.1.0/24');
    const b = await w.controller.createNetwork({ name: 'b' });
    expect(b.pools[0]?.pool).toBe('192.0.3.0/24');
  });

  it('connects: veth into the sandbox as eth0, MAC from IP, default route, files, events', async () => {
    const w = await fakeWorld();
    await w.controller.createNetwork({ name: 'app', ipam: { config: [{ subnet: '10.20.0.0/24' }] } });
    const events: ControllerEvent[] = [];
    w.controller.events.subscribe((e) => events.push(e));
    const sb = await w.controller.createSandbox({ containerId: 'c1'.padEnd(64, '0'), containerName: '/web1', hostname: 'web1' });
    const ep = await sb.connect('app', { aliases: ['www'] });
    expect(ep.ipv4).toBe('10.20.0.2/24');
    expect(ep.macAddress).toBe('02:42:0a:14:00:02');
    const [eth0] = peerOf(w, sb.nsPath);
    expect(eth0).toMatchObject({ name: 'eth0', kind: 'veth', up: true, mac: '02:42:0a:14:00:02' });
    expect([...eth0!.addresses]).toEqual(['10.20.0.2/24']);
    expect(w.kernel.routesOf(sb.nsPath)).toEqual([{ dst: 'default', gateway: '10.20.0.1', dev: 'eth0' }]);
    const veth = w.kernel.linksOf().find((l) => l.name === ep.hostIfName);
    expect(veth?.master).toMatch(/^br-[0-9a-f]{12}$/);
    expect(readFileSync(sb.files.resolvConf, 'utf8')).toBe('nameserver 127.0.0.11\nsearch example.com\noptions ndots:0\n');
    expect(sb.upstreams()).toEqual(['192.0.2.53']);
    expect(readFileSync(sb.files.hosts, 'utf8')).toContain('10.20.0.2\tweb1\n');
    expect(readFileSync(sb.files.hostname, 'utf8')).toBe('web1\n');
    expect(events.map((e) => e.type)).toEqual(['sandbox.create', 'endpoint.create', 'endpoint.join']);
    const join = events[2]!;
    expect(join.type === 'endpoint.join' && join.endpoint).toMatchObject({ ipv4: '10.20.0.2', aliases: ['www'], ifName: 'eth0' });
    expect(w.controller.inspectNetwork('app').Containers).toEqual({
      ['c1'.padEnd(64, '0')]: { Name: 'web1', EndpointID: ep.id, MacAddress: '02:42:0a:14:00:02', IPv4Address: '10.20.0.2/24', IPv6Address: '' },
    });
  });

  it('second network is eth1; the route moves when the gateway network leaves; internal gives no route', async () => {
    const w = await fakeWorld();
    await w.controller.createNetwork({ name: 'int', internal: true, ipam: { config: [{ subnet: '10.30.0.0/24' }] } });
    await w.controller.createNetwork({ name: 'ext', ipam: { config: [{ subnet: '10.31.0.0/24' }] } });
    const sb = await w.controller.createSandbox({ containerId: 'c2' });
    await sb.connect('int');
    expect(w.kernel.routesOf(sb.nsPath)).toEqual([]);
    await sb.connect('ext', { ipv4Address: '10.31.0.77' });
    expect(peerOf(w, sb.nsPath).map((l) => l.name).sort()).toEqual(['eth0', 'eth1']);
    expect(w.kernel.routesOf(sb.nsPath)).toEqual([{ dst: 'default', gateway: '10.31.0.1', dev: 'eth1' }]);
    await sb.disconnect('ext');
    await w.controller.settle();
    expect(peerOf(w, sb.nsPath).map((l) => l.name)).toEqual(['eth0']);
    expect(w.kernel.routesOf(sb.nsPath)).toEqual([]);
    expect((await w.ipam.poolInfo(w.controller.network('ext').pools[0]!.poolId)).addresses).toEqual(['10.31.0.1']);
  });

  it('default gateway as epHeap: the network whose name sorts first, moving on connect/disconnect (F8)', async () => {
    const w = await fakeWorld();
    await w.controller.createNetwork({ name: 'n2', ipam: { config: [{ subnet: '10.32.2.0/24' }] } });
    await w.controller.createNetwork({ name: 'n1', ipam: { config: [{ subnet: '10.32.1.0/24' }] } });
    await w.controller.createNetwork({ name: 'a-int', internal: true, ipam: { config: [{ subnet: '10.32.3.0/24' }] } });
    const sb = await w.controller.createSandbox({ containerId: 'c8' });
    await sb.connect('n2');
    expect(w.kernel.routesOf(sb.nsPath)).toEqual([{ dst: 'default', gateway: '10.32.2.1', dev: 'eth0' }]);
    await sb.connect('n1'); // n1 < n2: the route moves to eth1
    expect(w.kernel.routesOf(sb.nsPath)).toEqual([{ dst: 'default', gateway: '10.32.1.1', dev: 'eth1' }]);
    await sb.connect('a-int'); // sorts first, but an internal network never provides it
    expect(w.kernel.routesOf(sb.nsPath)).toEqual([{ dst: 'default', gateway: '10.32.1.1', dev: 'eth1' }]);
    await sb.disconnect('n1');
    expect(w.kernel.routesOf(sb.nsPath)).toEqual([{ dst: 'default', gateway: '10.32.2.1', dev: 'eth0' }]);
  });

  it('sandboxes start with IPv6 disabled; lo follows whether an endpoint has IPv6 (F3)', async () => {
    const w = await fakeWorld();
    await w.controller.createNetwork({ name: 'v6', enableIPv6: true, ipam: { config: [{ subnet: '10.33.0.0/24' }, { subnet: 'fd33::/64' }] } });
    const sb = await w.controller.createSandbox({ containerId: 'c9' });
    expect(w.kernel.readSysctl(sb.nsPath, 'net.ipv6.conf.all.disable_ipv6')).toBe('1');
    await sb.connect('bridge');
    expect(w.kernel.readSysctl(sb.nsPath, 'net.ipv6.conf.lo.disable_ipv6')).toBe('1');
    await sb.connect('v6');
    expect(w.kernel.readSysctl(sb.nsPath, 'net.ipv6.conf.eth1.disable_ipv6')).toBe('0');
    expect(w.kernel.readSysctl(sb.nsPath, 'net.ipv6.conf.lo.disable_ipv6')).toBe('0');
    await sb.disconnect('v6');
    expect(w.kernel.readSysctl(sb.nsPath, 'net.ipv6.conf.lo.disable_ipv6')).toBe('1');
  });

  it('publishes ports into the firewall state and gives them back on disconnect', async () => {
    const w = await fakeWorld();
    const sb = await w.controller.createSandbox({ containerId: 'c3', containerName: 'pub' });
    await sb.connect('bridge', {
      portBindings: [{ proto: 'tcp', containerPort: 80, hostPort: 8080 }],
      exposedPorts: [{ proto: 'tcp', port: 80 }, { proto: 'udp', port: 53 }],
      publishAll: true,
    });
    const maps = w.firewall.state.portMappings.map((m) => `${m.proto}:${m.hostPort}->${m.containerIp}:${m.containerPort}`);
    expect(maps[0]).toBe('tcp:8080->172.17.0.2:80');
    expect(maps[1]).toMatch(/^udp:\d+->172\.17\.0\.2:53$/);
    await sb.disconnect('bridge');
    expect(w.firewall.state.portMappings).toEqual([]);
    const sb2 = await w.controller.createSandbox({ containerId: 'c4' });
    await sb2.connect('bridge', { portBindings: [{ proto: 'tcp', containerPort: 80, hostPort: 8080 }] });
  });

  it('publishes nothing on an internal network, as Docker (no reservation, no DNAT, port free)', async () => {
    const w = await fakeWorld();
    await w.controller.createNetwork({ name: 'closed', internal: true, ipam: { config: [{ subnet: '10.41.0.0/24' }] } });
    const sb = await w.controller.createSandbox({ containerId: 'c8', containerName: 'shut' });
    const ep = await sb.connect('closed', { portBindings: [{ proto: 'tcp', containerPort: 80, hostPort: 8181 }] });
    expect(ep.ports).toEqual([]);
    expect(w.firewall.state.portMappings).toEqual([]);
    const other = await w.controller.createSandbox({ containerId: 'c9' });
    await other.connect('bridge', { portBindings: [{ proto: 'tcp', containerPort: 80, hostPort: 8181 }] });
    expect(w.firewall.state.portMappings.map((m) => m.hostPort)).toEqual([8181]);
  });

  it('container:<id> shares the sandbox, refcounted; host and none', async () => {
    const w = await fakeWorld();
    const a = await w.controller.createSandbox({ containerId: 'owner' });
    await a.connect('bridge');
    const b = await w.controller.createSandbox({ containerId: 'guest', shareWith: 'owner' });
    expect(b.id).toBe(a.id);
    expect(await w.controller.deleteSandbox(a.id, 'owner')).toBe(false);
    expect(w.kernel.namedNetns()).toContain(a.record.nsName);
    expect(await w.controller.deleteSandbox(a.id, 'guest')).toBe(true);
    expect(w.kernel.namedNetns()).toEqual([]);
    const h = await w.controller.createSandbox({ containerId: 'h', mode: 'host' });
    await h.connect('host');
    await expect(h.connect('bridge')).rejects.toMatchObject({ code: 'ERR_HOST_NETWORK_MODE' });
    const n = await w.controller.createSandbox({ containerId: 'n' });
    await n.connect('none');
    expect(peerOf(w, n.nsPath)).toEqual([]);
    await expect(n.connect('bridge')).rejects.toMatchObject({ code: 'ERR_NONE_NETWORK_EXCLUSIVE' });
    // destroyAll releases a shared sandbox for every user.
    const shared = await w.controller.createSandbox({ containerId: 'o2' });
    await w.controller.createSandbox({ containerId: 'g2', shareWith: 'o2' });
    await w.controller.destroyAll();
    expect(w.kernel.namedNetns()).toEqual([]);
    expect(() => shared.record).toThrow(expect.objectContaining({ code: 'ERR_SANDBOX_GONE' }));
  });

  it('refuses deleting a network in use, naming the endpoints; prune removes unused ones', async () => {
    const w = await fakeWorld();
    await w.controller.createNetwork({ name: 'busy' });
    await w.controller.createNetwork({ name: 'idle', labels: { x: '1' } });
    const sb = await w.controller.createSandbox({ containerId: 'c5', containerName: 'db' });
    await sb.connect('busy');
    await expect(w.controller.deleteNetwork('busy')).rejects.toMatchObject({ code: 'ERR_NETWORK_IN_USE', message: 'network "busy" has active endpoints: db' });
    await expect(w.controller.deleteNetwork('bridge')).rejects.toMatchObject({ code: 'ERR_NETWORK_PREDEFINED' });
    expect(await w.controller.pruneNetworks()).toEqual(['idle']);
    await sb.delete();
    await w.controller.deleteNetwork('busy');
    await w.controller.settle();
    expect(w.kernel.linksOf().map((l) => l.name)).toEqual(['tsnet0']);
  });

  it('restores everything after a restart', async () => {
    const w = await fakeWorld();
    await w.controller.createNetwork({ name: 'keep', ipam: { config: [{ subnet: '10.40.0.0/24' }] } });
    const sb = await w.controller.createSandbox({ containerId: 'c6', containerName: 'k' });
    const ep = await sb.connect('keep', { portBindings: [{ proto: 'tcp', containerPort: 80, hostPort: 9090 }] });
    const c2 = await w.restart();
    expect(c2.network('keep').id).toBe(w.controller.network('keep').id);
    expect(c2.endpoints().map((e) => e.id)).toEqual([ep.id]);
    expect(w.firewall.state.portMappings.map((m) => m.hostPort)).toEqual([9090]);
    const sb2 = await c2.createSandbox({ containerId: 'c7' });
    expect((await sb2.connect('keep')).ipv4).toBe('10.40.0.3/24');
  });

  it('restore removes a sandbox namespace and files that no record claims', async () => {
    const w = await fakeWorld();
    const { mkdirSync, existsSync } = await import('node:fs');
    const { join } = await import('node:path');
    const id = 'f'.repeat(64);
    w.kernel.createNamedNetns(`tsnet-${id.slice(0, 12)}`);
    mkdirSync(join(w.dataDir, 'sandboxes', id), { recursive: true });
    await w.restart();
    expect(w.kernel.namedNetns()).toEqual([]);
    expect(existsSync(join(w.dataDir, 'sandboxes', id))).toBe(false);
  });

  it('a deleted network\'s bridge is retired without its gateway address (the subnet is free at once)', async () => {
    const w = await fakeWorld();
    await w.controller.createNetwork({ name: 'gone', ipam: { config: [{ subnet: '10.42.0.0/24' }] } });
    await w.controller.deleteNetwork('gone');
    const host = await w.kernel.ns(undefined);
    const retired = (await host.links()).filter((l) => /^tsnetgc/.test(l.name));
    for (const l of retired) expect(await host.addresses(l.name)).toEqual([]);
    expect(retired.length).toBeGreaterThan(0);
    await w.controller.createNetwork({ name: 'again', ipam: { config: [{ subnet: '10.42.0.0/24' }] } });
    const holders = [];
    for (const l of await host.links()) if ((await host.addresses(l.name)).includes('10.42.0.1/24')) holders.push(l.name);
    expect(holders).toHaveLength(1);
    expect(holders[0]).not.toMatch(/^tsnetgc/);
  });

  it('disconnect retires the veth at once and deletes it in the background; a restart deletes leftovers', async () => {
    const w = await fakeWorld();
    const events: ControllerEvent[] = [];
    w.controller.events.subscribe((e) => events.push(e));
    const sb = await w.controller.createSandbox({ containerId: 'r1', containerName: 'r1' });
    const ep = await sb.connect('bridge');
    events.length = 0;
    await sb.disconnect('bridge');
    expect(events.map((e) => e.type)).toEqual(['endpoint.leave', 'endpoint.delete']);
    const hostLinks = () => w.kernel.linksOf().map((l) => l.name);
    expect(hostLinks()).not.toContain(ep.hostIfName);
    expect(hostLinks().some((n) => /^tsnetgc[0-9a-f]{8}$/.test(n))).toBe(true);
    expect(peerOf(w, sb.nsPath).map((l) => l.up)).toEqual([false]);
    await w.controller.settle();
    expect(hostLinks()).toEqual(['tsnet0']);
    // A retired link left by a crash is deleted by the next start.
    const host = await w.kernel.ns(undefined);
    await host.addVeth({ name: 'tsnetgc0badf00d', peerName: 'x0' });
    const c2 = await w.restart();
    expect(hostLinks()).toEqual(['tsnet0']);
    c2.events.subscribe((e) => events.push(e));
    await c2.deleteSandbox(sb.id);
    expect(events.map((e) => e.type).slice(-1)).toEqual(['sandbox.delete']);
  });
});
