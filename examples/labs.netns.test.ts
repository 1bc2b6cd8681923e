/**
 * Runs every lab's run.sh as a user would and checks what it observed on the kernel and the wire
 * (each script prints `RESULT <key> <value>` lines for the facts it measured: a ping's received
 * count, a wget's body, NAT counters, mounts), then checks that nothing is left behind: none of
 * the lab's namespaces, no temporary directory, no mount.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { describeNetns } from '@tsnet/testkit';

const here = fileURLToPath(new URL('.', import.meta.url));

interface LabRun {
  id: string;
  status: number;
  output: string;
  results: Map<string, string>;
}

function runLab(folder: string): LabRun {
  const id = `t${randomBytes(3).toString('hex')}`;
  const r = spawnSync('bash', [`${here}${folder}/run.sh`], {
    encoding: 'utf8',
    env: { ...process.env, LAB_ID: id },
    timeout: 280_000,
  });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const results = new Map<string, string>();
  for (const m of (r.stdout ?? '').matchAll(/^RESULT (\S+) ?(.*)$/gm)) results.set(m[1]!, m[2]!.trim());
  return { id, status: r.status ?? -1, output, results };
}

/** Nothing the lab made may remain: its namespaces (named with its id), its temp dir, its mounts. */
function expectClean(run: LabRun): void {
  const namespaces = readdirSync('/run/netns').filter((n) => n.includes(run.id));
  expect(namespaces).toEqual([]);
  const ipList = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  expect(ipList).not.toContain(run.id);
  const dir = /socket (\/tmp\/tsnet-lab\d+\.\w+)\/tsnet\.sock/.exec(run.output)?.[1];
  if (dir) {
    expect(existsSync(dir)).toBe(false);
    expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(dir);
  }
}

function check(run: LabRun, key: string): string {
  const value = run.results.get(key);
  if (value === undefined) throw new Error(`lab printed no RESULT ${key} (exit ${run.status}):\n${run.output.slice(-3000)}`);
  return value;
}

const T = 300_000;

describeNetns('labs (examples/*/run.sh)', () => {
  it('01 veth pair: a ping crosses the pair', { timeout: T }, () => {
    const run = runLab('01-veth-pair');
    expect(check(run, 'ping')).toBe('10.0.0.1->10.0.0.2 received=2');
    expect(check(run, 'route')).toMatch(/^10\.0\.0\.0\/24 .*src 10\.0\.0\.1/);
    expect(run.status).toBe(0);
    expectClean(run);
  });

  it('02 bridge with three namespaces: red reaches green, blue and the gateway', { timeout: T }, () => {
    const run = runLab('02-bridge-three-namespaces');
    expect(run.results.get('ports')).toBe('veth-blue veth-green veth-red');
    const pings = [...run.output.matchAll(/^RESULT ping red->(\S+) received=(\d*)$/gm)].map((m) => [m[1], m[2]]);
    expect(pings).toEqual([['10.0.2.12', '1'], ['10.0.2.13', '1'], ['10.0.2.1', '1']]);
    // tsnet debug bridges found each port's far end in the right namespace.
    for (const c of ['red', 'green', 'blue']) expect(run.output).toMatch(new RegExp(`veth-${c}\\s+up\\s+\\S+\\s+lab02-${c}-${run.id}\\s+eth0`));
    expect(run.status).toBe(0);
    expectClean(run);
  });

  it('03 NAT: the client reaches web through the published port; web goes out masqueraded', { timeout: T }, () => {
    const run = runLab('03-nat-published-port');
    expect(check(run, 'wget')).toBe('hello from the web namespace (172.30.0.2)');
    expect(check(run, 'ping')).toBe('web->client received=1');
    const counters = /dnat=(\d+) masquerade=(\d+)/.exec(check(run, 'counters'));
    expect(Number(counters?.[1])).toBeGreaterThan(0);
    expect(Number(counters?.[2])).toBeGreaterThan(0);
    expect(run.status).toBe(0);
    expectClean(run);
  });

  it('04 user-defined network: names and aliases resolve through 127.0.0.11; not on the default bridge', { timeout: T }, () => {
    const run = runLab('04-user-defined-network-dns');
    expect(check(run, 'ping-name')).toBe('client->web1 received=1');
    const ip = check(run, 'web1-ip');
    expect(ip).toMatch(/^10\.10\.10\.\d+$/);
    expect(check(run, 'alias')).toBe(`www=${ip}`);
    expect(check(run, 'default-bridge-name')).toBe('unresolved');
    expect(check(run, 'default-bridge-ip')).toBe('received=1');
    expect(run.output).toContain('nameserver 127.0.0.11');
    expect(run.status).toBe(0);
    expectClean(run);
  });

  it('05 isolation and connect: blocked, connected, blocked again', { timeout: T }, () => {
    const run = runLab('05-isolation-and-connect');
    expect(check(run, 'before')).toBe('received=0');
    expect(check(run, 'connected')).toMatch(/^received=1 resolved=10\.52\.0\.\d+ interfaces=2$/);
    expect(check(run, 'disconnected')).toBe('received=0 interfaces=1');
    // The trace named the isolation hop, and its probe hit the isolation drop rule.
    expect(run.output).toMatch(/TSNET-ISOLATION-STAGE-1\/2\s+DROP/);
    expect(run.output).toMatch(/TSNET-ISOLATION-STAGE-2\s+\d+\s+oifname "br-[0-9a-f]+" counter drop/);
    expect(run.status).toBe(0);
    expectClean(run);
  });

  it('06 host, none and container modes', { timeout: T }, () => {
    const run = runLab('06-host-none-container-modes');
    expect(check(run, 'none')).toBe('lo');
    expect(check(run, 'host').split(' ')).toEqual(expect.arrayContaining(['lo', 'tsnet0']));
    const shared = /^srv=(\S+) sidecar=(\S+)$/.exec(check(run, 'shared-ip'));
    expect(shared?.[1]).toMatch(/^172\.17\.\d+\.\d+$/);
    expect(shared?.[2]).toBe(shared?.[1]);
    expect(check(run, 'loopback')).toBe('hello over loopback');
    expect(run.status).toBe(0);
    expectClean(run);
  });

  it('07 volumes: named, bind, tmpfs, volumes-from backup and restore', { timeout: T }, () => {
    const run = runLab('07-volumes-named-bind-tmpfs-backup');
    expect(check(run, 'named')).toBe('kept in a volume');
    expect(check(run, 'named-on-disk')).toBe('kept in a volume');
    expect(check(run, 'bind')).toBe('in=written on the host out=written in the container');
    expect(check(run, 'tmpfs')).toMatch(/^tmpfs \/scratch tmpfs rw,.*size=1024k/);
    expect(check(run, 'backup')).toBe('dbdata/ dbdata/db.txt');
    expect(check(run, 'restore')).toBe('precious data');
    expect(run.status).toBe(0);
    expectClean(run);
  });
});
