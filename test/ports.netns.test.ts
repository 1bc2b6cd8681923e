/**
 * SCENARIOS.md "Ports" through the docker CLI: every -p form, -P, `docker port`, and real TCP
 * exchanges from the daemon's namespace (its addresses and 127.0.0.1), from containers through the
 * host address (hairpin) and from an "outside" namespace wired to the daemon's by a veth.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNetns, trackedTestNs, type TestNs } from '@tsnet/testkit';
import { startTsnetd, until, type Tsnetd } from './support/tsnetd.js';

const HTTPD = 'mkdir -p /www && echo pong > /www/index.html && httpd -f -p 80 -h /www';

describeNetns('tsnetd published ports (docker CLI)', () => {
  let d: Tsnetd;
  let outside: TestNs;
  beforeAll(async () => {
    d = await startTsnetd();
    outside = trackedTestNs('tsnet-e2e-out');
    // The daemon's namespace is the host; "outside" is another machine on its LAN.
    d.ns.sh(`ip link add lan0 type veth peer name lan0p && ip link set lan0p netns ${outside.name}`);
    d.ns.sh('ip addr add 192.168.77.1/24 dev lan0 && ip link set lan0 up');
    outside.sh('ip addr add 192.168.77.2/24 dev lan0p && ip link set lan0p up');
    d.dockerOk(['run', '-d', '--name', 'web', '-p', '8080:80', '-p', '127.0.0.1:8081:80', '-p', '127.0.0.1::80', '-p', '5353:53/udp', 'busybox', 'sh', '-c', HTTPD]);
    await until(() => d.exec('web', 'netstat -ltn | grep -q ":80 "').status === 0, 5000, 'httpd in web');
  });
  afterAll(async () => {
    outside?.destroy();
    await d?.destroy();
  });

  const curl = (ns: TestNs, url: string): string => ns.exec(['curl', '-s', '-m', '3', url]).stdout.trim();
  const fromContainer = (c: string, ip: string, port: number): string =>
    d.exec(c, `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} ${port} | tail -1`).stdout.trim();

  it('docker port lists every form: host:container, ip:host:container, ip::container (ephemeral), /udp', () => {
    const lines = d.dockerOk(['port', 'web']).split('\n').sort();
    expect(lines).toContain('80/tcp -> 0.0.0.0:8080');
    expect(lines).toContain('80/tcp -> 127.0.0.1:8081');
    expect(lines).toContain('53/udp -> 0.0.0.0:5353');
    const ephemeral = lines.find((l) => /^80\/tcp -> 127\.0\.0\.1:(\d+)$/.test(l) && !l.endsWith(':8081'));
    expect(ephemeral).toBeDefined();
    const range = d.ns.sh('cat /proc/sys/net/ipv4/ip_local_port_range').trim().split(/\s+/).map(Number);
    const port = Number(ephemeral!.split(':').pop());
    expect(port).toBeGreaterThanOrEqual(range[0]!);
    expect(port).toBeLessThanOrEqual(range[1]!);
    expect(d.dockerOk(['port', 'web', '53/udp'])).toBe('0.0.0.0:5353');
    const ports = JSON.parse(d.dockerOk(['inspect', '-f', '{{json .NetworkSettings.Ports}}', 'web']));
    expect(ports['80/tcp']).toEqual(expect.arrayContaining([{ HostIp: '0.0.0.0', HostPort: '8080' }, { HostIp: '127.0.0.1', HostPort: '8081' }]));
    expect(d.dockerOk(['ps', '--format', '{{.Ports}}', '--filter', 'name=web'])).toContain('0.0.0.0:8080->80/tcp');
  });

  it('the host port is held by the daemon (a bound socket), and the DNAT rules are in the kernel', () => {
    // TCP ports are held by a bound, non-listening socket (ss does not list those): binding fails.
    expect(d.ns.exec(['busybox', 'nc', '-l', '-p', '8080'], { timeoutMs: 1500 }).stderr).toMatch(/in use/);
    expect(d.ns.sh('ss -Huln')).toMatch(/0\.0\.0\.0:5353\b/);
    const rules = d.ns.sh('nft list ruleset');
    // nftables backend: one map element per published port, `proto . hostPort : containerIp . port`.
    expect(rules).toMatch(/tcp \. 8080 [^\n]*: 172\.17\.\d+\.\d+ \. 80\b/);
    expect(rules).toMatch(/udp \. 5353 [^\n]*: 172\.17\.\d+\.\d+ \. 53\b/);
  });

  it('answers on the host addresses and on 127.0.0.1 from the daemon namespace', () => {
    expect(curl(d.ns, 'http://192.168.77.1:8080/')).toBe('pong');
    expect(curl(d.ns, 'http://172.17.0.1:8080/')).toBe('pong');
    expect(curl(d.ns, 'http://127.0.0.1:8080/')).toBe('pong');
    expect(curl(d.ns, 'http://127.0.0.1:8081/')).toBe('pong');
  });

  it('answers from outside (another namespace on the LAN), but not on a loopback-only binding', () => {
    expect(curl(outside, 'http://192.168.77.1:8080/')).toBe('pong');
    expect(curl(outside, 'http://192.168.77.1:8081/')).toBe('');
  });

  it('hairpin: other containers and the container itself reach the published port through the host address', () => {
    d.dockerOk(['run', '-d', '--name', 'peer', 'busybox', 'sleep', '600']);
    expect([fromContainer('peer', '172.17.0.1', 8080), fromContainer('peer', '192.168.77.1', 8080), fromContainer('web', '192.168.77.1', 8080), fromContainer('web', '172.17.0.1', 8080)]).toEqual(['pong', 'pong', 'pong', 'pong']);
  });

  it('-P publishes every exposed port on an ephemeral host port', async () => {
    d.dockerOk(['run', '-d', '--name', 'pall', '--expose', '80', '--expose', '90/udp', '-P', 'busybox', 'sh', '-c', HTTPD]);
    const lines = d.dockerOk(['port', 'pall']).split('\n');
    expect(lines.some((l) => /^80\/tcp -> 0\.0\.0\.0:\d+$/.test(l))).toBe(true);
    expect(lines.some((l) => /^90\/udp -> 0\.0\.0\.0:\d+$/.test(l))).toBe(true);
    const port = d.dockerOk(['port', 'pall', '80']).split('\n')[0]!.split(':').pop();
    expect(await until(() => curl(d.ns, `http://127.0.0.1:${port}/`) === 'pong', 5000, 'httpd in pall')).toBe(true);
  });

  it('a taken host port fails start (not create) with Docker\'s message; the container stays Created with State.Error', () => {
    const rulesBefore = d.ns.sh('nft list ruleset');
    const taken = d.docker(['run', '-d', '--name', 'clash', '-p', '8080:80', 'busybox', 'sleep', '600']);
    expect(taken.status).toBe(125);
    expect(taken.stderr).toMatch(/Bind for 0\.0\.0\.0:8080 failed: port is already allocated/);
    const st = JSON.parse(d.dockerOk(['inspect', 'clash']))[0].State;
    expect(st).toMatchObject({ Status: 'created', Running: false });
    expect(st.Error).toMatch(/Bind for 0\.0\.0\.0:8080 failed: port is already allocated/);
    // create succeeds; start is what fails (Docker allocates ports at start).
    d.dockerOk(['create', '--name', 'clash2', '-p', '8080:80', 'busybox', 'sleep', '600']);
    const start = d.docker(['start', 'clash2']);
    expect(start.status).not.toBe(0);
    expect(start.stderr).toMatch(/Bind for 0\.0\.0\.0:8080 failed: port is already allocated/);
    // A port held by some other process of the host is refused the same way.
    const holder = d.ns.spawn(['busybox', 'nc', '-l', '-p', '9099'], { stdio: 'ignore' });
    try {
      const deadline = Date.now() + 3000;
      while (!d.ns.sh('ss -Htln').includes(':9099') && Date.now() < deadline) d.ns.sh('sleep 0.05');
      const busy = d.docker(['run', '-d', '--name', 'clash3', '-p', '9099:80', 'busybox', 'sleep', '600']);
      expect(busy.status).not.toBe(0);
      expect(busy.stderr).toMatch(/9099/);
    } finally {
      holder.kill('SIGKILL');
    }
    expect(d.ns.sh('nft list ruleset')).toBe(rulesBefore);
    d.dockerOk(['rm', 'clash', 'clash2', 'clash3']);
    // run --rm with a taken port: the failed start removes the container.
    expect(d.docker(['run', '--rm', '--name', 'clash4', '-p', '8080:80', 'busybox', 'true']).status).toBe(125);
    expect(d.docker(['inspect', 'clash4']).status).not.toBe(0);
  });

  it('rm releases the host port and its rules', async () => {
    d.dockerOk(['rm', '-f', 'pall']);
    d.dockerOk(['rm', '-f', 'web']);
    expect(d.ns.exec(['busybox', 'nc', '-l', '-p', '8080'], { timeoutMs: 1000 }).stderr).not.toMatch(/in use/);
    expect(d.ns.sh('nft list ruleset')).not.toMatch(/tcp \. 8080 /);
    d.dockerOk(['run', '-d', '--name', 'web2', '-p', '8080:80', 'busybox', 'sh', '-c', HTTPD]);
    // httpd binds a moment after the container is running.
    expect(await until(() => curl(d.ns, 'http://127.0.0.1:8080/') === 'pong', 5000, 'httpd in web2')).toBe(true);
  });

  it('stop releases the port, address and rules: a new container takes the port; the old one gets it back at start', async () => {
    d.dockerOk(['stop', '-t', '0', 'web2']);
    const j = JSON.parse(d.dockerOk(['inspect', 'web2']))[0];
    expect(j.NetworkSettings.Ports).toEqual({});
    expect(j.NetworkSettings.IPAddress).toBe('');
    expect(j.NetworkSettings.Networks.bridge).toMatchObject({ IPAddress: '', EndpointID: '' });
    expect(d.ns.sh('nft list ruleset')).not.toMatch(/tcp \. 8080 /);
    d.dockerOk(['run', '-d', '--name', 'web3', '-p', '8080:80', 'busybox', 'sh', '-c', HTTPD]);
    expect(await until(() => curl(d.ns, 'http://127.0.0.1:8080/') === 'pong', 5000, 'httpd in web3')).toBe(true);
    expect(d.docker(['start', 'web2']).stderr).toMatch(/port is already allocated/);
    d.dockerOk(['rm', '-f', 'web3']);
    d.dockerOk(['start', 'web2']);
    expect(d.dockerOk(['port', 'web2'])).toBe('80/tcp -> 0.0.0.0:8080');
    expect(await until(() => curl(d.ns, 'http://127.0.0.1:8080/') === 'pong', 5000, 'httpd in web2 again')).toBe(true);
  });
});
