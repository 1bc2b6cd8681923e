import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { openFileStore } from './file-store.js';
import { spawnScript } from './testing/spawn.js';

const ROUNDS = 25;

/** Runs one writer child, kills it with SIGKILL at a random moment, returns the lines it printed whole. */
async function crashRound(dir: string, round: number): Promise<string[]> {
  const child = spawnScript('crash-writer.ts', [dir, String(round)]);
  let out = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  if (round % 5 === 4) {
    // sometimes before or during open: a kill in the middle of recovery must be harmless too
    await sleep(Math.random() * 1500);
  } else {
    // otherwise once writes are flowing (the first acknowledgement), then at a random moment
    while (!/\n(put|pair) /.test(out)) {
      if (child.exitCode !== null) throw new Error(`writer died: ${stderr}`);
      await sleep(5);
    }
    await sleep(Math.random() * 300);
  }
  child.kill('SIGKILL');
  await closed; // every byte it wrote to the pipe is read by now
  expect(child.signalCode, stderr).toBe('SIGKILL');
  return out.split('\n').slice(0, -1).filter((line) => line !== 'ready'); // the last piece may be cut
}

it(`every acknowledged write survives SIGKILL at random moments (${ROUNDS} rounds)`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsnet-crash-'));
  try {
    const acked: string[] = [];
    let roundsWithWrites = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      const lines = await crashRound(dir, round);
      if (lines.length > 0) roundsWithWrites += 1;
      acked.push(...lines);
      // The dead holder's lock is taken over, the store opens, and everything acknowledged is there.
      const store = await openFileStore(dir);
      try {
        for (const line of acked) {
          const [kind, key] = line.split(' ') as [string, string];
          if (kind === 'put') expect((await store.get(key))?.value, key).toBe(`value of ${key}`);
          else expect([(await store.get(`${key}/a`))?.value, (await store.get(`${key}/b`))?.value], key).toEqual([key, key]);
        }
        // Atomicity, acknowledged or not: no transaction is half there.
        const halves = (await store.list('/crash/')).filter((e) => /\/[ab]$/.test(e.key)).map((e) => e.key.slice(0, -2));
        const counts = new Map<string, number>();
        for (const pair of halves) counts.set(pair, (counts.get(pair) ?? 0) + 1);
        expect([...counts].filter(([, n]) => n !== 2)).toEqual([]);
      } finally {
        await store.close();
      }
    }
    expect(roundsWithWrites).toBeGreaterThanOrEqual(ROUNDS * 0.8); // the kills landed mid-write, not before
    expect(acked.length).toBeGreaterThan(200);
    console.log(`crash test: ${acked.length} acknowledged writes over ${roundsWithWrites}/${ROUNDS} rounds with writes`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 300_000);
