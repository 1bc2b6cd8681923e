/**
 * Shared by the per-lab tests, examples/<lab>/lab.netns.test.ts (one file per lab, so the netns workers balance):
 * runs a lab's run.sh as a user would and reads what it observed on the kernel and the wire (each
 * script prints `RESULT <key> <value>` lines for the facts it measured: a ping's received count, a
 * wget's body, NAT counters, mounts), then checks that nothing is left behind: none of the lab's
 * namespaces, no temporary directory, no mount.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const examples = fileURLToPath(new URL('..', import.meta.url));

export interface LabRun {
  id: string;
  status: number;
  output: string;
  results: Map<string, string>;
}

export function runLab(folder: string): LabRun {
  const id = `t${randomBytes(3).toString('hex')}`;
  const r = spawnSync('bash', [`${examples}${folder}/run.sh`], {
    encoding: 'utf8',
    env: { ...process.env, LAB_ID: id },
    timeout: 280_000,
  });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const results = new Map<string, string>();
  for (const m of (r.stdout ?? '').matchAll(/^RESULT (\S+) ?(.*)$/gm)) results.set(m[1]!, m[2]!.trim());
  return { id, status: r.status ?? -1, output, results };
}

/** Nothing the lab made may remain: its namespaces (named with its id), its temp dir, its mounts. */
export function expectClean(run: LabRun): void {
  const namespaces = readdirSync('/run/netns').filter((n) => n.includes(run.id));
  expect(namespaces).toEqual([]);
  const ipList = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  expect(ipList).not.toContain(run.id);
  const dir = /socket (\/tmp\/tsnet-lab\d+\.\w+)\/tsnet\.sock/.exec(run.output)?.[1];
  if (dir) {
    expect(existsSync(dir)).toBe(false);
    expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(dir);
  }
}

export function check(run: LabRun, key: string): string {
  const value = run.results.get(key);
  if (value === undefined) throw new Error(`lab printed no RESULT ${key} (exit ${run.status}):\n${run.output.slice(-3000)}`);
  return value;
}

/** Per-lab test timeout: a lab starts its own daemon and many CLI processes. */
export const LAB_TIMEOUT = 300_000;
