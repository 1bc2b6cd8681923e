import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Duplex, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { invalid } from '@tsnet/errors';

export type ByteSource = Readable | AsyncIterable<Uint8Array>;

/**
 * GNU tar options for extracting untrusted archives as root. Defaults already refuse `..` members
 * and strip leading `/`; a symlink pointing outside (absolute or with `..`) is created only at the
 * end of the run, so later members cannot write through it. We only ever extract into an empty
 * directory (layers are merged afterwards, see layers.ts), so earlier content cannot be used
 * against us either. Owners and modes are kept: images carry root-owned files and setuid bits.
 */
const EXTRACT_FLAGS = ['--numeric-owner', '--same-owner', '--same-permissions', '--no-overwrite-dir', '--warning=no-timestamp'];

const MAGIC: Array<{ name: string; bytes: number[]; command?: string[] }> = [
  { name: 'gzip', bytes: [0x1f, 0x8b] },
  { name: 'xz', bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], command: ['xz', '-dc'] },
  { name: 'bzip2', bytes: [0x42, 0x5a, 0x68], command: ['bzip2', '-dc'] },
  { name: 'zstd', bytes: [0x28, 0xb5, 0x2f, 0xfd], command: ['zstd', '-dc'] },
];

/** Reads enough of the stream to sniff a compression header, then replays everything. */
async function sniff(source: ByteSource): Promise<{ head: Buffer; stream: Readable }> {
  const iterator = (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < 8) {
    const next = await iterator.next();
    if (next.done) break;
    const chunk = Buffer.from(next.value);
    chunks.push(chunk);
    length += chunk.length;
  }
  const head = Buffer.concat(chunks);
  async function* replay(): AsyncGenerator<Uint8Array> {
    if (head.length > 0) yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { head, stream: Readable.from(replay(), { objectMode: false }) };
}

function decompressor(head: Buffer): Duplex | undefined {
  const kind = MAGIC.find((m) => m.bytes.every((b, i) => head[i] === b));
  if (!kind) return undefined;
  if (!kind.command) return createGunzip();
  const child = spawn(kind.command[0]!, kind.command.slice(1), { stdio: ['pipe', 'pipe', 'ignore'] });
  return Duplex.from({ writable: child.stdin, readable: child.stdout });
}

/**
 * Streams a tar (plain, gzip, xz, bzip2 or zstd) into `dir` with the system tar and returns the
 * sha256 of the uncompressed tar: the layer's diff id, as Docker computes it.
 */
export async function extractTar(source: ByteSource, dir: string): Promise<{ diffId: string }> {
  const { head, stream } = await sniff(source);
  if (head.length === 0) throw invalid('ERR_IMAGE_ARCHIVE_INVALID', 'image archive is empty');
  const hash = createHash('sha256');
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const tar = spawn('tar', ['-x', '-f', '-', '-C', dir, ...EXTRACT_FLAGS], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  tar.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number>((resolve, reject) => {
    tar.once('error', reject);
    tar.once('close', (code) => resolve(code ?? 1));
  });
  const unzip = decompressor(head);
  const stages: NodeJS.ReadWriteStream[] = unzip ? [unzip, hasher] : [hasher];
  let streamError: unknown;
  await pipeline([stream, ...stages, tar.stdin] as NodeJS.ReadWriteStream[]).catch((error: unknown) => {
    streamError = error;
    tar.stdin.destroy();
  });
  const code = await exited;
  if (code !== 0 || streamError) {
    const why = stderr.trim() || (streamError instanceof Error ? streamError.message : `tar exited ${code}`);
    throw invalid('ERR_IMAGE_ARCHIVE_INVALID', `cannot extract image archive: ${why}`, { cause: streamError });
  }
  return { diffId: `sha256:${hash.digest('hex')}` };
}
