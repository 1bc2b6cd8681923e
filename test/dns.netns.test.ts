/**
 * SCENARIOS.md embedded DNS lines through tsnetd and the docker CLI: names scoped to shared
 * networks, round-robin of an alias held by several containers, PTR, and forwarding of everything
 * else to the container's upstream (here a stub server inside the daemon's namespace).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNetns } from '@tsnet/testkit';
import { startTsnetd, until, type Tsnetd } from './support/tsnetd.js';

const REPO = new URL('../', import.meta.url).pathname;

describeNetns('tsnetd embedded DNS (docker CLI)', () => {
  let d: Tsnetd;
  let stub: ChildProcess | undefined;
  beforeAll(async () => {
    d = await startTsnetd();
    // An upstream resolver at 10.53.0.53 on a link of the daemon's namespace.
    d.ns.sh('ip link add up0 type veth peer name up0p && ip addr add 10.53.0.53/32 dev up0 && ip link set up0 up && ip link set up0p up');
    const script = join(d.dir, 'stub.mts');
    writeFileSync(script, `
      import { startStubServer } from '${REPO}packages/dns/src/index.ts';
      await startStubServer({ address: '10.53.0.53', port: 53, answer: (name) =>
        name === 'up.example' ? { answers: [{ type: 'A', address: '198.51.100.7' }] } : { rcode: 3 } });
      console.log('ready');
    `);
    stub = d.ns.spawn(['node', '--conditions=source', '--import', 'tsx', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    stub.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    await until(() => out.includes('ready'), 20_000, 'stub dns server');
    d.dockerOk(['network', 'create', 'front']);
    d.dockerOk(['network', 'create', 'back']);
    d.dockerOk(['run', '-d', '--name', 'w1', '--net', 'front', '--network-alias', 'pool', 'busybox', 'sleep', '600']);
    d.dockerOk(['run', '-d', '--name', 'w2', '--net', 'front', '--network-alias', 'pool', 'busybox', 'sleep', '600']);
    d.dockerOk(['run', '-d', '--name', 'hidden', '--net', 'back', 'busybox', 'sleep', '600']);
    d.dockerOk(['run', '-d', '--name', 'asker', '--net', 'front', '--dns', '10.53.0.53', 'busybox', 'sleep', '600']);
  });
  afterAll(async () => {
    stub?.kill('SIGKILL');
    await d?.destroy();
  });

  const ip = (c: string, net: string) => d.dockerOk(['inspect', '-f', `{{.NetworkSettings.Networks.${net}.IPAddress}}`, c]);
  const lookup = (name: string) => d.exec('asker', `nslookup ${name} 127.0.0.11`);

  it('names resolve only within networks the asking container shares with the target', () => {
    expect(lookup('w1').stdout).toContain(ip('w1', 'front'));
    const hidden = lookup('hidden');
    expect(hidden.stdout).not.toContain(ip('hidden', 'back'));
    d.dockerOk(['network', 'connect', 'back', 'asker']);
    expect(lookup('hidden').stdout).toContain(ip('hidden', 'back'));
    d.dockerOk(['network', 'disconnect', 'back', 'asker']);
    expect(lookup('hidden').stdout).not.toContain(ip('hidden', 'back'));
  });

  it('an alias held by several containers answers all of them, in varying order', () => {
    const both = [ip('w1', 'front'), ip('w2', 'front')];
    const firsts = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const out = d.exec('asker', 'nslookup pool 127.0.0.11').stdout;
      for (const x of both) expect(out).toContain(x);
      const m = /Name:\s+pool\s+Address:\s+([\d.]+)/.exec(out);
      if (m) firsts.add(m[1]!);
    }
    expect(firsts.size).toBe(2);
  });

  it('PTR for a container address answers name.network', () => {
    expect(lookup(ip('w2', 'front')).stdout).toContain('w2.front');
  });

  it('other names are forwarded to the upstream (answers and NXDOMAIN relayed)', () => {
    expect(lookup('up.example').stdout).toContain('198.51.100.7');
    const nx = lookup('missing.example');
    expect(nx.status).not.toBe(0);
    expect(nx.stdout + nx.stderr).toMatch(/NXDOMAIN|can't find/);
  });

  it('a stopped container no longer resolves and leaves the alias; it is back after start', async () => {
    const w2 = ip('w2', 'front');
    d.dockerOk(['stop', '-t', '0', 'w2']);
    expect(lookup('w2').status).not.toBe(0);
    for (let i = 0; i < 3; i++) expect(lookup('pool').stdout).not.toContain(w2);
    d.dockerOk(['start', 'w2']);
    expect(lookup('w2').stdout).toContain(ip('w2', 'front'));
  });
});
