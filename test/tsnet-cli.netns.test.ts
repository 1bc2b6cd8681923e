/**
 * The same daemon through our own client: `tsnet daemon` starts tsnetd (the CLI calls runDaemon),
 * and the `tsnet` CLI drives networks, containers and volumes with Docker's flags.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNetns } from '@tsnet/testkit';
import { startTsnetd, TSNET, type Tsnetd } from './support/tsnetd.js';

describeNetns('tsnet CLI against tsnetd', () => {
  let d: Tsnetd;
  beforeAll(async () => {
    d = await startTsnetd({ launcher: 'tsnet' });
  });
  afterAll(async () => {
    await d?.destroy();
  });

  const tsnet = (...args: string[]) => {
    const r = spawnSync('node', [TSNET, '-H', `unix://${d.sock}`, ...args], { encoding: 'utf8', timeout: 60_000 });
    return { status: r.status ?? -1, stdout: (r.stdout ?? '').trim(), stderr: r.stderr ?? '' };
  };
  const ok = (...args: string[]): string => {
    const r = tsnet(...args);
    if (r.status !== 0) throw new Error(`tsnet ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  it('tsnet daemon serves the API (the docker CLI sees it too)', () => {
    expect(d.dockerOk(['version', '--format', '{{.Server.Os}}'])).toBe('linux');
    expect(ok('network', 'ls')).toMatch(/bridge\s+bridge\s+local/);
  });

  it('network create, run on it, resolve by name, port, inspect, exec', () => {
    ok('network', 'create', '--subnet', '10.88.0.0/24', 'clinet');
    ok('run', '-d', '--name', 'srv', '--net', 'clinet', '--ip', '10.88.0.9', '-p', '8088:80', 'busybox', 'sleep', '600');
    expect(ok('run', '--rm', '--net', 'clinet', 'busybox', 'ping', '-c1', 'srv')).toContain('10.88.0.9');
    expect(ok('port', 'srv')).toContain('0.0.0.0:8088');
    expect(ok('inspect', '-f', '{{.NetworkSettings.Networks.clinet.IPAddress}}', 'srv')).toBe('10.88.0.9');
    expect(ok('exec', 'srv', 'ip', '-4', 'addr', 'show', 'eth0')).toContain('10.88.0.9/24');
    // What the CLI did is what the kernel holds.
    expect(d.ns.ipJson<Array<{ addr_info: Array<{ local: string }> }>>('addr').flatMap((l) => l.addr_info.map((a) => a.local))).toContain('10.88.0.1');
  });

  it('volumes and rm -f -v', () => {
    ok('volume', 'create', 'clivol');
    expect(ok('run', '--rm', '-v', 'clivol:/d', 'busybox', 'sh', '-c', 'echo hi > /d/f; cat /d/f')).toBe('hi');
    expect(ok('volume', 'ls', '-q').split('\n')).toContain('clivol');
    ok('rm', '-f', '-v', 'srv');
    ok('network', 'rm', 'clinet');
    ok('volume', 'rm', 'clivol');
    expect(d.dockerOk(['ps', '-aq'])).toBe('');
  });
});
