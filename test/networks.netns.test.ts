/**
 * SCENARIOS.md "Networks" and "Names and resolver files" through the real docker CLI against tsnetd,
 * checked on the kernel (ip -j in the daemon's namespace), on files and with real packets.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNetns } from '@tsnet/testkit';
import { startTsnetd, until, type Tsnetd } from './support/tsnetd.js';

describeNetns('tsnetd networks (docker CLI)', () => {
  let d: Tsnetd;
  beforeAll(async () => {
    d = await startTsnetd();
  });
  afterAll(async () => {
    await d?.destroy();
  });

  const ping = (from: string, to: string): boolean => d.exec(from, `ping -c1 -W1 ${to}`).status === 0;
  // Positive checks retry: under load a first packet can be lost (neighbour resolution, a veth coming
  // up). Negative checks stay a single strict ping.
  const reaches = (from: string, to: string): boolean => [1, 2, 3].some(() => d.exec(from, `ping -c1 -W2 ${to}`).status === 0);
  const ipOf = (c: string, net: string): string => d.dockerOk(['inspect', '-f', `{{.NetworkSettings.Networks.${net}.IPAddress}}`, c]);

  it('network create with a bridge name makes that Linux bridge holding the gateway; --ip gives exactly that address', async () => {
    d.dockerOk(['network', 'create', 'br1', '--subnet=10.10.10.0/24', '-o', 'com.docker.network.bridge.name=br1']);
    const addrs = d.ns.ipJson<Array<{ ifname: string; linkinfo?: unknown; addr_info: Array<{ local: string; prefixlen: number }> }>>('-d addr show br1');
    expect(addrs[0]?.addr_info.map((a) => `${a.local}/${a.prefixlen}`)).toContain('10.10.10.1/24');
    const link = d.ns.ipJson<Array<{ linkinfo: { info_kind: string } }>>('-d link show br1');
    expect(link[0]?.linkinfo.info_kind).toBe('bridge');
    d.dockerOk(['run', '-d', '--name', 'fixed', '--net', 'br1', '--ip', '10.10.10.51', 'busybox', 'sleep', '600']);
    expect(d.exec('fixed', 'ip -4 addr show eth0').stdout).toContain('inet 10.10.10.51/24');
    // The host side of the container's veth is a port of br1.
    const ports = d.ns.ipJson<Array<{ master?: string }>>('link show master br1');
    expect(ports.length).toBe(1);
    d.dockerOk(['rm', '-f', 'fixed']);
    // The host end goes with the sandbox's namespace, which the kernel tears down asynchronously.
    await until(() => d.ns.ipJson<unknown[]>('link show master br1').length === 0, 5000, 'veth of fixed gone');
  });

  it('network create -d bridge --subnet --gateway; ls and inspect in Docker JSON shape', () => {
    d.dockerOk(['network', 'create', '-d', 'bridge', '--subnet', '10.20.0.0/16', '--gateway', '10.20.0.254', '--label', 'team=a', 'shaped']);
    expect(d.dockerOk(['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}']).split('\n')).toContain('shaped bridge local');
    d.dockerOk(['run', '-d', '--name', 'inshape', '--net', 'shaped', 'busybox', 'sleep', '600']);
    const [net] = JSON.parse(d.dockerOk(['network', 'inspect', 'shaped']));
    expect(Object.keys(net)).toEqual(expect.arrayContaining(['Name', 'Id', 'Created', 'Scope', 'Driver', 'EnableIPv6', 'IPAM', 'Internal', 'Attachable', 'Containers', 'Options', 'Labels']));
    expect(net.Id).toMatch(/^[0-9a-f]{64}$/);
    expect(net.IPAM).toMatchObject({ Driver: 'default', Config: [{ Subnet: '10.20.0.0/16', Gateway: '10.20.0.254' }] });
    expect(net.Labels).toEqual({ team: 'a' });
    const [cid, entry] = Object.entries(net.Containers)[0] as [string, Record<string, string>];
    expect(cid).toBe(d.dockerOk(['inspect', '-f', '{{.Id}}', 'inshape']));
    expect(entry).toMatchObject({ Name: 'inshape', EndpointID: expect.stringMatching(/^[0-9a-f]{64}$/), MacAddress: expect.stringMatching(/^02:42:/), IPv6Address: '' });
    expect(entry.IPv4Address).toMatch(/^10\.20\.\d+\.\d+\/16$/);
    expect(d.exec('inshape', 'ip route').stdout).toContain('default via 10.20.0.254');
    d.dockerOk(['rm', '-f', 'inshape']);
  });

  it('without --subnet the subnet comes from the default pools, never overlapping a host route', () => {
    d.ns.sh('ip link add hostr type veth peer name hostrp && ip addr add 172.18.0.1/16 dev hostr && ip link set hostr up');
    try {
      d.dockerOk(['network', 'create', 'auto1']);
      const [net] = JSON.parse(d.dockerOk(['network', 'inspect', 'auto1']));
      // 172.17/16 is the default bridge, 172.18/16 a host route: the next default pool.
      expect(net.IPAM.Config[0].Subnet).toBe('172.19.0.0/16');
      d.dockerOk(['network', 'rm', 'auto1']);
    } finally {
      d.ns.sh('ip link del hostr');
    }
  });

  it('containers on a user-defined network reach each other by name, alias and IP; resolv.conf points at 127.0.0.11', () => {
    d.dockerOk(['network', 'create', 'app']);
    d.dockerOk(['run', '-d', '--name', 'web', '--net', 'app', '--network-alias', 'www', 'busybox', 'sleep', '600']);
    d.dockerOk(['run', '-d', '--name', 'client', '--net', 'app', 'busybox', 'sleep', '600']);
    expect(d.exec('client', 'cat /etc/resolv.conf').stdout).toMatch(/^nameserver 127\.0\.0\.11$/m);
    const webIp = ipOf('web', 'app');
    expect(reaches('client', 'web')).toBe(true);
    expect(reaches('client', 'www')).toBe(true);
    expect(reaches('client', webIp)).toBe(true);
    expect(reaches('client', 'web.app')).toBe(true);
    const looked = d.exec('client', 'nslookup web 127.0.0.11');
    expect(looked.stdout).toContain(webIp);
    const ptr = d.exec('client', `nslookup ${webIp} 127.0.0.11`);
    expect(ptr.stdout).toContain('web.app');
    const shortId = d.dockerOk(['inspect', '-f', '{{.Id}}', 'web']).slice(0, 12);
    expect(reaches('client', shortId)).toBe(true);
  });

  it('default bridge: reachable by IP, not by name; --link adds /etc/hosts and ALIAS_ variables', () => {
    d.dockerOk(['run', '-d', '--name', 'db', '--expose', '5432', '-e', 'SECRET=s3', 'busybox', 'sleep', '600']);
    d.dockerOk(['run', '-d', '--name', 'plain', 'busybox', 'sleep', '600']);
    const dbIp = ipOf('db', 'bridge');
    expect(dbIp).toMatch(/^172\.17\./);
    expect(d.exec('plain', 'cat /etc/resolv.conf').stdout).not.toContain('127.0.0.11');
    expect(reaches('plain', dbIp)).toBe(true);
    expect(d.exec('plain', 'grep -w db /etc/hosts').status).not.toBe(0);
    const linked = d.docker(['run', '--rm', '--name', 'linker', '--link', 'db:dbalias', 'busybox', 'sh', '-c', 'cat /etc/hosts; env']);
    expect(linked.status).toBe(0);
    expect(linked.stdout).toMatch(new RegExp(`^${dbIp.replace(/\./g, '\\.')}\\s+dbalias\\b`, 'm'));
    expect(linked.stdout).toContain(`DBALIAS_PORT=tcp://${dbIp}:5432`);
    expect(linked.stdout).toContain(`DBALIAS_PORT_5432_TCP_ADDR=${dbIp}`);
    expect(linked.stdout).toContain('DBALIAS_NAME=/linker/dbalias');
    expect(linked.stdout).toContain('DBALIAS_ENV_SECRET=s3');
  });

  it('networks are isolated until network connect (with --ip and --alias); disconnect removes the interface', async () => {
    d.dockerOk(['network', 'create', '--subnet', '10.30.0.0/24', 'other']);
    d.dockerOk(['run', '-d', '--name', 'lonely', '--net', 'other', 'busybox', 'sleep', '600']);
    const lonelyIp = ipOf('lonely', 'other');
    const webIp = ipOf('web', 'app');
    expect(ping('lonely', webIp)).toBe(false);
    d.dockerOk(['network', 'connect', '--ip', '10.30.0.77', '--alias', 'webby', 'other', 'web']);
    expect(d.exec('web', 'ip -4 addr').stdout).toContain('10.30.0.77/24');
    expect(reaches('lonely', 'webby')).toBe(true);
    expect(reaches('web', lonelyIp)).toBe(true);
    d.dockerOk(['network', 'disconnect', 'other', 'web']);
    // libnetwork takes the veth out of service at once and deletes it in a background batch.
    await until(() => !d.exec('web', 'ip -4 addr').stdout.includes('10.30.0.77'), 5000, 'interface on other removed');
    expect(ping('lonely', '10.30.0.77')).toBe(false);
    expect(d.exec('lonely', 'nslookup webby 127.0.0.11').status).not.toBe(0);
  });

  it('--network none has only lo; host sees the host interfaces; container: shares the other stack', async () => {
    const none = d.dockerOk(['run', '--rm', '--net', 'none', 'busybox', 'ip', '-o', 'link']);
    expect(none.split('\n').map((l) => l.split(':')[1]?.trim())).toEqual(['lo']);
    const links = (): string[] => d.ns.ipJson<Array<{ ifname: string }>>('link').map((l) => l.ifname);
    const before = links();
    const host = d.dockerOk(['run', '--rm', '--net', 'host', 'busybox', 'ip', '-o', 'link']);
    const seen = host.split('\n').map((l) => l.split(':')[1]?.trim().split('@')[0]);
    const stable = links().filter((l) => before.includes(l));
    expect(stable.length).toBeGreaterThan(2);
    for (const l of stable) expect(seen).toContain(l);
    const webIp = ipOf('web', 'app');
    const shared = d.docker(['run', '--rm', '--net', 'container:web', 'busybox', 'ip', '-4', 'addr']);
    expect(shared.stdout).toContain(`${webIp}/`);
    // Same stack: a server in web answers on the other container's loopback.
    d.docker(['exec', '-d', 'web', 'sh', '-c', 'echo loopy | nc -l -p 7000']);
    await until(() => d.exec('web', 'netstat -ltn | grep -q ":7000 "').status === 0, 5000, 'nc listening in web');
    const viaLo = d.docker(['run', '--rm', '--net', 'container:web', 'busybox', 'sh', '-c', 'nc -w 2 127.0.0.1 7000']);
    expect(viaLo.stdout.trim()).toBe('loopy');
  });

  it('internal networks have no route out; icc=false blocks container-to-container; ip masquerade off leaves no NAT', () => {
    d.dockerOk(['network', 'create', '--internal', '--subnet', '10.40.0.0/24', 'inner']);
    d.dockerOk(['run', '-d', '--name', 'in1', '--net', 'inner', 'busybox', 'sleep', '600']);
    expect(d.exec('in1', 'ip route').stdout).not.toContain('default');
    // An address of the host outside the subnet: reachable from a normal network, not from inside.
    d.ns.sh('ip link add outs type veth peer name outsp && ip addr add 192.0.2.1/24 dev outs && ip link set outs up && ip link set outsp up');
    try {
      expect(reaches('plain', '192.0.2.1')).toBe(true);
      expect(d.exec('in1', 'ping -c1 -W1 192.0.2.1').status).not.toBe(0);
    } finally {
      d.ns.sh('ip link del outs');
    }

    d.dockerOk(['network', 'create', '-o', 'com.docker.network.bridge.enable_icc=false', '--subnet', '10.41.0.0/24', 'noicc']);
    d.dockerOk(['run', '-d', '--name', 'ni1', '--net', 'noicc', 'busybox', 'sleep', '600']);
    d.dockerOk(['run', '-d', '--name', 'ni2', '--net', 'noicc', 'busybox', 'sleep', '600']);
    expect(ping('ni1', ipOf('ni2', 'noicc'))).toBe(false);
    expect(reaches('ni1', '10.41.0.1')).toBe(true);

    d.dockerOk(['network', 'create', '-o', 'com.docker.network.bridge.enable_ip_masquerade=false', '--subnet', '10.42.0.0/24', 'nomasq']);
    const ruleset = d.ns.sh('nft list ruleset');
    expect(ruleset).toMatch(/10\.41\.0\.0\/24[^\n]*masquerade/);
    expect(ruleset).not.toMatch(/10\.42\.0\.0\/24[^\n]*masquerade/);
  });

  it('network rm of a network in use is refused with a clear error; prune removes only unused networks', () => {
    const refused = d.docker(['network', 'rm', 'inner']);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/inner.*active endpoints.*in1/);
    expect(d.dockerOk(['network', 'ls', '--format', '{{.Name}}']).split('\n')).toContain('inner');
    d.dockerOk(['network', 'create', 'unused1']);
    const pruned = d.dockerOk(['network', 'prune', '-f']);
    expect(pruned).toContain('unused1');
    expect(pruned).toContain('nomasq');
    const left = d.dockerOk(['network', 'ls', '--format', '{{.Name}}']).split('\n');
    expect(left).toEqual(expect.arrayContaining(['bridge', 'host', 'none', 'inner', 'app', 'noicc']));
    expect(left).not.toContain('unused1');
    expect(d.ns.exec(['ip', 'link', 'show', 'br1']).status).not.toBe(0);
    expect(d.docker(['network', 'rm', 'bridge']).status).not.toBe(0);
  });

  it('-h, --dns, --dns-search, --dns-option and --add-host shape /etc/hostname, /etc/hosts and /etc/resolv.conf', () => {
    const out = d.dockerOk(['run', '--rm', '-h', 'myhost', '--dns', '192.0.2.53', '--dns-search', 'example.org', '--dns-option', 'ndots:3', '--add-host', 'db.local:10.9.9.9', 'busybox', 'sh', '-c', 'hostname; echo ---; cat /etc/hostname; echo ---; cat /etc/resolv.conf; echo ---; cat /etc/hosts']);
    const [hn, hostnameFile, resolv, hosts] = out.split('---\n').map((s) => s.trim());
    expect(hn).toBe('myhost');
    expect(hostnameFile).toBe('myhost');
    expect(resolv).toMatch(/^nameserver 192\.0\.2\.53$/m);
    expect(resolv).toMatch(/^search example\.org$/m);
    expect(resolv).toMatch(/^options ndots:3$/m);
    expect(hosts).toMatch(/^10\.9\.9\.9\s+db\.local$/m);
    expect(hosts).toMatch(/^172\.17\.\d+\.\d+\s+myhost$/m);
    // On a user network the embedded server stays the nameserver; --dns becomes its upstream.
    const user = d.dockerOk(['run', '--rm', '--net', 'app', '--dns', '192.0.2.53', 'busybox', 'cat', '/etc/resolv.conf']);
    expect(user).toMatch(/^nameserver 127\.0\.0\.11$/m);
  });

  it('network connect/disconnect of a stopped container updates its config; -p survives disconnect+reconnect and stop+start', async () => {
    d.dockerOk(['network', 'create', '--subnet', '10.33.0.0/24', 'pnet']);
    d.dockerOk(['network', 'create', '--subnet', '10.34.0.0/24', 'later']);
    d.dockerOk(['create', '--name', 'pc', '--net', 'pnet', '-p', '8601:80', 'busybox', 'sleep', '600']);
    // Docker: connect on a created container is recorded and applied at start.
    d.dockerOk(['network', 'connect', '--ip', '10.34.0.9', 'later', 'pc']);
    expect(d.dockerOk(['network', 'inspect', '-f', '{{len .Containers}}', 'later'])).toBe('0');
    d.dockerOk(['start', 'pc']);
    expect(ipOf('pc', 'later')).toBe('10.34.0.9');
    expect(d.dockerOk(['port', 'pc'])).toBe('80/tcp -> 0.0.0.0:8601');
    d.dockerOk(['network', 'disconnect', 'pnet', 'pc']);
    d.dockerOk(['network', 'disconnect', 'later', 'pc']);
    expect(d.docker(['port', 'pc']).stdout.trim()).toBe('');
    d.dockerOk(['network', 'connect', 'pnet', 'pc']);
    expect(d.dockerOk(['port', 'pc'])).toBe('80/tcp -> 0.0.0.0:8601');
    expect(d.ns.sh('nft list ruleset')).toMatch(/tcp \. 8601 [^\n]*: 10\.33\.0\.\d+ \. 80\b/);
    d.dockerOk(['stop', '-t', '0', 'pc']);
    d.dockerOk(['network', 'disconnect', 'pnet', 'pc']);
    expect(d.docker(['network', 'disconnect', 'pnet', 'pc']).status).not.toBe(0);
    d.dockerOk(['network', 'connect', 'pnet', 'pc']);
    d.dockerOk(['start', 'pc']);
    expect(d.dockerOk(['port', 'pc'])).toBe('80/tcp -> 0.0.0.0:8601');
    expect(Object.keys(JSON.parse(d.dockerOk(['inspect', '-f', '{{json .NetworkSettings.Networks}}', 'pc'])))).toEqual(['pnet']);
    d.dockerOk(['rm', '-f', 'pc']);
    d.dockerOk(['network', 'rm', 'pnet', 'later']);
  });
});
