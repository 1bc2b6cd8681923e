/**
 * Docker's multiplexed stream format (`application/vnd.docker.raw-stream` without a TTY): each
 * frame is an 8-byte header — stream type (0 stdin, 1 stdout, 2 stderr, 3 systemerr), three zero
 * bytes, payload length as uint32 big-endian — then the payload. Used by logs, attach and exec.
 */
export type StdStream = 'stdin' | 'stdout' | 'stderr' | 'systemerr';

const CODES: Record<StdStream, number> = { stdin: 0, stdout: 1, stderr: 2, systemerr: 3 };
const NAMES: StdStream[] = ['stdin', 'stdout', 'stderr', 'systemerr'];

/** One frame; payloads above 4 GiB do not occur here (log lines are at most 16 KiB). */
export function encodeFrame(stream: StdStream, payload: Uint8Array | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = CODES[stream];
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

export interface Frame {
  stream: StdStream;
  payload: Buffer;
}

/** Incremental decoder: feed chunks as they arrive, get whole frames back. */
export class FrameDecoder {
  #pending = Buffer.alloc(0);

  push(chunk: Uint8Array): Frame[] {
    this.#pending = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : Buffer.from(chunk);
    const frames: Frame[] = [];
    while (this.#pending.length >= 8) {
      const size = this.#pending.readUInt32BE(4);
      if (this.#pending.length < 8 + size) break;
      const stream = NAMES[this.#pending[0]!];
      if (!stream) throw new Error(`invalid stream type ${this.#pending[0]} in multiplexed stream`);
      frames.push({ stream, payload: this.#pending.subarray(8, 8 + size) });
      this.#pending = this.#pending.subarray(8 + size);
    }
    return frames;
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get pendingBytes(): number {
    return this.#pending.length;
  }
}

/** Decodes a complete multiplexed buffer into per-stream text. */
export function demuxAll(buffer: Uint8Array): { stdout: string; stderr: string } {
  const out = { stdout: '', stderr: '' };
  for (const frame of new FrameDecoder().push(buffer)) {
    if (frame.stream === 'stdout' || frame.stream === 'stderr') out[frame.stream] += frame.payload.toString('utf8');
  }
  return out;
}
