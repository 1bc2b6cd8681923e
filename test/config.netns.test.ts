/**
 * daemon.json keys that concern networks and volumes, honoured by tsnetd (SCENARIOS.md "Daemon"),
 * and an unknown key refused at start with a clear error, as dockerd does.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNetns, trackedTestNs } from '@tsnet/testkit';
import { startTsnetd, type Tsnetd } from './support/tsnetd.js';

const REPO = new URL('../', import.meta.url).pathname;

describeNetns('tsnetd daemon.json', () => {
  let d: Tsnetd;
  beforeAll(async () => {
    d = await startTsnetd({
      config: {
        'default-address-pools': [{ base: '172.80.0.0/16', size: 24 }],
        bip: '10.99.0.1/24',
        'fixed-cidr': '10.99.0.128/25',
        mtu: 1400,
        icc: false,
        dns: ['192.0.2.9'],
        'dns-search': ['corp.example'],
        'dns-opts': ['timeout:2'],
        'default-shm-size': '16M',
        'firewall-backend': 'nftables',
      },
    });
  });
  afterAll(async () => {
    await d?.destroy();
  });

  it('default-address-pools: networks without --subnet get /24s from 172.80.0.0/16', () => {
    d.dockerOk(['network', 'create', 'p1']);
    d.dockerOk(['network', 'create', 'p2']);
    const subnets = ['p1', 'p2'].map((n) => JSON.parse(d.dockerOk(['network', 'inspect', n]))[0].IPAM.Config[0].Subnet);
    expect(subnets).toEqual(['172.80.0.0/24', '172.80.1.0/24']);
  });

  it('bip, fixed-cidr, mtu, icc=false shape the default bridge', () => {
    const addr = d.ns.ipJson<Array<{ mtu: number; addr_info: Array<{ local: string; prefixlen: number; family: string }> }>>('addr show tsnet0')[0]!;
    expect(addr.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`)).toEqual(['10.99.0.1/24']);
    d.dockerOk(['run', '-d', '--name', 'ca', 'busybox', 'sleep', '600']);
    d.dockerOk(['run', '-d', '--name', 'cb', 'busybox', 'sleep', '600']);
    const ip = (c: string) => d.dockerOk(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', c]);
    const [ipA, ipB] = [ip('ca'), ip('cb')];
    for (const x of [ipA, ipB]) expect(Number(x.split('.')[3])).toBeGreaterThanOrEqual(128);
    expect(d.exec('ca', 'cat /sys/class/net/eth0/mtu').stdout.trim()).toBe('1400');
    expect(d.exec('ca', `ping -c1 -W1 ${ipB}`).status).not.toBe(0);
    expect(d.exec('ca', 'for i in 1 2 3; do ping -c1 -W2 10.99.0.1 && exit 0; done; exit 1').status).toBe(0);
  });

  it('dns, dns-search, dns-opts become the containers\' resolver defaults; default-shm-size their /dev/shm', () => {
    const out = d.dockerOk(['run', '--rm', 'busybox', 'sh', '-c', 'cat /etc/resolv.conf; grep " /dev/shm " /proc/mounts']);
    expect(out).toMatch(/^nameserver 192\.0\.2\.9$/m);
    expect(out).toMatch(/^search corp\.example$/m);
    expect(out).toMatch(/^options timeout:2$/m);
    expect(out).toMatch(/size=16384k/);
  });

  it('one daemon per data root: a second one on the same root refuses to start (store lock)', () => {
    const r = spawnSync('nsenter', [`--net=${d.ns.path}`, '--', 'node', '--conditions=source', '--import', 'tsx', join(REPO, 'packages/engine/src/daemon/main.ts'),
      '--data-root', d.dataRoot, '--host', `unix://${join(d.dir, 'second.sock')}`, '--config', d.configPath], { encoding: 'utf8', timeout: 30_000, cwd: REPO });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/lock/i);
    expect(d.dockerOk(['version', '--format', '{{.Server.Os}}'])).toBe('linux');
  });

  it('an unknown key (or a wrong type) stops the daemon at start, naming it', () => {
    const ns = trackedTestNs('tsnet-e2e-bad');
    const dir = mkdtempSync(join(tmpdir(), 'tsnet-e2e-bad-'));
    try {
      for (const [config, pattern] of [
        [{ 'bogus-key': 1 }, /don't match any configuration option: bogus-key/],
        [{ mtu: 'big' }, /mtu/],
        [{ 'firewall-backend': 'pf' }, /firewall-backend/],
      ] as const) {
        writeFileSync(join(dir, 'daemon.json'), JSON.stringify(config));
        const r = spawnSync('nsenter', [`--net=${ns.path}`, '--', 'node', '--conditions=source', '--import', 'tsx', join(REPO, 'packages/engine/src/daemon/main.ts'),
          '--data-root', join(dir, 'root'), '--host', `unix://${join(dir, 'sock')}`, '--config', join(dir, 'daemon.json')], { encoding: 'utf8', timeout: 30_000, cwd: REPO });
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(pattern);
      }
    } finally {
      ns.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
