import { closeSync, constants, ftruncateSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { ftruncate } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { runAll, type TsnetError } from '@tsnet/errors';
import { StateStore } from '../base.js';
import { storeIoFailed } from '../errors.js';
import type { Operation, Store, WatchEvent } from '../types.js';
import { decodeFrames } from './frame.js';
import { fdatasyncAsync, fsyncAsync, fsyncDirSync, replaceFileDurably, writeAllSync } from './io.js';
import { type DirectoryLock, lockDirectory } from './lock.js';
import { encodeLogRecord, encodeSnapshot, loadSnapshot, replayLog } from './records.js';

const ftruncateAsync = promisify(ftruncate);

export interface FileStoreOptions {
  /**
   * The log is folded into a new snapshot once it is larger than this many bytes and than the last
   * snapshot (so a big state is not rewritten for a small log). Default 8 MiB.
   */
  compactBytes?: number;
}

const WAL_FILE = 'store.wal';
const SNAPSHOT_FILE = 'store.snap';

interface Pending {
  frame: Buffer;
  changes: readonly WatchEvent[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Opens (creating if needed) the durable store kept in dir: an exclusive lock, then the snapshot and
 * the log replayed into memory, a torn log tail cut off. Rejects with ERR_STORE_LOCKED while
 * another process (or another open store in this one) holds dir, ERR_STORE_CORRUPT if what is on
 * disk cannot be read back.
 */
export async function openFileStore(dir: string, options: FileStoreOptions = {}): Promise<Store> {
  const root = resolve(dir);
  const created = mkdirSync(root, { recursive: true });
  // New directories must survive a crash too: fsync each new level's parent, innermost first.
  if (created !== undefined) {
    for (let level = root; ; level = dirname(level)) {
      fsyncDirSync(dirname(level));
      if (level === created) break;
    }
  }
  const lock = await lockDirectory(root);
  try {
    return new FileStore(root, lock, options.compactBytes ?? 8 * 1024 * 1024);
  } catch (error) {
    lock.release();
    throw error;
  }
}

/**
 * The file backend. Every write is applied to memory at once (so transactions are ordered and
 * compare-and-set sees every earlier write) and queued; a writer loop appends everything queued
 * since its last turn as one write and covers it with ONE fdatasync (group commit), then
 * acknowledges each caller and publishes the watch events. Reads are served from memory.
 */
class FileStore extends StateStore {
  protected readonly label: string;
  readonly #dir: string;
  readonly #lock: DirectoryLock;
  readonly #compactBytes: number;
  readonly #walFd: number;
  #walSize: number;
  /** Bytes of the log file already extended with zeros (see #append). */
  #walAllocated: number;
  #snapshotSize = 0;
  #queue: Pending[] = [];
  #writer: Promise<void> | undefined;
  #tail: Promise<void> = Promise.resolve();
  #failure: TsnetError | undefined;

  constructor(dir: string, lock: DirectoryLock, compactBytes: number) {
    super();
    this.label = `file store at "${dir}"`;
    this.#dir = dir;
    this.#lock = lock;
    this.#compactBytes = compactBytes;
    this.#loadSnapshot();
    const wal = join(dir, WAL_FILE);
    this.#walFd = openSync(wal, constants.O_RDWR | constants.O_CREAT, 0o644);
    try {
      this.#walSize = this.#replayWal(wal);
      this.#walAllocated = this.#walSize;
      fsyncDirSync(dir); // the log file itself may have just been created
    } catch (error) {
      closeSync(this.#walFd);
      throw error;
    }
  }

  #loadSnapshot(): void {
    const path = join(this.#dir, SNAPSHOT_FILE);
    rmSync(`${path}.tmp`, { force: true }); // a compaction that never reached its rename
    let data: Buffer;
    try {
      data = readFileSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    loadSnapshot(this.state, data, path);
    this.#snapshotSize = data.length;
  }

  /**
   * Replays the log and cuts everything after the last intact frame: the zeros preallocated by
   * #append, or a torn batch whose fdatasync never returned (nobody was acknowledged). Cutting
   * rather than overwriting in place matters: an intact frame from the torn batch could otherwise
   * line up behind a later, shorter write and be replayed as a phantom.
   */
  #replayWal(path: string): number {
    const data = readFileSync(path);
    const { bodies, validLength } = decodeFrames(data);
    replayLog(this.state, bodies, path);
    if (validLength < data.length) {
      ftruncateSync(this.#walFd, validLength);
      fsyncSync(this.#walFd);
    }
    return validLength;
  }

  protected commit(ops: readonly Operation[], changes: readonly WatchEvent[]): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.#queue.push({ frame: encodeLogRecord(this.state.revision, ops), changes, resolve, reject });
    this.#tail = done;
    // Started on a microtask: writes issued in the same synchronous run share the first batch.
    this.#writer ??= Promise.resolve().then(() => this.#writeLoop());
    return done;
  }

  /** After a failed write memory is ahead of the disk: nothing more is served or applied. */
  protected override assertOpen(): void {
    super.assertOpen();
    if (this.#failure !== undefined) throw this.#failure;
  }

  protected settled(): Promise<void> {
    return this.#failure !== undefined ? Promise.reject(this.#failure) : this.#tail;
  }

  protected async release(): Promise<void> {
    await this.#writer;
    await runAll(`closing ${this.label}`, [
      () => {
        if (this.#failure === undefined) ftruncateSync(this.#walFd, this.#walSize); // drop the preallocated zeros
      },
      () => closeSync(this.#walFd),
      () => this.#lock.release(),
    ]);
  }

  async #writeLoop(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      try {
        // Compaction replaces the append: the snapshot is taken now, synchronously, so it holds
        // exactly what is durable plus this batch — and covers the batch on its own.
        if (this.#walSize > this.#compactBytes && this.#walSize > this.#snapshotSize) await this.#compact();
        else await this.#append(batch);
      } catch (cause) {
        this.#fail(cause, batch);
        break;
      }
      for (const item of batch) {
        this.publish(item.changes);
        item.resolve();
      }
    }
    this.#writer = undefined;
  }

  /**
   * Appends a batch and covers it with one fdatasync. The file is grown ahead in zero-filled
   * chunks: overwriting blocks that already exist makes fdatasync flush only data, while growing
   * the file on every append also costs a journal commit for the new size (about 2x slower here).
   * A zero length field ends replay, so the zeros read as "end of log".
   */
  async #append(batch: readonly Pending[]): Promise<void> {
    const frames = batch.length === 1 ? batch[0]!.frame : Buffer.concat(batch.map((item) => item.frame));
    const end = this.#walSize + frames.length;
    let data = frames;
    if (end > this.#walAllocated) {
      const allocated = end + this.#growBytes;
      data = Buffer.concat([frames, Buffer.alloc(allocated - end)]);
      this.#walAllocated = allocated;
    }
    // The write only copies into the page cache (microseconds), so it is done inline; only the
    // fdatasync, which waits for the device, goes to the thread pool: one hop per batch, not two.
    writeAllSync(this.#walFd, data, this.#walSize);
    await fdatasyncAsync(this.#walFd);
    this.#walSize = end;
  }

  get #growBytes(): number {
    return Math.min(1024 * 1024, Math.max(64 * 1024, this.#compactBytes));
  }

  async #compact(): Promise<void> {
    const snapshot = encodeSnapshot(this.state);
    await replaceFileDurably(this.#dir, join(this.#dir, SNAPSHOT_FILE), snapshot);
    // A crash before this truncate is harmless: replay skips records the snapshot already holds.
    await ftruncateAsync(this.#walFd, 0);
    await fsyncAsync(this.#walFd);
    this.#walSize = 0;
    this.#walAllocated = 0;
    this.#snapshotSize = snapshot.length;
  }

  /**
   * A failed write or fsync leaves memory ahead of the disk, and after a failed fsync the kernel
   * may have dropped the dirty pages (the "fsyncgate" lesson): nothing can be trusted to be on
   * disk, so the store stops accepting work; the daemon restarts and replays what is.
   */
  #fail(cause: unknown, batch: readonly Pending[]): void {
    this.#failure = storeIoFailed(this.#dir, cause);
    for (const item of [...batch, ...this.#queue]) item.reject(this.#failure);
    this.#queue = [];
  }
}
