import type { Readable } from 'node:stream';
import { FrameDecoder } from '../runtime/index.js';

/**
 * Copies a Docker stream to our stdout/stderr: multiplexed frames without a TTY, raw bytes with
 * one. Resolves when the stream ends (or is destroyed).
 */
export function copyStream(stream: Readable, tty: boolean, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<void> {
  const decoder = new FrameDecoder();
  return new Promise((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => {
      if (tty) {
        out.write(chunk);
        return;
      }
      try {
        for (const frame of decoder.push(chunk)) {
          (frame.stream === 'stderr' || frame.stream === 'systemerr' ? err : out).write(frame.payload);
        }
      } catch (error) {
        stream.destroy();
        reject(error as Error);
      }
    });
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? resolve() : reject(error)));
  });
}

/** Lines of a newline-delimited JSON stream (events, import progress). */
export async function* jsonLines(stream: Readable): AsyncGenerator<Record<string, unknown>> {
  let pending = '';
  for await (const chunk of stream) {
    pending += (chunk as Buffer).toString('utf8');
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line) yield JSON.parse(line) as Record<string, unknown>;
    }
  }
  if (pending.trim()) yield JSON.parse(pending) as Record<string, unknown>;
}
