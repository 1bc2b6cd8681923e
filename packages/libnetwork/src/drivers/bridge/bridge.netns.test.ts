import { afterEach, beforeEach, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createParentLink, describeNetns, trackedTestNs, type TestNs } from '@tsnet/testkit';
import { inNs, ipJsonIn, netnsWorld, ping, reaches, tcpExchange, type NetnsWorld } from '../../controller/testing-netns.js';

interface IpAddr { ifname: string; address?: string; operstate: string; master?: string; link_type?: string; addr_info: Array<{ family: string; local: string; prefixlen: number }> }

/** Link names without `tsnetgc*`: links already retired by earlier steps, deleted in the background. */
const liveLinks = (links: IpAddr[]): string[] => links.map((l) => l.ifname).filter((n) => !n.startsWith('tsnetgc'));

/** tsnet's rules as the kernel lists them (nft or iptables-save), for before/after comparisons. */
function rules(w: NetnsWorld, backend: string): string {
  if (backend === 'nftables') return w.host.sh('nft list ruleset').replace(/packets \d+ bytes \d+/g, '');
  return w.host.sh('iptables-save').split('\n').filter((l) => !l.startsWith('#')).join('\n').replace(/\[\d+:\d+\]/g, '');
}

for (const backend of ['nftables', 'iptables'] as const) {
  describeNetns(`bridge driver (${backend})`, () => {
    let w: NetnsWorld;
    let outside: TestNs;
    beforeEach(async () => {
      w = await netnsWorld(backend, { defaultBridge: { bip: '172.30.0.1/16' } });
      // An "outside" host reachable through the test host's eth0, for published ports.
      outside = trackedTestNs();
      createParentLink(w.host, 'eth0', outside, 'ext0');
      w.host.sh('ip addr add 192.0.2.1/24 dev eth0');
      outside.sh('ip addr add 192.0.2.2/24 dev ext0');
    });
    afterEach(async () => {
      await w.destroy();
      outside.destroy();
    });

    it('sets up, carries traffic, and tears down to nothing', async () => {
      const c = w.controller;
      const before = { links: liveLinks(w.host.ipJson<IpAddr[]>('link show')).sort() };
      const net = await c.createNetwork({ name: 'app', options: { 'com.docker.network.bridge.name': 'brapp' }, ipam: { config: [{ subnet: '10.10.10.0/24' }] } });
      const [br] = w.host.ipJson<IpAddr[]>('addr show brapp');
      expect(br?.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`)).toEqual(['10.10.10.1/24']);
      expect(w.host.ipJson<Array<{ linkinfo?: { info_kind: string } }>>('-d link show brapp')[0]?.linkinfo?.info_kind).toBe('bridge');

      const a = await c.createSandbox({ containerId: 'a'.repeat(64), containerName: 'a', hostname: 'a' });
      const b = await c.createSandbox({ containerId: 'b'.repeat(64), containerName: 'b', hostname: 'b' });
      const epA = await a.connect('app', { ipv4Address: '10.10.10.51' });
      await b.connect('app');
      const [eth0] = ipJsonIn<IpAddr[]>(a.nsPath, 'addr show eth0');
      expect(eth0?.address).toBe('02:42:0a:0a:0a:33');
      expect(eth0?.addr_info.filter((x) => x.family === 'inet').map((x) => x.local)).toEqual(['10.10.10.51']);
      expect(ipJsonIn<Array<{ dst: string; gateway?: string }>>(a.nsPath, 'route show default')).toEqual([expect.objectContaining({ dst: 'default', gateway: '10.10.10.1' })]);
      const [veth] = w.host.ipJson<IpAddr[]>(`link show ${epA.hostIfName}`);
      expect(veth?.master).toBe('brapp');
      expect(epA.hostIfName).toMatch(/^veth[0-9a-f]{7}$/);

      expect(reaches(a.nsPath, '10.10.10.2')).toBe(true);
      expect(await tcpExchange(b.nsPath, 5000, a.nsPath, '10.10.10.2', 5000, 'hello-b')).toBe('hello-b');
      expect(readFileSync(a.files.hosts, 'utf8')).toContain('10.10.10.51\ta\n');
      expect(readFileSync(a.files.resolvConf, 'utf8')).toBe('nameserver 127.0.0.11\nsearch example.com\noptions ndots:0\n');
      expect(c.inspectNetwork(net.id).Containers['a'.repeat(64)]?.IPv4Address).toBe('10.10.10.51/24');

      await a.disconnect('app');
      // Out of service at once (the container's side is down, the host side renamed away)...
      expect(w.host.exec(['ip', 'link', 'show', epA.hostIfName]).status).not.toBe(0);
      expect(ping(b.nsPath, '10.10.10.51')).toBe(false);
      // ...and deleted from the kernel in the background.
      await c.settle();
      expect(ipJsonIn<IpAddr[]>(a.nsPath, 'link show').map((l) => l.ifname)).toEqual(['lo']);
      await a.delete();
      await b.delete();
      await c.deleteNetwork('app');
      expect(w.host.exec(['ip', 'link', 'show', 'brapp']).status).not.toBe(0);
      await c.settle();
      expect(liveLinks(w.host.ipJson<IpAddr[]>('link show')).sort()).toEqual(before.links);
      expect(rules(w, backend)).not.toContain('10.10.10.0/24');
    });

    it('publishes a port: from outside, from the host\'s 127.0.0.1, and hairpin from a container', async () => {
      const c = w.controller;
      await c.createNetwork({ name: 'pub', ipam: { config: [{ subnet: '10.11.0.0/24' }] } });
      const srv = await c.createSandbox({ containerId: 'srv', containerName: 'srv' });
      const cli = await c.createSandbox({ containerId: 'cli', containerName: 'cli' });
      await srv.connect('pub', { portBindings: [{ proto: 'tcp', containerPort: 80, hostPort: 8080 }] });
      await cli.connect('pub');
      outside.sh('ip route add default via 192.0.2.1');
      expect(await tcpExchange(srv.nsPath, 80, outside.path, '192.0.2.1', 8080, 'from-outside')).toBe('from-outside');
      expect(await tcpExchange(srv.nsPath, 80, w.host.path, '127.0.0.1', 8080, 'from-loopback')).toBe('from-loopback');
      expect(await tcpExchange(srv.nsPath, 80, cli.nsPath, '192.0.2.1', 8080, 'hairpin')).toBe('hairpin');
      expect(await tcpExchange(srv.nsPath, 80, srv.nsPath, '192.0.2.1', 8080, 'self-hairpin')).toBe('self-hairpin');
      // The host port is held: a second publisher is refused, naming the port; nothing changes.
      const other = await c.createSandbox({ containerId: 'other' });
      const rulesBefore = rules(w, backend);
      await expect(other.connect('pub', { portBindings: [{ proto: 'tcp', containerPort: 80, hostPort: 8080 }] })).rejects.toMatchObject({
        code: 'ERR_PORT_IN_USE',
        message: expect.stringContaining('8080'),
      });
      expect(rules(w, backend)).toBe(rulesBefore);
      expect(ipJsonIn<IpAddr[]>(other.nsPath, 'link show').map((l) => l.ifname)).toEqual(['lo']);
      await srv.disconnect('pub');
      expect(rules(w, backend)).not.toMatch(/8080/);
    });

    it('isolates networks, enforces enable_icc=false, and internal networks have no way out', async () => {
      const c = w.controller;
      await c.createNetwork({ name: 'n1', ipam: { config: [{ subnet: '10.12.1.0/24' }] } });
      await c.createNetwork({ name: 'n2', ipam: { config: [{ subnet: '10.12.2.0/24' }] } });
      await c.createNetwork({ name: 'noicc', options: { 'com.docker.network.bridge.enable_icc': 'false' }, ipam: { config: [{ subnet: '10.12.3.0/24' }] } });
      await c.createNetwork({ name: 'int', internal: true, ipam: { config: [{ subnet: '10.12.4.0/24' }] } });
      const s = async (id: string) => c.createSandbox({ containerId: id });
      const [x1, x2, q1, q2, i1, i2] = await Promise.all(['x1', 'x2', 'q1', 'q2', 'i1', 'i2'].map(s));
      await x1!.connect('n1');
      await x2!.connect('n2');
      await q1!.connect('noicc');
      await q2!.connect('noicc');
      await i1!.connect('int');
      await i2!.connect('int');
      outside.sh('ip route add default via 192.0.2.1');
      expect(ping(x1!.nsPath, '10.12.2.2')).toBe(false);
      expect(reaches(x1!.nsPath, '192.0.2.2')).toBe(true); // masqueraded out through eth0
      expect(ping(q1!.nsPath, '10.12.3.3')).toBe(false);
      expect(reaches(q1!.nsPath, '10.12.3.1')).toBe(true);
      expect(reaches(i1!.nsPath, '10.12.4.3')).toBe(true);
      expect(ipJsonIn<unknown[]>(i1!.nsPath, 'route show default')).toEqual([]);
      expect(ping(i1!.nsPath, '192.0.2.2')).toBe(false);
      // enable_ip_masquerade=false: packets leave with the container's address, and the outside
      // host (which has no route back to that subnet) cannot answer.
      await c.createNetwork({ name: 'nomasq', options: { 'com.docker.network.bridge.enable_ip_masquerade': 'false' }, ipam: { config: [{ subnet: '10.12.5.0/24' }] } });
      const m1 = await s('m1');
      await m1.connect('nomasq');
      outside.sh('ip route del default');
      expect(reaches(x1!.nsPath, '192.0.2.2')).toBe(true); // masqueraded: replies go to 192.0.2.1
      expect(ping(m1.nsPath, '192.0.2.2')).toBe(false);
      outside.sh('ip route add 10.12.5.0/24 via 192.0.2.1');
      expect(reaches(m1.nsPath, '192.0.2.2')).toBe(true);
      // Connecting x1 to n2 as well makes x2 reachable, on eth1.
      await x1!.connect('n2');
      expect(ipJsonIn<IpAddr[]>(x1!.nsPath, 'link show').map((l) => l.ifname).sort()).toEqual(['eth0', 'eth1', 'lo']);
      expect(reaches(x1!.nsPath, '10.12.2.2')).toBe(true);
    });

    it('default bridge: tsnet0 from bip, legacy links in /etc/hosts, no embedded DNS', async () => {
      const c = w.controller;
      const [br] = w.host.ipJson<IpAddr[]>('addr show tsnet0');
      expect(br?.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`)).toEqual(['172.30.0.1/16']);
      const db = await c.createSandbox({ containerId: 'd'.repeat(64), containerName: 'db', hostname: 'dbhost' });
      await db.connect('bridge', { exposedPorts: [{ proto: 'tcp', port: 5432 }] });
      const web = await c.createSandbox({ containerId: 'e'.repeat(64), containerName: 'web' });
      await web.connect('bridge', { links: [{ container: 'db', alias: 'database' }] });
      expect(readFileSync(web.files.hosts, 'utf8')).toContain('172.30.0.2\tdatabase dbhost db\n');
      expect(readFileSync(web.files.resolvConf, 'utf8')).toBe('nameserver 192.0.2.53\nsearch example.com\n');
      expect(reaches(web.nsPath, '172.30.0.2')).toBe(true);
    });
  });
}

describeNetns('host and none drivers, embedded resolver, restart', () => {
  let w: NetnsWorld;
  beforeEach(async () => {
    w = await netnsWorld('nftables');
  });
  afterEach(async () => {
    await w.destroy();
  });

  it('none: only lo; host: the host namespace, nothing created', async () => {
    const before = liveLinks(w.host.ipJson<IpAddr[]>('link show'));
    const n = await w.controller.createSandbox({ containerId: 'n' });
    await n.connect('none');
    expect(ipJsonIn<IpAddr[]>(n.nsPath, 'link show').map((l) => l.ifname)).toEqual(['lo']);
    const h = await w.controller.createSandbox({ containerId: 'h', mode: 'host' });
    await h.connect('host');
    expect(h.nsPath).toBe(w.host.path);
    expect(liveLinks(w.host.ipJson<IpAddr[]>('link show'))).toEqual(before);
    expect(readFileSync(h.files.resolvConf, 'utf8')).toBe(readFileSync(w.hostResolvConf, 'utf8'));
    expect(Object.keys(w.controller.inspectNetwork('host').Containers)).toEqual(['h']);
  });

  it('embedded resolver: sockets on 127.0.0.11 inside the sandbox, port 53 DNATed to them', async () => {
    const dgram = await import('node:dgram');
    await w.controller.createNetwork({ name: 'dns', ipam: { config: [{ subnet: '10.13.0.0/24' }] } });
    const sb = await w.controller.createSandbox({ containerId: 'r' });
    await sb.connect('dns');
    const r = await sb.enableEmbeddedResolver();
    expect(r.upstreams).toEqual(['192.0.2.53']);
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => sock.bind({ fd: r.udpFd }, resolve));
    // Answer every query with an empty NOERROR response (QR bit set, same id and question).
    sock.on('message', (msg, rinfo) => {
      const reply = Buffer.from(msg);
      reply[2] = (reply[2]! | 0x80) & 0xfd;
      reply[3] = 0x80;
      sock.send(reply, rinfo.port, rinfo.address);
    });
    try {
      const { spawn } = await import('node:child_process');
      const dig = spawn('nsenter', [`--net=${sb.nsPath}`, '--', 'dig', '@127.0.0.11', '+tries=1', '+time=2', 'x.example']);
      let out = '';
      dig.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise((resolve) => dig.on('exit', resolve));
      expect(out).toContain('status: NOERROR');
      expect(out).toContain('SERVER: 127.0.0.11#53');
    } finally {
      sock.close();
    }
  });

  it('restart restores networks and endpoints and keeps traffic flowing', async () => {
    await w.controller.createNetwork({ name: 'keep', ipam: { config: [{ subnet: '10.14.0.0/24' }] } });
    const a = await w.controller.createSandbox({ containerId: 'ka' });
    const b = await w.controller.createSandbox({ containerId: 'kb' });
    await a.connect('keep');
    await b.connect('keep', { portBindings: [{ proto: 'tcp', containerPort: 80, hostPort: 8081 }] });
    const c2 = await w.restart();
    expect(c2.endpoints()).toHaveLength(2);
    expect(reaches(a.nsPath, '10.14.0.3')).toBe(true);
    const held = await c2.createSandbox({ containerId: 'kc' });
    await expect(held.connect('keep', { portBindings: [{ proto: 'tcp', containerPort: 80, hostPort: 8081 }] })).rejects.toMatchObject({ code: 'ERR_PORT_IN_USE' });
    expect(inNs(w.host.path, ['nft', 'list', 'ruleset']).stdout).toContain('8081');
  });

  it('userland-proxy on: 127.0.0.1 is served by a proxy process holding the port', async () => {
    await w.destroy();
    w = await netnsWorld('nftables', { userlandProxy: true });
    await w.controller.createNetwork({ name: 'px', ipam: { config: [{ subnet: '10.15.0.0/24' }] } });
    const srv = await w.controller.createSandbox({ containerId: 'px' });
    await srv.connect('px', { portBindings: [{ proto: 'tcp', containerPort: 80, hostPort: 8082 }] });
    expect(await tcpExchange(srv.nsPath, 80, w.host.path, '127.0.0.1', 8082, 'via-proxy')).toBe('via-proxy');
    await srv.disconnect('px');
    expect(await tcpExchange(srv.nsPath, 80, w.host.path, '127.0.0.1', 8082, 'gone')).toBe('');
  });

  it('IPv6: dual-stack addresses, gateway on the bridge, default route, ping6 between containers', async () => {
    await w.controller.createNetwork({ name: 'v6', enableIPv6: true, ipam: { config: [{ subnet: '10.16.0.0/24' }, { subnet: 'fd00:16::/64' }] } });
    const a = await w.controller.createSandbox({ containerId: 'v6a' });
    const b = await w.controller.createSandbox({ containerId: 'v6b' });
    const ea = await a.connect('v6');
    const eb = await b.connect('v6');
    expect([ea.ipv6, eb.ipv6]).toEqual(['fd00:16::2/64', 'fd00:16::3/64']);
    const [br] = w.host.ipJson<IpAddr[]>(`addr show ${(w.controller.network('v6').driverConfig as { bridgeName: string }).bridgeName}`);
    expect(br?.addr_info.filter((x) => x.family === 'inet6' && !x.local.startsWith('fe80')).map((x) => x.local)).toEqual(['fd00:16::1']);
    const [eth0] = ipJsonIn<IpAddr[]>(a.nsPath, 'addr show eth0');
    expect(eth0?.addr_info.filter((x) => x.family === 'inet6' && !x.local.startsWith('fe80')).map((x) => x.local)).toEqual(['fd00:16::2']);
    expect(ipJsonIn<Array<{ dst: string; gateway?: string }>>(a.nsPath, '-6 route show default')).toEqual([expect.objectContaining({ gateway: 'fd00:16::1' })]);
    expect(inNs(a.nsPath, ['busybox', 'ping', '-6', '-c', '1', '-W', '2', 'fd00:16::3']).status).toBe(0);
    expect(w.controller.inspectNetwork('v6').IPAM.Config.map((c) => c.Subnet)).toEqual(['10.16.0.0/24', 'fd00:16::/64']);
  });

  it('a full bridge (1023 ports, the kernel limit) refuses the next connect with ERR_BRIDGE_FULL, nothing changed', async () => {
    await w.controller.createNetwork({ name: 'full', options: { 'com.docker.network.bridge.name': 'brfull' }, ipam: { config: [{ subnet: '10.17.0.0/24' }] } });
    // Fill the bridge cheaply with plain veths (one batch), then ask for one more port.
    const batch = [...Array(1023).keys()].flatMap((i) => [`link add f${i} type veth peer name g${i}`, `link set f${i} master brfull`]).join('\n');
    expect(w.host.exec(['ip', '-batch', '-'], { input: batch, timeoutMs: 120_000 }).status).toBe(0);
    const sb = await w.controller.createSandbox({ containerId: 'full' });
    const links = liveLinks(w.host.ipJson<IpAddr[]>('link show')).length;
    await expect(sb.connect('full')).rejects.toMatchObject({ code: 'ERR_BRIDGE_FULL', message: expect.stringMatching(/brfull.*1023/) });
    await w.controller.settle();
    expect(liveLinks(w.host.ipJson<IpAddr[]>('link show')).length).toBe(links);
    expect(ipJsonIn<IpAddr[]>(sb.nsPath, 'link show').map((l) => l.ifname)).toEqual(['lo']);
    expect(w.controller.endpoints()).toEqual([]);
  });
});
