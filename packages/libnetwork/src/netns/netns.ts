import {
  spawn,
  spawnSync,
  type ChildProcess,
  type SpawnOptions,
  type SpawnSyncOptions,
  type SpawnSyncReturns,
} from 'node:child_process';
import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import { invalid } from '@tsnet/errors';
import { addon } from './addon.js';

/** Where named namespaces are bound, as with `ip netns add`. */
export const NETNS_RUN_DIR = '/run/netns';

// A file name under /run/netns. `ip netns` accepts more, but nothing we make needs more, and a
// narrow alphabet keeps names safe in paths, logs and shell snippets of the labs.
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function checkName(name: string): void {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw invalid('ERR_INVALID_NETNS_NAME', `invalid network namespace name ${JSON.stringify(name)}: use 1-128 of [A-Za-z0-9_.-], starting with a letter or digit`, {
      details: { name },
    });
  }
}

function checkPath(nsPath: string): void {
  if (typeof nsPath !== 'string' || !nsPath.startsWith('/')) {
    throw invalid('ERR_INVALID_NETNS_PATH', `invalid network namespace path ${JSON.stringify(nsPath)}: must be absolute`, {
      details: { nsPath },
    });
  }
}

/** The path a named namespace is bound at. */
export function netnsPath(name: string): string {
  checkName(name);
  return `${NETNS_RUN_DIR}/${name}`;
}

/**
 * Makes a new network namespace bound at /run/netns/<name> (like `ip netns add`) and returns that
 * path. An existing name fails with EEXIST. Its loopback is down, as with `ip netns add`.
 */
export function createNamedNetns(name: string): string {
  checkName(name);
  return addon().create(name);
}

/**
 * Removes a named namespace: lazy unmount (a namespace still used by a process or a socket lives
 * on until they are gone) and unlink. A missing namespace is success.
 */
export function removeNamedNetns(name: string): void {
  addon().remove(netnsPath(name));
}

/** Like removeNamedNetns, by path (any bind-mounted namespace file). */
export function removeNetnsPath(nsPath: string): void {
  checkPath(nsPath);
  addon().remove(nsPath);
}

/**
 * Calls fn with the calling (main) thread inside the namespace at nsPath, and switches back
 * afterwards even when fn throws. fn must be synchronous: after an `await` the thread is back in
 * its own namespace, so an async fn is refused (its synchronous part has already run). Sockets,
 * netlink sockets included, made inside fn stay in that namespace for their whole life.
 * `undefined` means the current namespace (fn is simply called).
 */
export function runInNetns<T>(nsPath: string | undefined, fn: () => T): T {
  if (nsPath === undefined) return fn();
  checkPath(nsPath);
  const result = addon().run(nsPath, fn);
  if (typeof (result as { then?: unknown } | null)?.then === 'function') {
    throw new TypeError('runInNetns: fn returned a promise; only its synchronous part ran inside the namespace');
  }
  return result;
}

export interface SocketSpec {
  type: 'udp' | 'tcp';
  /** IPv4 or IPv6 address to bind, e.g. '127.0.0.11' or '0.0.0.0'. */
  address: string;
  /** 0 picks an ephemeral port (reported back). */
  port: number;
  /**
   * TCP only: listen(2) after bind (default true). false makes a bound, non-listening socket
   * without SO_REUSEADDR — it holds the port (a port reservation: every other bind of it fails
   * with EADDRINUSE) without accepting connections.
   */
  listen?: boolean;
}

/**
 * Opens a socket inside the namespace at nsPath (undefined: the current one), bound to
 * address:port, listening when TCP (unless `listen: false`; SO_REUSEADDR set), close-on-exec. Returns the fd and the bound
 * port; Node adopts it with `dgram.createSocket(...).bind({ fd })` or `net.createServer().listen({ fd })`.
 */
export function openSocketInNetns(nsPath: string | undefined, spec: SocketSpec): { fd: number; port: number } {
  if (nsPath !== undefined) checkPath(nsPath);
  if (spec.type !== 'udp' && spec.type !== 'tcp') {
    throw invalid('ERR_INVALID_SOCKET_TYPE', `invalid socket type ${JSON.stringify(spec.type)}: use "udp" or "tcp"`);
  }
  if (isIP(spec.address) === 0) {
    throw invalid('ERR_INVALID_ADDRESS', `invalid address ${JSON.stringify(spec.address)}`);
  }
  if (!Number.isInteger(spec.port) || spec.port < 0 || spec.port > 65535) {
    throw invalid('ERR_INVALID_PORT', `invalid port ${String(spec.port)}: use 0-65535`);
  }
  return addon().socket(nsPath ?? null, spec.type, spec.address, spec.port, spec.listen ?? true);
}

/**
 * Starts a child process whose network namespace is nsPath's: child_process.spawn forks
 * synchronously from the calling thread, and a child inherits the forking thread's namespaces.
 * No `nsenter`/`ip netns exec` hop, and the mount namespace (/sys, cgroups) is left alone.
 */
export function spawnInNetns(nsPath: string | undefined, command: string, args: readonly string[] = [], options: SpawnOptions = {}): ChildProcess {
  return runInNetns(nsPath, () => spawn(command, args, options));
}

/** spawnSync with the child inside nsPath (see spawnInNetns). */
export function spawnSyncInNetns(
  nsPath: string | undefined,
  command: string,
  args: readonly string[] = [],
  options: SpawnSyncOptions = {},
): SpawnSyncReturns<string | Buffer> {
  return runInNetns(nsPath, () => spawnSync(command, args, options));
}

export interface NetnsId {
  /** Device of the nsfs file system. */
  dev: bigint;
  /** Namespace inode: two paths name the same namespace when dev and ino match. */
  ino: bigint;
}

/** Identity of the namespace at nsPath (default: this thread's current one). */
export function netnsId(nsPath = '/proc/thread-self/ns/net'): NetnsId {
  const st = statSync(nsPath, { bigint: true });
  return { dev: st.dev, ino: st.ino };
}

/** True when both paths name the same network namespace. */
export function sameNetns(a: string, b: string): boolean {
  const x = netnsId(a);
  const y = netnsId(b);
  return x.dev === y.dev && x.ino === y.ino;
}
