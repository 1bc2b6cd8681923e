/**
 * SCENARIOS.md "Daemon": SIGKILL and restart with containers running loses nothing (addresses,
 * names, ports, volumes), leaks nothing and hands nothing out twice; SIGTERM stops containers
 * unless live-restore keeps them running.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNetns } from '@tsnet/testkit';
import { startTsnetd, until, type Tsnetd } from './support/tsnetd.js';

const HTTPD = 'mkdir -p /www && echo pong > /www/index.html && httpd -f -p 80 -h /www';

/** Kernel state of the daemon's namespace, without counters (they move with traffic). */
function kernelSnapshot(d: Tsnetd): { links: string[]; addrs: string[]; rules: string; sandboxes: string[] } {
  // tsnetgc* links are already retired veths, deleted in the background: not state, just lag.
  const links = d.ns.ipJson<Array<{ ifname: string; address: string }>>('link').filter((l) => !l.ifname.startsWith('tsnetgc'))
    .map((l) => `${l.ifname} ${l.address}`).sort();
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
    // Docker's rule: only running containers have a sandbox (idle is only created).
    expect(kernel.sandboxes.length).toBe(3);
    expect(before.idle.NetworkSettings.SandboxID).toBe('');

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
    expect(d.exec('client', 'for i in 1 2 3; do ping -c1 -W2 www && exit 0; done; exit 1').status).toBe(0);
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
    // (the bridge may be renamed for the gc a moment after network rm answers: wait for its address to go too)
    await until(() => { const k = kernelSnapshot(d); return k.links.every((l) => !l.startsWith('tsnetgc')) && !k.addrs.some((a) => a.includes('10.60.0.')); }, 5000, 'link gc');
    const k = kernelSnapshot(d);
    expect(k.sandboxes).toEqual([]);
    expect(k.links.filter((l) => l.startsWith('veth'))).toEqual([]);
    expect(k.addrs.filter((a) => a.includes('10.60.0.'))).toEqual([]);
    expect(k.rules).not.toMatch(/10\.60\.0\.0|8080/);
    // rm -v keeps named volumes (Docker's rule); no reference is left on it after the restarts.
    expect(d.dockerOk(['volume', 'ls', '-q'])).toBe('webdata');
    d.dockerOk(['volume', 'rm', 'webdata']);
  });

  it('SIGKILL in the middle of concurrent creates: afterwards every bundle and sandbox belongs to a listed container', async () => {
    d.dockerOk(['network', 'create', '--subnet', '10.61.0.0/24', 'busy']);
    const runs = Array.from({ length: 6 }, (_, i) => new Promise<void>((resolve) => {
      const p = spawn('docker', ['-H', `unix://${d.sock}`, 'run', '-d', '--name', `burst${i}`, '--net', 'busy', '-p', `${9100 + i}:80`, 'busybox', 'sleep', '600'], { stdio: 'ignore' });
      p.once('exit', () => resolve());
    }));
    await new Promise((r) => setTimeout(r, 250 + Math.random() * 250));
    await d.stop('SIGKILL');
    await Promise.all(runs);
    await d.start();
    const listed = d.dockerOk(['ps', '-aq', '--no-trunc']).split('\n').filter(Boolean);
    if (process.env.TSNET_E2E_DEBUG) console.log(listed.length, d.log().split('\n').filter((l) => /no record|interrupted/.test(l)));
    const bundles = readdirSync(join(d.dataRoot, 'containers')).filter((n) => /^[0-9a-f]{64}$/.test(n));
    expect(bundles.sort()).toEqual([...listed].sort());
    const sandboxOwners = listed.map((id) => inspect(id).NetworkSettings.SandboxID as string).filter(Boolean);
    // Only running containers hold a sandbox and a host port: the others' ports are free (F42).
    for (const id of listed) {
      const j = inspect(id);
      expect(Boolean(j.NetworkSettings.SandboxID)).toBe(j.State.Running);
      if (j.State.Running) continue;
      const port = String(9100 + Number(j.Name.replace('/burst', '')));
      expect(d.ns.exec(['busybox', 'nc', '-l', '-p', port], { timeoutMs: 300 }).stderr).not.toMatch(/in use/);
    }
    expect(kernelSnapshot(d).sandboxes.sort()).toEqual(sandboxOwners.map((sb) => `tsnet-${sb.slice(0, 12)}`).sort());
    // Every address on `busy` is held by exactly one listed container.
    const ips = listed.map((id) => inspect(id).NetworkSettings.Networks.busy?.IPAddress).filter(Boolean);
    expect(new Set(ips).size).toBe(ips.length);
    if (listed.length) d.dockerOk(['rm', '-f', ...listed]);
    d.dockerOk(['network', 'rm', 'busy']);
    await until(() => kernelSnapshot(d).links.every((l) => !l.startsWith('veth') && !l.startsWith('tsnetgc')), 5000, 'links gone');
    expect(kernelSnapshot(d).sandboxes).toEqual([]);
    expect(d.ns.sh('nft list ruleset')).not.toMatch(/10\.61\.0\.0|\. 910\d /);
  });

  it('a container that exits gives its network back, also when it exits while the daemon is down (SIGKILL)', async () => {
    d.dockerOk(['network', 'create', '--subnet', '10.62.0.0/24', 'ex']);
    d.dockerOk(['run', '-d', '--name', 'ex1', '--net', 'ex', '--ip', '10.62.0.50', '-p', '9300:80', 'busybox', 'sleep', '600']);
    const pid = inspect('ex1').State.Pid as number;
    expect(kernelSnapshot(d).sandboxes.length).toBe(1);
    await d.stop('SIGKILL');
    process.kill(pid, 'SIGKILL'); // the container dies while no daemon watches
    await until(() => { try { process.kill(pid, 0); return false; } catch { return true; } }, 5000, 'ex1 gone');
    await d.start();
    expect(inspect('ex1').State.Status).toBe('exited');
    expect(kernelSnapshot(d).sandboxes).toEqual([]);
    expect(d.ns.sh('nft list ruleset')).not.toMatch(/\. 9300 /);
    // Its static address and its port are free for another container; the exited one keeps its config.
    d.dockerOk(['run', '-d', '--name', 'ex2', '--net', 'ex', '--ip', '10.62.0.50', '-p', '9300:80', 'busybox', 'sh', '-c', 'sleep 1']);
    expect(inspect('ex1').NetworkSettings.Networks.ex).toMatchObject({ IPAMConfig: { IPv4Address: '10.62.0.50' }, IPAddress: '' });
    // ex2 exits by itself: the runtime's exit event releases its sandbox, rules and port.
    await until(() => inspect('ex2').State.Status === 'exited', 10_000, 'ex2 exits');
    await until(() => kernelSnapshot(d).sandboxes.length === 0, 5000, 'ex2 sandbox released');
    expect(d.ns.sh('nft list ruleset')).not.toMatch(/\. 9300 /);
    expect(d.dockerOk(['network', 'inspect', '-f', '{{len .Containers}}', 'ex'])).toBe('0');
    // Docker: a network only stopped containers are connected to can be removed; their start then fails.
    d.dockerOk(['network', 'rm', 'ex']);
    expect(d.docker(['start', 'ex1']).stderr).toMatch(/not found/);
    d.dockerOk(['rm', 'ex1', 'ex2']);
  });

  it('restart policies: on-failure:N retries N times, always restarts until stopped, and both come back after a daemon restart', async () => {
    const runs = (vol: string) => { try { return readFileSync(join(d.dataRoot, 'volumes', vol, '_data', 'runs'), 'utf8').split('\n').filter(Boolean).length; } catch { return 0; } };
    d.dockerOk(['run', '-d', '--name', 'rf', '--restart', 'on-failure:2', '-v', 'rfdata:/d', 'busybox', 'sh', '-c', 'echo x >> /d/runs; exit 3']);
    d.dockerOk(['run', '-d', '--name', 'ra', '--restart', 'always', '-v', 'radata:/d', 'busybox', 'sh', '-c', 'echo x >> /d/runs; sleep 0.2; exit 0']);
    d.dockerOk(['run', '-d', '--name', 'rp', '--restart', 'unless-stopped', '--stop-timeout', '1', '-p', '8200:80', 'busybox', 'sleep', '600']);
    await until(() => runs('rfdata') === 3 && inspect('rf').State.Status === 'exited', 10_000, 'rf tried 3 times');
    await until(() => runs('radata') >= 3, 10_000, 'ra restarted');
    d.dockerOk(['stop', '-t', '0', 'ra']);
    await new Promise((r) => setTimeout(r, 1000));
    expect(inspect('ra').State.Running).toBe(false);
    expect(runs('rfdata')).toBe(3);
    const raRuns = runs('radata');
    await d.stop('SIGTERM');
    await d.start();
    // unless-stopped was running when the daemon stopped: back, with its port; always comes back even though stopped by hand.
    await until(() => inspect('rp').State.Running && runs('radata') >= raRuns + 2, 10_000, 'rp and ra back');
    expect(d.dockerOk(['port', 'rp'])).toBe('80/tcp -> 0.0.0.0:8200');
    d.dockerOk(['rm', '-f', 'rf', 'ra', 'rp']);
    d.dockerOk(['volume', 'rm', 'rfdata', 'radata']);
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
