import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestNs } from '@tsnet/testkit';

/**
 * Docker's embedded resolver, measured the same way: dockerd in a fresh namespace (and a private
 * mount namespace, so its mounts never reach the machine), a container on a user-defined network
 * from an image imported from a one-file rootfs (static busybox), and dnsperf run inside the
 * container's network namespace against 127.0.0.11. Undefined when Docker cannot be started here.
 */
export interface DockerFigures {
  qps: number;
  avgMs: number;
}

export async function measureDocker(dir: string, seconds: number): Promise<DockerFigures | undefined> {
  if (process.env.TSNET_BENCH_DOCKER === '0' || !existsSync('/usr/sbin/dockerd') || !existsSync('/bin/busybox')) return undefined;
  const ns = createTestNs('tsnet-dnsbench-docker');
  const root = join(dir, 'docker');
  mkdirSync(join(root, 'rootfs', 'bin'), { recursive: true });
  const sock = `unix://${join(root, 'docker.sock')}`;
  const docker = (...args: string[]) => spawnSync('docker', ['-H', sock, ...args], { encoding: 'utf8', timeout: 60_000 });
  const daemon = spawn('unshare', ['--mount', '--propagation', 'private', 'nsenter', `--net=${ns.path}`, 'dockerd',
    '--data-root', join(root, 'data'), '--exec-root', join(root, 'exec'), '-H', sock, '--pidfile', join(root, 'docker.pid'), '--iptables=true'],
  { stdio: 'ignore' });
  try {
    for (let i = 0; i < 60 && docker('version').status !== 0; i += 1) await new Promise((r) => setTimeout(r, 500));
    spawnSync('cp', ['/bin/busybox', join(root, 'rootfs', 'bin', 'busybox')]);
    const tar = spawnSync('tar', ['-C', join(root, 'rootfs'), '-c', '.'], { maxBuffer: 64 << 20 });
    const steps: [string, () => ReturnType<typeof docker>][] = [
      ['import', () => spawnSync('docker', ['-H', sock, 'import', '-', 'tsnet-bench-bb:latest'], { input: tar.stdout, encoding: 'utf8' })],
      ['network create', () => docker('network', 'create', 'benchnet')],
      ['run', () => docker('run', '-d', '--name', 'web', '--network', 'benchnet', 'tsnet-bench-bb:latest', '/bin/busybox', 'sleep', '3600')],
    ];
    for (const [what, step] of steps) {
      const r = step();
      if (r.status !== 0) {
        console.error(`# docker ${what} failed: ${r.stderr?.trim() ?? ''}`);
        return undefined;
      }
    }
    const pid = docker('inspect', '-f', '{{.State.Pid}}', 'web').stdout.trim();
    const file = join(root, 'q.txt');
    writeFileSync(file, 'web A\n'.repeat(100));
    const out = spawnSync('nsenter', [`--net=/proc/${pid}/ns/net`, 'dnsperf', '-s', '127.0.0.11', '-d', file, '-c', '4', '-l', String(seconds)], {
      encoding: 'utf8', timeout: (seconds + 30) * 1000,
    }).stdout;
    const qps = /Queries per second:\s+([\d.]+)/.exec(out);
    const avg = /Average Latency \(s\):\s+([\d.]+)/.exec(out);
    return qps && avg ? { qps: Number(qps[1]), avgMs: Number(avg[1]) * 1000 } : undefined;
  } finally {
    docker('rm', '-f', 'web');
    docker('network', 'rm', 'benchnet');
    const pidFile = join(root, 'docker.pid');
    if (existsSync(pidFile)) process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM');
    else daemon.kill('SIGTERM');
    await new Promise<void>((r) => {
      const t = setTimeout(() => {
        daemon.kill('SIGKILL');
        r();
      }, 15_000);
      daemon.once('exit', () => {
        clearTimeout(t);
        r();
      });
    });
    ns.destroy();
    rmSync(root, { recursive: true, force: true });
  }
}
