import { execFileSync, spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * Test hosts are network namespaces the test makes itself; nothing here ever touches the
 * machine's own interfaces. Commands run inside with `nsenter --net=`, not `ip netns exec`,
 * because the latter remounts /sys and hides the cgroup mounts runc and dockerd need.
 */

let probed: boolean | undefined;

/** True when this process can make and remove network namespaces (root with the needed capabilities). */
export function canUseNetns(): boolean {
  if (probed !== undefined) return probed;
  if (process.getuid?.() !== 0) return (probed = false);
  const name = `tsnet-probe-${randomBytes(4).toString('hex')}`;
  const add = spawnSync('ip', ['netns', 'add', name], { stdio: 'ignore' });
  if (add.status !== 0) return (probed = false);
  spawnSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
  return (probed = true);
}

export interface ExecResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface TestNs {
  readonly name: string;
  /** Path of the bind mount, for setns-based APIs. */
  readonly path: string;
  /** Runs a command inside; throws with stderr when it exits non-zero. */
  sh(command: string): string;
  /** Runs argv inside; never throws, returns status and output. */
  exec(argv: string[], options?: { input?: string; timeoutMs?: number }): ExecResult;
  /** Starts a long-running process inside (a server, a daemon). */
  spawn(argv: string[], options?: SpawnOptions): ReturnType<typeof spawn>;
  /** `ip -j ...` inside, parsed. */
  ipJson<T = unknown>(args: string): T;
  /** Deletes the namespace (and with it every link inside). Idempotent. */
  destroy(): void;
}

export function nsenterArgv(nsName: string, argv: string[]): string[] {
  return ['nsenter', `--net=/run/netns/${nsName}`, '--', ...argv];
}

/** Makes a fresh namespace named `<prefix>-<hex>` with loopback up. */
export function createTestNs(prefix = 'tsnet-test'): TestNs {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', name]);
  const ns: TestNs = {
    name,
    path: `/run/netns/${name}`,
    sh(command) {
      const result = ns.exec(['sh', '-c', command]);
      if (result.status !== 0) {
        throw new Error(`in ${name}: ${command} exited ${result.status}: ${result.stderr.trim()}`);
      }
      return result.stdout;
    },
    exec(argv, options = {}) {
      const [cmd, ...args] = nsenterArgv(name, argv);
      const result = spawnSync(cmd!, args, {
        encoding: 'utf8',
        input: options.input,
        timeout: options.timeoutMs ?? 30_000,
      });
      return { status: result.status ?? -1, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
    },
    spawn(argv, options = {}) {
      const [cmd, ...args] = nsenterArgv(name, argv);
      return spawn(cmd!, args, options);
    },
    ipJson<T>(args: string): T {
      const out = ns.sh(`ip -j ${args}`);
      return (out.trim() === '' ? [] : JSON.parse(out)) as T;
    },
    destroy() {
      spawnSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
    },
  };
  ns.sh('ip link set lo up');
  return ns;
}

/**
 * A veth pair whose `parent` end (inside `ns`) stands in for a physical NIC (this kernel has no
 * dummy links); the other end is left in `peerNs` (an "outside" host) or deleted with `ns`.
 */
export function createParentLink(ns: TestNs, parent: string, peerNs?: TestNs, peerName = `${parent}p`): void {
  ns.sh(`ip link add ${parent} type veth peer name ${peerName}`);
  if (peerNs) ns.sh(`ip link set ${peerName} netns ${peerNs.name}`);
  ns.sh(`ip link set ${parent} up`);
  if (peerNs) peerNs.sh(`ip link set ${peerName} up`);
  else ns.sh(`ip link set ${peerName} up`);
}

/** Every namespace this process made and has not destroyed yet, removed at exit as a last resort. */
const live = new Set<TestNs>();
process.once('exit', () => {
  for (const ns of live) ns.destroy();
});

/** Like createTestNs but tracked, so a crashed test still leaves nothing behind when the worker exits. */
export function trackedTestNs(prefix?: string): TestNs {
  const ns = createTestNs(prefix);
  live.add(ns);
  const destroy = ns.destroy.bind(ns);
  return Object.assign(ns, {
    destroy() {
      live.delete(ns);
      destroy();
    },
  });
}
