/**
 * Docker-parity findings of the API (coord/parity-findings.md F1, F2, F6, F7, F22, F23, F30, F37,
 * F44, F46, F50, F53) through the real docker CLI: what it prints, and what the container's files
 * and the kernel show.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNetns } from '@tsnet/testkit';
import { startTsnetd, until, type Tsnetd } from './support/tsnetd.js';

describeNetns('tsnetd API parity with dockerd (docker CLI)', () => {
  let d: Tsnetd;
  beforeAll(async () => {
    // Ordinary Docker keys tsnet does not implement must not stop the daemon (F37).
    // `ip` (default host address of -p) is implemented.
    d = await startTsnetd({ config: { 'log-driver': 'json-file', 'storage-driver': 'overlay2', debug: false, ipv6: false, ip: '127.0.0.1' } });
  });
  afterAll(async () => {
    await d?.destroy();
  });

  it('daemon.json with Docker keys tsnet ignores: started, with a warning naming them (F37)', () => {
    expect(d.dockerOk(['info', '-f', '{{.ServerVersion}}'])).not.toBe('');
    expect(d.log()).toMatch(/ignoring Docker settings tsnet does not implement: log-driver, storage-driver, debug, ipv6/);
  });

  it('--add-host NAME:host-gateway writes the default bridge gateway into /etc/hosts (F53)', () => {
    const gw = d.dockerOk(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', 'bridge']);
    expect(gw).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    d.dockerOk(['network', 'create', 'hg1']);
    // F4: a user-defined network's IPAM.Options is {} as in dockerd.
    expect(JSON.parse(d.dockerOk(['network', 'inspect', 'hg1']))[0].IPAM.Options).toEqual({});
    for (const net of ['bridge', 'hg1']) {
      const hosts = d.dockerOk(['run', '--rm', '--net', net, '--add-host', 'host.docker.internal:host-gateway', 'busybox', 'cat', '/etc/hosts']);
      expect(hosts.split('\n')).toContain(`${gw}\thost.docker.internal`);
      expect(hosts).not.toContain('host-gateway');
    }
  });

  it('a missing network, container: target, --volumes-from or --link target is named, not taken for a missing image (F22)', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--net', 'nosuch'], /network nosuch not found/],
      [['--net', 'container:nosuch'], /No such container: nosuch/],
      [['--volumes-from', 'nosuch'], /No such container: nosuch/],
      [['--link', 'nosuch:x'], /could not get container for nosuch/],
    ];
    const before = d.dockerOk(['ps', '-aq']);
    for (const [args, message] of cases) {
      const r = d.docker(['run', '--rm', ...args, 'busybox', 'true']);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/Unable to find image|pull access denied/);
    }
    expect(d.dockerOk(['ps', '-aq'])).toBe(before);
  });

  it('--net container:X refuses -p, -h, --dns, --add-host with dockerd\'s messages; inspect has no networks of its own (F23, F46)', () => {
    d.dockerOk(['run', '-d', '--name', 'owner', 'busybox', 'sleep', '600']);
    const cases: Array<[string[], string]> = [
      [['-p', '80:80'], 'conflicting options: port publishing and the container type network mode'],
      [['-h', 'foo'], 'conflicting options: hostname and the network mode'],
      [['--dns', '1.1.1.1'], 'conflicting options: dns and the network mode'],
      [['--add-host', 'x:1.2.3.4'], 'conflicting options: custom host-to-IP mapping and the network mode'],
    ];
    for (const [args, message] of cases) {
      const r = d.docker(['run', '--rm', '--net', 'container:owner', ...args, 'busybox', 'true']);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(message);
    }
    d.dockerOk(['run', '-d', '--name', 'sharer', '--net', 'container:owner', 'busybox', 'sleep', '600']);
    const [ins] = JSON.parse(d.dockerOk(['inspect', 'sharer']));
    const ownerId = d.dockerOk(['inspect', '-f', '{{.Id}}', 'owner']);
    expect(ins.NetworkSettings.Networks).toEqual({});
    expect(ins.NetworkSettings.SandboxKey).toBe('');
    expect(ins.HostConfig.NetworkMode).toBe(`container:${ownerId}`);
    // Same stack for real: the sharer sees the owner's eth0 address.
    expect(d.exec('sharer', 'ip -4 addr show eth0').stdout).toContain(d.dockerOk(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'owner']));
    d.dockerOk(['rm', '-f', 'sharer', 'owner']);
  });

  it('Config.Env is image + request env; HostConfig.Links as /b1:/b2/web; the link still works in the process env (F1, F2)', () => {
    d.dockerOk(['run', '-d', '--name', 'b1', 'busybox', 'sleep', '600']);
    d.dockerOk(['run', '-d', '--name', 'b2', '--link', 'b1:web', '-e', 'FOO=1', 'busybox', 'sleep', '600']);
    const [b2] = JSON.parse(d.dockerOk(['inspect', 'b2']));
    expect(b2.Config.Env).toEqual(['FOO=1']);
    expect(b2.HostConfig.Links).toEqual(['/b1:/b2/web']);
    expect(b2.NetworkSettings.Networks.bridge.Links).toBeNull();
    // F5: dockerd's defaults for what the client left empty.
    expect(b2.HostConfig).toMatchObject({ IpcMode: 'private', LogConfig: { Type: 'json-file' }, MemorySwappiness: null, PidsLimit: null });
    expect(b2.HostConfig.MaskedPaths).toContain('/proc/kcore');
    expect(d.exec('b2', 'cat /proc/kcore | head -c1 | wc -c').stdout.trim()).toBe('0');
    const env = d.exec('b2', 'env').stdout.split('\n');
    expect(env).toEqual(expect.arrayContaining(['FOO=1', 'WEB_NAME=/b2/web']));
    expect(env.some((l) => l.startsWith('WEB_ENV_HOSTNAME='))).toBe(false);
    d.dockerOk(['rm', '-f', 'b2', 'b1']);
  });

  it('--link target:alias on a user-defined network: the alias resolves for the linking container only (F35)', () => {
    d.dockerOk(['network', 'create', 'ln1']);
    d.dockerOk(['run', '-d', '--name', 'la1', '--net', 'ln1', 'busybox', 'sleep', '600']);
    const ip = d.dockerOk(['inspect', '-f', '{{.NetworkSettings.Networks.ln1.IPAddress}}', 'la1']);
    d.dockerOk(['run', '-d', '--name', 'la2', '--net', 'ln1', '--link', 'la1:dbalias', 'busybox', 'sleep', '600']);
    d.dockerOk(['run', '-d', '--name', 'la3', '--net', 'ln1', 'busybox', 'sleep', '600']);
    const linked = d.exec('la2', 'nslookup dbalias 127.0.0.11');
    expect(linked.status, linked.stdout + linked.stderr).toBe(0);
    expect(linked.stdout).toContain(`Address: ${ip}`);
    expect(d.exec('la2', 'for i in 1 2 3; do ping -c1 -W2 dbalias && exit 0; done; exit 1').status).toBe(0);
    // As in Docker: no /etc/hosts line and no env vars on user-defined networks.
    expect(d.exec('la2', 'cat /etc/hosts').stdout).not.toContain('dbalias');
    expect(d.exec('la3', 'nslookup dbalias 127.0.0.11').stdout).not.toContain(`Address: ${ip}`);
    d.dockerOk(['rm', '-f', 'la2', 'la3', 'la1']);
    d.dockerOk(['network', 'rm', 'ln1']);
  });

  it('network disconnect -f of an unknown container: "endpoint X not found", as dockerd (F34)', () => {
    d.dockerOk(['network', 'create', 'dn1']);
    const r = d.docker(['network', 'disconnect', '-f', 'dn1', 'nosuchctr']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('endpoint nosuchctr not found');
    d.dockerOk(['network', 'rm', 'dn1']);
  });

  it('rename: the new name is the container\'s, and the embedded DNS answers it after a restart (F32)', () => {
    d.dockerOk(['network', 'create', 'rnn']);
    d.dockerOk(['run', '-d', '--name', 'rn1', '--net', 'rnn', 'busybox', 'sleep', '600']);
    d.dockerOk(['run', '-d', '--name', 'rnq', '--net', 'rnn', 'busybox', 'sleep', '600']);
    d.dockerOk(['rename', 'rn1', 'rn2']);
    expect(d.dockerOk(['ps', '--format', '{{.Names}}']).split('\n')).toEqual(expect.arrayContaining(['rn2']));
    expect(d.docker(['inspect', 'rn1']).status).not.toBe(0);
    const r = d.docker(['rename', 'rn2', 'rnq']);
    expect(r.stderr).toContain('is already in use');
    d.dockerOk(['restart', '-t', '0', 'rn2']);
    const ip = d.dockerOk(['inspect', '-f', '{{.NetworkSettings.Networks.rnn.IPAddress}}', 'rn2']);
    expect(d.exec('rnq', 'nslookup rn2 127.0.0.11').stdout).toContain(`Address: ${ip}`);
    d.dockerOk(['rm', '-f', 'rn2', 'rnq']);
    d.dockerOk(['network', 'rm', 'rnn']);
  });

  it('network prune honours until and label! (F6, F7)', () => {
    d.dockerOk(['network', 'create', 'pr6']);
    d.dockerOk(['network', 'create', '--label', 'keep=1', 'pr7']);
    d.dockerOk(['network', 'prune', '-f', '--filter', 'until=1h']);
    const names = (): string[] => d.dockerOk(['network', 'ls', '--format', '{{.Name}}']).split('\n');
    expect(names()).toEqual(expect.arrayContaining(['pr6', 'pr7']));
    d.dockerOk(['network', 'prune', '-f', '--filter', 'label!=keep']);
    expect(names()).not.toContain('pr6');
    expect(names()).toContain('pr7');
    d.dockerOk(['network', 'rm', 'pr7']);
  });

  it('ps filters: before/since, name as a regex, publish/expose (F30)', () => {
    for (const n of ['f1', 'f2', 'f3']) d.dockerOk(['create', '--name', n, ...(n === 'f2' ? ['-p', '8123:80', '--expose', '7000'] : []), 'busybox', 'sleep', '600']);
    const ps = (...f: string[]): string => d.dockerOk(['ps', '-a', '--format', '{{.Names}}', ...f.flatMap((x) => ['--filter', x])]).split('\n').filter((x) => /^f\d$/.test(x)).join(' ');
    expect(ps('before=f2')).toBe('f1');
    expect(ps('since=f2')).toBe('f3');
    expect(ps('name=^f1$')).toBe('f1');
    expect(ps('name=f[23]')).toBe('f3 f2');
    expect(ps('expose=7000')).toBe('f2');
    // Ports are published while the container runs (dockerd's filter reads NetworkSettings.Ports).
    d.dockerOk(['start', 'f2']);
    expect(ps('publish=8123')).toBe('f2');
    expect(ps('publish=8124')).toBe('');
    d.dockerOk(['rm', '-f', 'f1', 'f2', 'f3']);
  });

  it('host_binding_ipv4: the reported HostIp is where the port is really bound (F44)', () => {
    d.dockerOk(['network', 'create', '-o', 'com.docker.network.bridge.host_binding_ipv4=127.0.0.1', 'hb']);
    d.dockerOk(['run', '-d', '--name', 'hb1', '--net', 'hb', '-p', '8700:80', 'busybox', 'sleep', '600']);
    expect(d.dockerOk(['port', 'hb1'])).toBe('80/tcp -> 127.0.0.1:8700');
    d.dockerOk(['rm', '-f', 'hb1']);
    d.dockerOk(['network', 'rm', 'hb']);
  });

  it('daemon.json ip: -p without an address binds there only, and is reported so', async () => {
    d.dockerOk(['run', '-d', '--name', 'dip', '-p', '8701:80', 'busybox', 'sh', '-c', 'mkdir -p /www && echo pong > /www/index.html && httpd -f -p 80 -h /www']);
    await until(() => d.exec('dip', 'netstat -ltn | grep -q ":80 "').status === 0, 5000, 'httpd in dip');
    expect(d.dockerOk(['port', 'dip'])).toBe('80/tcp -> 127.0.0.1:8701');
    const gw = d.dockerOk(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', 'bridge']);
    expect(d.ns.exec(['curl', '-s', '-m', '3', 'http://127.0.0.1:8701/']).stdout.trim()).toBe('pong');
    expect(d.ns.exec(['curl', '-s', '-m', '2', `http://${gw}:8701/`]).stdout.trim()).toBe('');
    d.dockerOk(['rm', '-f', 'dip']);
  });

  it('system df and system prune work; prune removes stopped containers and their unused network (F50)', () => {
    d.dockerOk(['volume', 'create', 'dfv']);
    d.dockerOk(['network', 'create', 'dfnet']);
    d.dockerOk(['run', '--name', 'dfc', '--net', 'dfnet', '-v', 'dfv:/data', 'busybox', 'sh', '-c', 'head -c 100000 /dev/zero > /data/z']);
    const df = d.dockerOk(['system', 'df', '--format', '{{.Type}} {{.TotalCount}}']).split('\n');
    expect(df).toEqual(expect.arrayContaining(['Images 1', 'Local Volumes 1', 'Build Cache 0']));
    const [vol] = d.dockerOk(['system', 'df', '-v', '--format', '{{json .Volumes}}']).length ? JSON.parse(d.dockerOk(['system', 'df', '-v', '--format', '{{json .Volumes}}'])) : [];
    expect(vol).toMatchObject({ Name: 'dfv' });
    const prune = d.docker(['system', 'prune', '-f']);
    expect(prune.status, prune.stderr).toBe(0);
    expect(d.dockerOk(['ps', '-aq'])).toBe('');
    expect(d.dockerOk(['network', 'ls', '--format', '{{.Name}}']).split('\n')).not.toContain('dfnet');
    // The image is kept: it is tagged (only dangling images go without -a).
    expect(d.dockerOk(['images', '--format', '{{.Repository}}'])).toContain('busybox');
    d.dockerOk(['volume', 'rm', 'dfv']);
  });
});
