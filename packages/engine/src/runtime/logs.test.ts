import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readLogs, timeSeconds } from './logs.js';
import type { LogEntry } from './types.js';

const line = (log: string, stream: 'stdout' | 'stderr', time: string): string => JSON.stringify({ log, stream, time }) + '\n';

async function collect(it: AsyncIterable<LogEntry>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of it) out.push(e.log);
  return out;
}

describe('readLogs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsnet-logs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'container.log');
  writeFileSync(
    path,
    line('a\n', 'stdout', '2026-01-01T00:00:01.000000000Z') +
      line('b\n', 'stderr', '2026-01-01T00:00:02.500000000Z') +
      line('c\n', 'stdout', '2026-01-01T00:00:03.000000000Z') +
      '{"log":"torn', // a writer killed mid-line: ignored
  );
  const t = (s: string): number => timeSeconds(s);

  it.each([
    [{}, ['a\n', 'b\n', 'c\n']],
    [{ stderr: false }, ['a\n', 'c\n']],
    [{ stdout: false }, ['b\n']],
    [{ tail: 2 }, ['b\n', 'c\n']],
    [{ tail: 0 }, []],
    [{ since: t('2026-01-01T00:00:02Z') }, ['b\n', 'c\n']],
    [{ until: t('2026-01-01T00:00:02.5Z') }, ['a\n', 'b\n']], // until is inclusive at the same instant
    [{ since: t('2026-01-01T00:00:02Z'), tail: 1 }, ['c\n']],
  ])('%j', async (options, expected) => {
    expect(await collect(readLogs(path, options, () => false))).toEqual(expected);
  });

  it('follows appended lines until the container stops', async () => {
    const p = join(dir, 'follow.log');
    writeFileSync(p, line('1\n', 'stdout', '2026-01-01T00:00:01Z'));
    let running = true;
    const seen: string[] = [];
    const done = (async () => {
      for await (const e of readLogs(p, { follow: true }, () => running)) seen.push(e.log);
    })();
    await new Promise((r) => setTimeout(r, 50));
    appendFileSync(p, line('2\n', 'stderr', '2026-01-01T00:00:02Z'));
    await new Promise((r) => setTimeout(r, 50));
    appendFileSync(p, line('3\n', 'stdout', '2026-01-01T00:00:03Z'));
    running = false;
    await done;
    expect(seen).toEqual(['1\n', '2\n', '3\n']);
  });

  it('stops following when aborted', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const e of readLogs(path, { follow: true, signal: controller.signal }, () => true)) seen.push(e.log);
    })();
    setTimeout(() => controller.abort(), 50);
    await done;
    expect(seen).toHaveLength(3);
  });
});

it('timeSeconds keeps sub-second precision', () => {
  expect(timeSeconds('2026-01-01T00:00:01.250000000Z') - timeSeconds('2026-01-01T00:00:01Z')).toBeCloseTo(0.25, 6);
});
