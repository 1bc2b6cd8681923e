import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { OciMount } from '../mount-plan.js';

/**
 * Mount tests must run in a private mount namespace (scripts/run-tests.mjs wraps vitest in
 * `unshare --mount --propagation private`); this refuses to run them in the machine's own.
 */
export function assertPrivateMountNamespace(): void {
  const mine = readlinkSync('/proc/self/ns/mnt');
  // Walk up the ancestors we may inspect: run-tests.mjs (in the machine's namespace) is one of them.
  let pid = process.ppid;
  while (pid > 1) {
    try {
      if (readlinkSync(`/proc/${pid}/ns/mnt`) !== mine) return;
      pid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      break;
    }
  }
  throw new Error('refusing to mount in the machine\'s mount namespace: run via `node scripts/run-tests.mjs --project netns`');
}

const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * What runc would do with our OCI mounts, done by hand under a scratch rootfs: so tests read and
 * write through real binds and tmpfs mounts exactly as a container would see them.
 */
export function applyOciMounts(rootfs: string, mounts: OciMount[]): string[] {
  const done: string[] = [];
  for (const m of mounts) {
    const target = join(rootfs, m.destination);
    mkdirSync(target, { recursive: true });
    if (m.type === 'tmpfs') {
      sh('mount', ['-t', 'tmpfs', '-o', m.options.join(','), m.source, target]);
    } else {
      sh('mount', ['--rbind', m.source, target]);
      const extra = m.options.filter((o) => o !== 'rbind' && o !== 'bind');
      const flags = extra.filter((o) => o === 'ro');
      if (flags.length > 0) sh('mount', ['-o', `remount,bind,${flags.join(',')}`, target]);
      const propagation = extra.find((o) => /^r?(shared|slave|private)$/.test(o));
      if (propagation) sh('mount', [`--make-${propagation}`, target]);
    }
    done.push(target);
  }
  return done;
}

export function unmountAll(targets: string[]): void {
  for (const t of [...targets].reverse()) {
    try {
      sh('umount', ['-l', t]);
    } catch {
      // already gone
    }
  }
}
