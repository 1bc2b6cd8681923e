/**
 * SCENARIOS.md "Daemon": SIGKILL and restart with containers running loses nothing (addresses,
 * names, ports, volumes), leaks nothing and hands nothing out twice; SIGTERM stops containers
 * unless live-restore keeps them running.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNetns } from '@tsnet/testkit';
import { startTsnetd, until, type Tsnetd } from './support/tsnetd.js';

const HTTPD = 'mkdir -p /www && echo pong > /www/index.html && httpd -f -p 80 -h /www';

/** Kernel state of the daemon's namespace, without counters (they move with traffic). */
function kernelSnapshot(d: Tsnetd): { links: string[]; addrs: string[]; rules: string; sandboxes: string[] } {
  const links = d.ns.ipJson<Array<{ ifname: string; address: string }>>('link').map((l) => `${l.ifname} ${l.address}`).sort();
  const addrs = d.ns.ipJson<Array<{ ifname: string; addr_info: Array<{ local: string; prefixlen: number }> }>>('addr')
    .flatMap((l) => l.addr_info.map((a) => `${l.ifname} ${a.local}/${a.prefixlen}`)).sort();
  const rules = d.ns.sh('nft list ruleset').replace(/counter packets \d+ bytes \d+/g, 'counter');
  // Only this daemon's sandboxes: /run/netns is shared with everything else on the machine.
  const dir = join(d.dataRoot, 'network', 'sandboxes');
  const ours = existsSync(dir) ? readdirSync(dir).map((id) => `tsnet-${id.slice(0, 12)}`) : [];
  const sandboxes = readdirSync('/run/netns').filter((n) => ours.includes(n)).sort();
  return { links, addrs, rules, sandboxes };
}

describeNetns('tsnetd restart (docker CLI)', () => {
  let d: Tsnetd;
  beforeAll(async () => {
    d = await startTsnetd();
  });
  afterAll(async () => {
    await d?.destroy();
  });

  const inspect = (c: string) => JSON.parse(d.dockerOk(['inspect', c]))[0];
  const curl = (port: number) => d.ns.exec(['curl', '-s', '-m', '3', `http://127.0.0.1:${port}/`]).stdout.trim();

  it('SIGKILL then restart: containers keep running with their addresses, names, DNS, ports and volumes', async () => {
    d.dockerOk(['network', 'create', '--subnet', '10.60.0.0/24', 'app']);
    d.dockerOk(['run', '-d', '--name', 'web', '--net', 'app', '--network-alias', 'www', '-p', '8080:80', '-v', 'webdata:/data', 'busybox', 'sh', '-c', HTTPD]);
    d.dockerOk(['run', '-d', '--name', 'client', '--net', 'app', 'busybox', 'sleep', '600']);
    d.dockerOk(['run', '-d', '--name', 'legacy', 'busybox', 'sleep', '600']);
    d.dockerOk(['create', '--name', 'idle', '--net', 'app', 'busybox', 'true']);
    d.exec('web', 'echo persisted > /data/f');
    expect(await until(() => curl(8080) === 'pong', 5000, 'httpd in web')).toBe(true);
    const before = { web: inspect('web'), client: inspect('client'), legacy: inspect('legacy'), idle: inspect('idle') };
    const kernel = kernelSnapshot(d);
    const sandboxNs = kernel.sandboxes;
    expect(sandboxNs.length).toBe(4);

    await d.stop('SIGKILL');
    // The containers do not depend on the daemon process.
    for (const c of ['web', 'client', 'legacy']) expect(() => process.kill(before[c as 'web'].State.Pid, 0)).not.toThrow();
    await d.start();

    const after = { web: inspect('web'), client: inspect('client'), legacy: inspect('legacy'), idle: inspect('idle') };
    for (const c of ['web', 'client', 'legacy'] as const) {
      expect(after[c].State).toMatchObject({ Running: true, Pid: before[c].State.Pid, StartedAt: before[c].State.StartedAt });
      expect(after[c].NetworkSettings.Networks).toEqual(before[c].NetworkSettings.Networks);
    }
    expect(after.idle.State.Status).toBe('created');
    expect(after.idle.NetworkSettings.Networks).toEqual(before.idle.NetworkSettings.Networks);
    expect(d.dockerOk(['port', 'web'])).toBe('80/tcp -> 0.0.0.0:8080');
    expect(curl(8080)).toBe('pong');
    expect(d.exec('client', 'ping -c1 -W1 www').status).toBe(0);
    expect(d.exec('client', 'nslookup web 127.0.0.11').stdout).toContain(before.web.NetworkSettings.Networks.app.IPAddress);
    expect(d.exec('web', 'cat /data/f').stdout).toBe('persisted\n');
    // Nothing doubled or leaked: same links, addresses, rules and sandbox namespaces.
    expect(kernelSnapshot(d)).toEqual(kernel);
    // Nothing handed out twice: a new container gets a fresh address and the port stays taken.
    d.dockerOk(['run', '-d', '--name', 'late', '--net', 'app', 'busybox', 'sleep', '600']);
    const taken = Object.values(before).map((x) => x.NetworkSettings.Networks.app?.IPAddress).filter(Boolean);
    expect(taken).not.toContain(inspect('late').NetworkSettings.Networks.app.IPAddress);
    const clash = d.docker(['run', '-d', '-p', '8080:80', 'busybox', 'true']);
    expect(clash.status).not.toBe(0);
    expect(d.docker(['volume', 'rm', 'webdata']).stderr).toMatch(/in use/);
  });

  it('a second SIGKILL right after a change is still consistent; rm afterwards leaves nothing behind', async () => {
    d.dockerOk(['network', 'connect', 'bridge', 'client']);
    await d.stop('SIGKILL');
    await d.start();
    expect(Object.keys(inspect('client').NetworkSettings.Networks).sort()).toEqual(['app', 'bridge']);
    expect(d.exec('client', 'ip -o -4 addr').stdout.split('\n').filter((l) => l.includes('eth')).length).toBe(2);
    d.dockerOk(['rm', '-f', '-v', 'web', 'client', 'legacy', 'idle', 'late']);
    d.dockerOk(['network', 'rm', 'app']);
    // Removed links may first be renamed and reaped in a batch (libnetwork's gc): poll until settled.
    await until(() => kernelSnapshot(d).links.every((l) => !l.startsWith('tsnetgc')), 5000, 'link gc');
    const k = kernelSnapshot(d);
    expect(k.sandboxes).toEqual([]);
    expect(k.links.filter((l) => l.startsWith('veth'))).toEqual([]);
    expect(k.addrs.filter((a) => a.includes('10.60.0.'))).toEqual([]);
    expect(k.rules).not.toMatch(/10\.60\.0\.0|8080/);
    // rm -v keeps named volumes (Docker's rule); no reference is left on it after the restarts.
    expect(d.dockerOk(['volume', 'ls', '-q'])).toBe('webdata');
    d.dockerOk(['volume', 'rm', 'webdata']);
  });

  it('SIGTERM stops the containers (no live-restore); they are stopped after the restart', async () => {
    d.dockerOk(['run', '-d', '--name', 'stopme', '--stop-timeout', '1', 'busybox', 'sleep', '600']);
    const pid = inspect('stopme').State.Pid;
    await d.stop('SIGTERM');
    expect(() => process.kill(pid, 0)).toThrow();
    await d.start();
    expect(inspect('stopme').State).toMatchObject({ Running: false, Status: 'exited' });
    d.dockerOk(['start', 'stopme']);
    expect(inspect('stopme').State.Running).toBe(true);
    d.dockerOk(['rm', '-f', 'stopme']);
  });
});

describeNetns('tsnetd live-restore', () => {
  let d: Tsnetd;
  beforeAll(async () => {
    d = await startTsnetd({ config: { 'live-restore': true } });
  });
  afterAll(async () => {
    await d?.destroy();
  });

  it('SIGTERM with live-restore keeps containers running and the next daemon adopts them', async () => {
    d.dockerOk(['run', '-d', '--name', 'keep', 'busybox', 'sleep', '600']);
    const pid = JSON.parse(d.dockerOk(['inspect', 'keep']))[0].State.Pid;
    await d.stop('SIGTERM');
    expect(() => process.kill(pid, 0)).not.toThrow();
    await d.start();
    expect(JSON.parse(d.dockerOk(['inspect', 'keep']))[0].State).toMatchObject({ Running: true, Pid: pid });
    expect(JSON.parse(d.dockerOk(['info', '--format', '{{json .LiveRestoreEnabled}}']))).toBe(true);
  });
});
