import { watch } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import type { LogEntry, LogOptions } from './types.js';

/** Seconds since the epoch of an RFC 3339 time with up to nanosecond fractions. */
export function timeSeconds(time: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) return Number.NaN;
  return Date.parse(`${m[1]}${m[3]}`) / 1000 + (m[2] ? Number(`0.${m[2]}`) : 0);
}

function parseLine(line: string): LogEntry | undefined {
  if (line === '') return undefined;
  try {
    const entry = JSON.parse(line) as LogEntry;
    return typeof entry.log === 'string' && typeof entry.time === 'string' ? entry : undefined;
  } catch {
    return undefined; // a torn last line of a crashed writer; the shim writes whole lines
  }
}

export function logFilter(options: LogOptions): (entry: LogEntry) => boolean {
  const wantOut = options.stdout ?? true;
  const wantErr = options.stderr ?? true;
  return (entry) => {
    if (entry.stream === 'stdout' ? !wantOut : !wantErr) return false;
    const t = timeSeconds(entry.time);
    if (options.since !== undefined && options.since > 0 && t < options.since) return false;
    if (options.until !== undefined && options.until > 0 && t > options.until) return false;
    return true;
  };
}

/**
 * Reads a json-file log (what the shim writes), applying stream, since/until and tail; with
 * `follow`, keeps reading what the shim appends until `isRunning()` turns false and the file is
 * drained, or the signal aborts. The reader never blocks the writer: it only reads the file.
 */
export async function* readLogs(path: string, options: LogOptions, isRunning: () => boolean): AsyncGenerator<LogEntry> {
  const keep = logFilter(options);
  const text = await readFile(path, 'utf8').catch(() => '');
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  let entries = complete.split('\n').map(parseLine).filter((e): e is LogEntry => e !== undefined && keep(e));
  if (typeof options.tail === 'number' && options.tail >= 0) entries = options.tail === 0 ? [] : entries.slice(-options.tail);
  yield* entries;
  if (!options.follow) return;
  yield* follow(path, Buffer.byteLength(complete), options, keep, isRunning);
}

async function* follow(
  path: string,
  start: number,
  options: LogOptions,
  keep: (e: LogEntry) => boolean,
  isRunning: () => boolean,
): AsyncGenerator<LogEntry> {
  let offset = start;
  let wake: (() => void) | undefined;
  const watcher = watch(path, () => wake?.());
  const onAbort = (): void => wake?.();
  options.signal?.addEventListener('abort', onAbort);
  const handle = await open(path, 'r');
  // A read may end inside a multi-byte character; the decoder keeps it for the next read.
  const decoder = new StringDecoder('utf8');
  let partial = '';
  try {
    for (;;) {
      const running = isRunning();
      const chunk = Buffer.alloc(256 * 1024);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, offset);
      offset += bytesRead;
      const text = partial + decoder.write(chunk.subarray(0, bytesRead));
      const cut = text.lastIndexOf('\n') + 1;
      partial = text.slice(cut);
      for (const line of text.slice(0, cut).split('\n')) {
        const entry = parseLine(line);
        if (!entry || !keep(entry)) continue;
        yield entry;
      }
      if (options.signal?.aborted) return;
      if (options.until !== undefined && options.until > 0 && Date.now() / 1000 > options.until) return;
      if (bytesRead === chunk.length) continue;
      // Read once more after the container stopped: the shim writes its last lines before exit.json.
      if (!running) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 250).unref();
      });
      wake = undefined;
    }
  } finally {
    watcher.close();
    options.signal?.removeEventListener('abort', onAbort);
    await handle.close();
  }
}
