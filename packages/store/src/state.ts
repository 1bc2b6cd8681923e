import type { Compare, Entry, Operation, WatchEvent } from './types.js';
import { invalid } from '@tsnet/errors';
import { checkKey, checkValue, StoreErrorCode } from './errors.js';

/**
 * The in-memory heart of every backend: entries, the global revision, compare evaluation and
 * atomic application of a list of operations. Synchronous on purpose — a transaction is evaluated
 * and applied in one turn of the event loop, so no other caller can interleave with it; the
 * backends only decide when the result counts as committed (at once, or after an fsync).
 */
export class KvState {
  readonly #entries = new Map<string, Entry>();
  #revision = 0;

  get revision(): number {
    return this.#revision;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    return entry === undefined ? undefined : { ...entry };
  }

  /** Entries under prefix, sorted by key (code-unit order, like etcd's byte order for ASCII keys). */
  list(prefix: string): Entry[] {
    const out: Entry[] = [];
    for (const entry of this.#entries.values()) if (entry.key.startsWith(prefix)) out.push({ ...entry });
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Every entry, unsorted and uncopied: for snapshots only. */
  entries(): IterableIterator<Entry> {
    return this.#entries.values();
  }

  /** True when every clause holds (an empty list holds). */
  holds(compare: readonly Compare[]): boolean {
    return compare.every((clause) => {
      const entry = this.#entries.get(clause.key);
      if ('modRevision' in clause) return (entry?.modRevision ?? 0) === clause.modRevision;
      if ('value' in clause) return entry !== undefined && entry.value === clause.value;
      return (entry !== undefined) === clause.exists;
    });
  }

  /**
   * Applies ops atomically at the next revision; returns the resulting changes (empty when nothing
   * changed, in which case the revision does not move — like etcd, deleting nothing is no write).
   */
  apply(ops: readonly Operation[]): WatchEvent[] {
    const revision = this.#revision + 1;
    const changes: WatchEvent[] = [];
    for (const op of ops) {
      if (op.op === 'put') changes.push(this.#put(op.key, op.value, revision));
      else if (op.op === 'delete') this.#delete(op.key, revision, changes);
      else for (const key of this.#keysUnder(op.prefix)) this.#delete(key, revision, changes);
    }
    if (changes.length > 0) this.#revision = revision;
    return changes;
  }

  /** Restores one entry verbatim (snapshot load). */
  restore(entry: Entry, revision: number): void {
    this.#entries.set(entry.key, { ...entry });
    this.#revision = Math.max(this.#revision, revision);
  }

  /** Sets the revision after a snapshot load (a snapshot may end on a revision no live key carries). */
  restoreRevision(revision: number): void {
    this.#revision = revision;
  }

  #put(key: string, value: string, revision: number): WatchEvent {
    const prev = this.#entries.get(key);
    const createRevision = prev?.createRevision ?? revision;
    this.#entries.set(key, { key, value, createRevision, modRevision: revision });
    return prev === undefined
      ? { type: 'put', key, value, modRevision: revision }
      : { type: 'put', key, value, modRevision: revision, prevValue: prev.value };
  }

  #delete(key: string, revision: number, changes: WatchEvent[]): void {
    const prev = this.#entries.get(key);
    if (prev === undefined) return;
    this.#entries.delete(key);
    changes.push({ type: 'delete', key, modRevision: revision, prevValue: prev.value });
  }

  #keysUnder(prefix: string): string[] {
    return [...this.#entries.keys()].filter((key) => key.startsWith(prefix));
  }
}

/** Validates every key, prefix and value of a transaction before anything is applied. */
export function checkOperations(ops: readonly Operation[]): void {
  for (const op of ops) {
    if (op.op === 'put') checkValue(checkKey(op.key), op.value);
    else if (op.op === 'delete') checkKey(op.key);
    else if (op.op === 'deletePrefix') checkKey(op.prefix, 'prefix');
    else throw invalid(StoreErrorCode.invalidOperation, `unknown store operation ${JSON.stringify(op)}`);
  }
}

export function checkCompares(compare: readonly Compare[]): void {
  for (const clause of compare) checkKey(clause.key);
}
