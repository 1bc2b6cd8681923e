// vitest globalSetup (both projects): every vitest run gets its own TMPDIR, removed at the end with a
// line naming what tests left in it — so `npx vitest run` by hand does not pile up temp dirs
// either (TSNET_KEEP_TMP=1 keeps it for a look after a failure). Mounts under it (root tests) are lazily unmounted first: rm must never cross a bind mount.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const mountsUnder = (dir) =>
  readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean)
    .map((line) => line.split(' ')[4])
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);

export default function setup() {
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 'tsnet-vitest-'));
  process.env.TMPDIR = dir;
  return () => {
    if (process.env.TMPDIR === dir) {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
    }
    if (process.env.TSNET_KEEP_TMP) return void console.log(`tsnet: TSNET_KEEP_TMP set, kept ${dir}`);
    // tsx-<uid> is tsx's own compile cache, not something a test made.
    const left = readdirSync(dir).filter((name) => !/^tsx-\d+$/.test(name));
    const mounts = mountsUnder(dir);
    if (left.length > 0) {
      console.log(`\ntsnet: temp files left by tests (removed now): ${left.join(' ')}`);
    }
    for (const point of mounts) {
      console.log(`tsnet: mount left by tests (unmounted now): ${point}`);
      spawnSync('umount', ['-l', point]);
    }
    if (mountsUnder(dir).length === 0) rmSync(dir, { recursive: true, force: true });
    else console.log(`tsnet: kept ${dir}: mounts under it could not be removed`);
  };
}
