import { readFileSync, writeFileSync } from 'node:fs';
import { invalid } from '@tsnet/errors';
import { runInNetns } from '../netns/index.js';

/**
 * Per-namespace sysctls. The kernel binds a /proc/sys/net file to the network namespace of the
 * thread that opens it, and Node's synchronous fs calls run on the calling thread, so opening
 * the file inside runInNetns reads and writes that namespace's value (see src/netns/README.md).
 * Non-net keys (kernel.*, vm.*) are global whatever the namespace.
 */

// "net.ipv4.ip_forward" (dots) or "net/ipv4/conf/eth0.10/forwarding" (slashes: names with dots).
const KEY_RE = /^[A-Za-z0-9_-]+([./][A-Za-z0-9_@.:-]+)*$/;

export function sysctlPath(key: string): string {
  if (typeof key !== 'string' || !KEY_RE.test(key) || key.split(/[./]/).some((p) => p === '' || p === '..')) {
    throw invalid('ERR_INVALID_SYSCTL_KEY', `invalid sysctl key ${JSON.stringify(key)}: use net.ipv4.ip_forward or net/ipv4/conf/eth0/forwarding`, {
      details: { key },
    });
  }
  return `/proc/sys/${key.includes('/') ? key : key.replaceAll('.', '/')}`;
}

/** The value of a sysctl inside nsPath (undefined: this thread's namespace), trailing newline trimmed. */
export function readSysctl(nsPath: string | undefined, key: string): string {
  const path = sysctlPath(key);
  return runInNetns(nsPath, () => readFileSync(path, 'utf8')).trimEnd();
}

/** Writes a sysctl inside nsPath (undefined: this thread's namespace). */
export function writeSysctl(nsPath: string | undefined, key: string, value: string): void {
  const path = sysctlPath(key);
  runInNetns(nsPath, () => writeFileSync(path, value));
}

/** Writes only when the value differs (as Docker does); true when it changed something. */
export function ensureSysctl(nsPath: string | undefined, key: string, value: string): boolean {
  const path = sysctlPath(key);
  return runInNetns(nsPath, () => {
    if (readFileSync(path, 'utf8').trim() === value.trim()) return false;
    writeFileSync(path, value);
    return true;
  });
}
