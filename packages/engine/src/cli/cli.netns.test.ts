/**
 * The real `tsnet` CLI (bin/tsnet.js, a separate process) against a real tsnetd started with
 * `tsnet daemon` inside a test namespace. Assertions read the kernel (ip -j in the namespace, a
 * real HTTP answer through a published port), not the CLI's own words where the kernel can say.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNetns, trackedTestNs, type TestNs } from '@tsnet/testkit';
import { makeBusyboxRootfsTar } from '../rootfs/index.js';

const bin = fileURLToPath(new URL('../../bin/tsnet.js', import.meta.url));

describeNetns('tsnet CLI against tsnetd in a namespace', () => {
  let ns: TestNs;
  let dir: string;
  let sock: string;
  let daemon: ChildProcess;

  /** Runs the CLI where the daemon runs (inside the namespace, as the debug commands expect). */
  const tsnet = (...args: string[]): { status: number; stdout: string; stderr: string } => {
    const r = ns.exec(['node', bin, '-H', `unix://${sock}`, ...args], { timeoutMs: 60_000 });
    return r;
  };
  const ok = (...args: string[]): string => {
    const r = tsnet(...args);
    if (r.status !== 0) throw new Error(`tsnet ${args.join(' ')} → ${r.status}: ${r.stderr}`);
    return r.stdout;
  };

  beforeAll(async () => {
    ns = trackedTestNs('tsnet-cli');
    dir = mkdtempSync(join(tmpdir(), 'tsnet-cli-'));
    sock = join(dir, 'tsnet.sock');
    await import('node:fs/promises').then((fs) => fs.writeFile(join(dir, 'daemon.json'), '{}'));
    daemon = ns.spawn(['node', bin, 'daemon', '--data-root', join(dir, 'data'), '-H', `unix://${sock}`, '--config', join(dir, 'daemon.json')], { stdio: 'ignore' });
    for (let i = 0; i < 150 && tsnet('version').status !== 0; i++) await new Promise((r) => setTimeout(r, 200));
    await makeBusyboxRootfsTar(join(dir, 'busybox.tar'));
    ok('import', join(dir, 'busybox.tar'), 'busybox');
  }, 120_000);

  afterAll(async () => {
    const ids = tsnet('ps', '-aq').stdout.split('\n').filter(Boolean);
    if (ids.length) tsnet('rm', '-f', '-v', ...ids);
    daemon?.kill('SIGTERM');
    await new Promise((r) => (daemon.exitCode !== null ? r(undefined) : daemon.once('exit', r)));
    for (const m of readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((p) => p.startsWith(`${dir}/`)).reverse()) {
      spawnSync('umount', ['-l', m]);
    }
    ns?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('network create makes the named bridge holding the gateway; run --ip gives exactly that address', () => {
    const id = ok('network', 'create', '--subnet', '10.10.10.0/24', '--gateway', '10.10.10.1', '-o', 'com.docker.network.bridge.name=clinet0', 'clinet').trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const [br] = ns.ipJson<Array<{ ifname: string; addr_info: Array<{ local: string; prefixlen: number }> }>>('-4 addr show dev clinet0');
    expect(br?.addr_info.map((a) => `${a.local}/${a.prefixlen}`)).toEqual(['10.10.10.1/24']);

    ok('run', '-d', '--name', 'c51', '--net', 'clinet', '--ip', '10.10.10.51', 'busybox', 'sleep', '3600');
    const inside = ok('exec', 'c51', 'ip', '-4', '-o', 'addr', 'show', 'eth0');
    expect(inside).toContain('inet 10.10.10.51/24');
    expect(ok('inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', 'c51').trim()).toBe('10.10.10.51');
    // The veth's host end is a port of the bridge (what debug bridges reports, checked against ip).
    const ports = ns.ipJson<Array<{ ifname: string }>>('link show master clinet0').map((l) => l.ifname);
    const report = JSON.parse(ok('debug', 'bridges', '--format', 'json')) as { bridges: Array<{ name: string; ports: Array<{ port: string; container: string; address: string }> }> };
    const mine = report.bridges.find((b) => b.name === 'clinet0');
    expect(mine?.ports.map((p) => p.port).sort()).toEqual(ports.sort());
    expect(mine?.ports[0]).toMatchObject({ container: 'c51', address: '10.10.10.51/24' });
  });

  it('a published port answers in the daemon namespace; port and ps show it', async () => {
    ok('run', '-d', '--name', 'web', '--net', 'clinet', '-p', '8080:80', 'busybox', 'sh', '-c', 'mkdir -p /www && echo hi-from-web > /www/index.html && exec httpd -f -p 80 -h /www');
    expect(ok('port', 'web', '80').trim()).toBe('0.0.0.0:8080');
    let body = '';
    for (let i = 0; i < 25 && !body; i++) {
      body = ns.exec(['timeout', '5', 'busybox', 'wget', '-qO-', 'http://127.0.0.1:8080/']).stdout.trim();
      if (!body) await new Promise((r) => setTimeout(r, 200));
    }
    expect(body).toBe('hi-from-web');
    const ps = JSON.parse(ok('ps', '--format', 'json').split('\n').find((l) => l.includes('"/web"'))!) as { Ports: Array<{ PublicPort: number }> };
    expect(ps.Ports.map((p) => p.PublicPort)).toContain(8080);
  });

  it('run without -d prints the output and exits with the container code', () => {
    const r = tsnet('run', '--rm', '--net', 'clinet', 'busybox', 'sh', '-c', 'for i in 1 2 3; do ping -c 1 -W 2 c51 >/dev/null && echo reached && break; done; exit 7');
    expect(r.stdout).toBe('reached\n');
    expect(r.status).toBe(7);
  });

  it('a bad flag sends nothing: exit 125 and the kernel is unchanged', () => {
    // tsnetgc* links are veths of earlier tests already retired and being deleted in the background.
    const links = (): string[] => ns.ipJson<Array<{ ifname: string }>>('link show').map((l) => l.ifname).filter((n) => !n.startsWith('tsnetgc')).sort();
    const before = links();
    const r = tsnet('network', 'create', '--subnet', '10.20.0.0/24', '--gateway', '10.99.0.1', 'badnet');
    expect(r.status).toBe(125);
    expect(r.stderr).toContain('no matching subnet for gateway 10.99.0.1');
    expect(links()).toEqual(before);
    expect(tsnet('network', 'inspect', 'badnet').status).toBe(1);
  });

  it('debug trace and firewall agree with the kernel; graph renders SVG', () => {
    const trace = JSON.parse(ok('debug', 'trace', 'c51', 'web', '--port', '80', '--format', 'json')) as { predicted: string; probe: { ok: boolean } };
    expect(trace).toMatchObject({ predicted: 'reachable', probe: { ok: true } });
    const fw = JSON.parse(ok('debug', 'firewall', '--format', 'json')) as { backend: string; drift: { missing: unknown[]; extra: unknown[] }; rules: Array<{ owner: string }> };
    expect(fw.backend).toBe('nftables');
    expect(fw.drift).toEqual({ missing: [], extra: [] });
    expect(fw.rules.some((r) => r.owner.startsWith('port 8080/tcp → web'))).toBe(true);
    expect(ns.sh('nft list ruleset')).toContain('tcp . 8080');
    const svg = ok('debug', 'graph', '--format', 'svg');
    expect(svg).toContain('<svg');
    expect(svg).toContain('c51');
  });

  it('debug dns asks the embedded server from inside a container; doctor finds nothing leaked', () => {
    const dns = JSON.parse(ok('debug', 'dns', 'c51', '--from', 'web', '--format', 'json')) as { server: string; status: string; answers: string[] };
    expect(dns).toMatchObject({ server: '127.0.0.11', status: 'NOERROR', answers: ['A 10.10.10.51'] });
    const missing = tsnet('debug', 'dns', 'nosuchname', '--from', 'web', '--format', 'json');
    expect(missing.status).toBe(1);
    const findings = JSON.parse(ok('debug', 'doctor', '--format', 'json')) as Array<{ check: string; status: string }>;
    expect(findings.find((f) => f.check === 'ip_forward')?.status).toBe(ns.sh('sysctl -n net.ipv4.ip_forward').trim() === '1' ? 'ok' : 'fail');
    expect(findings.filter((f) => f.check.startsWith('leaked') || f.check === 'rule without owner')).toEqual([{ check: 'leaked objects', status: 'ok', detail: expect.any(String) }]);
  });

  it('rm -f -v removes the container and its veth', () => {
    ok('rm', '-f', '-v', 'c51');
    // A veth libnetwork retired (down, renamed tsnetgc…) is already out of service and deleted in
    // the background; what must be gone at once is the container's live port.
    const ports = ns.ipJson<Array<{ ifname: string; operstate?: string }>>('link show master clinet0')
      .filter((p) => !/^tsnetgc/.test(p.ifname));
    expect(ports).toHaveLength(1); // web's only
    expect(tsnet('inspect', 'c51').status).toBe(1);
  });
});
