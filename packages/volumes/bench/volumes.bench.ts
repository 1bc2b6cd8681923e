// Volume create/remove latency over the durable file store, and copy-up against `cp -a`.
// Copy-up data lives on /dev/shm (tmpfs), so the figure measures the copy, not the disk's
// writeback; create/remove use the file store and data root on the disk under os.tmpdir().
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync, existsSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFileStore } from '@tsnet/store';
import { median, reportBench, timeMs, type BenchFigure } from '@tsnet/testkit';
import { VolumeService, copyUp } from '@tsnet/volumes';

async function createRemove(): Promise<{ create: number; remove: number }> {
  const root = mkdtempSync(join(tmpdir(), 'tsnet-volbench-'));
  const store = await openFileStore(join(root, 'store'));
  const svc = await VolumeService.open({ store, root });
  const n = 300;
  const creates: number[] = [];
  const removes: number[] = [];
  for (let i = 0; i < 20; i += 1) await svc.remove((await svc.create({ Name: `warm${i}` })).Name);
  for (let i = 0; i < n; i += 1) creates.push(await timeMs(() => svc.create({ Name: `bench${i}`, Labels: { i: String(i) } })));
  for (let i = 0; i < n; i += 1) removes.push(await timeMs(() => svc.remove(`bench${i}`)));
  await store.close();
  rmSync(root, { recursive: true, force: true });
  return { create: median(creates), remove: median(removes) };
}

/** Docker's own figures, when a daemon answers on its socket in this run. */
async function docker(): Promise<{ create: number; remove: number } | undefined> {
  const sock = '/var/run/docker.sock';
  if (!existsSync(sock)) return undefined;
  const call = (method: string, path: string, body?: unknown): Promise<number> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? '' : JSON.stringify(body);
      const req = request({ socketPath: sock, method, path, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(payload);
    });
  try {
    if ((await call('GET', '/_ping')) !== 200) return undefined;
  } catch {
    return undefined;
  }
  const creates: number[] = [];
  const removes: number[] = [];
  for (let i = 0; i < 100; i += 1) creates.push(await timeMs(() => call('POST', '/volumes/create', { Name: `tsnetbench${i}` })));
  for (let i = 0; i < 100; i += 1) removes.push(await timeMs(() => call('DELETE', `/volumes/tsnetbench${i}`)));
  return { create: median(creates), remove: median(removes) };
}

function makeSmallFiles(dir: string): void {
  for (let d = 0; d < 100; d += 1) {
    mkdirSync(join(dir, `d${d}`), { recursive: true });
    for (let f = 0; f < 100; f += 1) writeFileSync(join(dir, `d${d}`, `f${f}`), `file ${d}/${f}\n`.repeat(20));
  }
}

function makeBigFile(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const fd = openSync(join(dir, 'big.bin'), 'w');
  const chunk = Buffer.alloc(8 * 1024 * 1024, 0x5a);
  for (let i = 0; i < 128; i += 1) writeSync(fd, chunk);
  closeSync(fd);
}

/** Median over runs of our copy-up and of `cp -a` on the same data, into fresh targets. */
async function copyRatio(base: string, label: string, make: (dir: string) => void): Promise<{ ours: number; cp: number }> {
  const src = join(base, `${label}-src`);
  make(src);
  const ours: number[] = [];
  const cp: number[] = [];
  const runOurs = async (): Promise<void> => {
    const a = join(base, `${label}-ours`);
    mkdirSync(a);
    ours.push(await timeMs(() => copyUp({ source: src, target: a, marker: join(base, `${label}.marker`) })));
    rmSync(a, { recursive: true, force: true });
  };
  const runCp = async (): Promise<void> => {
    const b = join(base, `${label}-cp`);
    mkdirSync(b);
    cp.push(await timeMs(() => spawnSync('cp', ['-a', '-T', src, b])));
    rmSync(b, { recursive: true, force: true });
  };
  // ABBA order over 6 runs: the machine is shared, so neither side always goes first.
  for (let run = 0; run < 6; run += 1) {
    if (run % 2 === 0) {
      await runOurs();
      await runCp();
    } else {
      await runCp();
      await runOurs();
    }
  }
  rmSync(src, { recursive: true, force: true });
  return { ours: median(ours), cp: median(cp) };
}

const lifecycle = await createRemove();
const dockerFigures = await docker();
const shm = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'tsnet-copyup-'));
let small;
let big;
try {
  small = await copyRatio(shm, 'small', makeSmallFiles);
  big = await copyRatio(shm, 'big', makeBigFile);
} finally {
  rmSync(shm, { recursive: true, force: true });
}
const figures: BenchFigure[] = [
  { name: 'volumes.create_ms', value: lifecycle.create, unit: 'ms', target: '<= 1 (Docker 4.59)', ...(dockerFigures ? { docker: dockerFigures.create } : {}) },
  { name: 'volumes.remove_ms', value: lifecycle.remove, unit: 'ms', target: '<= 1 (Docker 1.85)', ...(dockerFigures ? { docker: dockerFigures.remove } : {}) },
  { name: 'volumes.copyup_ratio_vs_cp', value: Math.max(small.ours / small.cp, big.ours / big.cp), unit: 'x', target: '<= 1.5 (worst of the two data sets)' },
  { name: 'volumes.copyup_small_files_ms', value: small.ours, unit: 'ms', target: `cp -a: ${small.cp.toFixed(1)} ms (10,000 files, tmpfs)` },
  { name: 'volumes.copyup_1gib_ms', value: big.ours, unit: 'ms', target: `cp -a: ${big.cp.toFixed(1)} ms (1 GiB file, tmpfs)` },
];
reportBench('volumes', figures);
