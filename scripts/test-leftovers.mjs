// What a test run left behind, for scripts/run-tests.mjs. Tests must clean up after themselves;
// this is the net under them: it names every leftover (so the owner can fix the test) and then
// removes what this run made, so a second run on the same machine starts from the same state.
//
// Attribution without guessing: the runner gives the run its own /run/netns (a tmpfs in its
// private mount namespace) and its own TMPDIR, and marks every process it starts with an
// environment variable that children inherit (runc, shims, daemons; a container's init is then
// a descendant of a marked process).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const sh = (cmd, args) => spawnSync(cmd, args, { encoding: 'utf8' });

/** Processes carrying `marker` in their environment, their descendants, and any in our mount namespace. */
export function markedProcesses(marker) {
  const self = process.pid;
  const ownMnt = safe(() => readlinkSync('/proc/self/ns/mnt'));
  const procs = new Map();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === self) continue;
    const stat = safe(() => readFileSync(`/proc/${pid}/stat`, 'utf8'));
    if (!stat) continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const environ = safe(() => readFileSync(`/proc/${pid}/environ`, 'utf8')) ?? '';
    const mnt = safe(() => readlinkSync(`/proc/${pid}/ns/mnt`));
    const cmdline = (safe(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8')) ?? '').replaceAll('\0', ' ').trim();
    procs.set(pid, { pid, ppid, cmdline, marked: environ.split('\0').includes(marker) || (ownMnt !== undefined && mnt === ownMnt) });
  }
  // Our own ancestors (unshare, npm, the shell) share the mount namespace or the marker: never them.
  const ancestors = new Set();
  for (let p = process.ppid; p > 1 && !ancestors.has(p); p = procs.get(p)?.ppid ?? 0) ancestors.add(p);
  const found = new Map();
  const visit = (p) => {
    if (found.has(p.pid) || ancestors.has(p.pid) || p.cmdline === '') return; // '' = kernel thread or zombie
    found.set(p.pid, p);
    for (const child of procs.values()) if (child.ppid === p.pid) visit(child);
  };
  for (const p of procs.values()) if (p.marked) visit(p);
  return [...found.values()];
}

/** Lines of /proc/self/mountinfo whose mount point is under `dir`, deepest first. */
export function mountsUnder(dir) {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean);
  const points = lines.map((line) => line.split(' ')[4]).filter((p) => p === dir || p.startsWith(`${dir}/`));
  return points.sort((a, b) => b.length - a.length);
}

/** Sub-directories named `tsnet/<id>` in every cgroup hierarchy (runc's cgroupsPath for our containers). */
export function tsnetCgroups() {
  const out = [];
  for (const root of ['/sys/fs/cgroup', ...safeList('/sys/fs/cgroup').map((h) => join('/sys/fs/cgroup', h))]) {
    const dir = join(root, 'tsnet');
    for (const id of safeList(dir)) if (!id.startsWith('cgroup.') && safe(() => readdirSync(join(dir, id)))) out.push(join(dir, id));
  }
  return out;
}

/** The machine's own network state that a test must never touch: links, nft tables, tsnet iptables rules. */
export function hostNetState() {
  const links = sh('ip', ['-o', 'link', 'show']).stdout.split('\n').map((l) => l.split(':')[1]?.trim().split('@')[0]).filter(Boolean);
  const nft = sh('nft', ['list', 'tables']).stdout.split('\n').filter(Boolean);
  const ipt = ['iptables-save', 'ip6tables-save']
    .flatMap((cmd) => sh(cmd, []).stdout?.split('\n') ?? [])
    .filter((l) => /tsnet|DOCKER/i.test(l) && !l.startsWith('#'));
  return { links, nft, ipt };
}

export function diffHostNet(before, after) {
  const added = (key) => after[key].filter((x) => !before[key].includes(x));
  return { links: added('links'), nft: added('nft'), ipt: added('ipt') };
}

/**
 * Reports (returns lines) and removes this run's leftovers: processes, namespaces in the run's
 * /run/netns, mounts and files under the run's TMPDIR. Host state and cgroups are only reported:
 * on a shared machine they may belong to someone else's work.
 */
export function collectLeftovers({ marker, tmpDir, netnsDir, cgroupsBefore, hostBefore }) {
  const lines = [];
  const procs = markedProcesses(marker);
  for (const p of procs) lines.push(`process ${p.pid}: ${p.cmdline.slice(0, 160)}`);
  for (const p of procs) safe(() => process.kill(p.pid, 'SIGKILL'));
  if (netnsDir) {
    for (const name of safeList(netnsDir)) {
      lines.push(`network namespace ${name}`);
      sh('umount', ['-l', join(netnsDir, name)]);
      safe(() => rmSync(join(netnsDir, name), { force: true }));
    }
  }
  if (tmpDir && existsSync(tmpDir)) {
    for (const point of mountsUnder(tmpDir)) {
      lines.push(`mount ${point}`);
      sh('umount', ['-l', point]);
    }
    // tsx-<uid> is tsx's own compile cache, not something a test made.
    for (const name of safeList(tmpDir)) if (!/^tsx-\d+$/.test(name)) lines.push(`temp ${join(tmpDir, name)}`);
    // Only after every mount under it is gone: rm must never walk into a bind-mounted directory.
    if (mountsUnder(tmpDir).length === 0) rmSync(tmpDir, { recursive: true, force: true });
    else lines.push(`kept ${tmpDir}: mounts under it could not be removed`);
  }
  for (const cg of tsnetCgroups()) if (!cgroupsBefore.includes(cg)) lines.push(`cgroup ${cg} (not removed)`);
  const host = diffHostNet(hostBefore, hostNetState());
  for (const l of host.links) lines.push(`machine link ${l} (not removed)`);
  for (const t of host.nft) lines.push(`machine nft ${t} (not removed)`);
  for (const r of host.ipt) lines.push(`machine iptables ${r} (not removed)`);
  return lines;
}

function safe(fn) {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

function safeList(dir) {
  return safe(() => readdirSync(dir)) ?? [];
}
