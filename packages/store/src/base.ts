import { filter, Observable, Subject } from 'rxjs';
import { casConflict, checkKey, storeClosed } from './errors.js';
import { checkCompares, checkOperations, KvState } from './state.js';
import type { Entry, Operation, Store, Transaction, TxnResult, WatchEvent, WriteOptions } from './types.js';

interface Outcome {
  succeeded: boolean;
  revision: number;
  changed: boolean;
  committed: Promise<void>;
}

/**
 * Everything the backends share: validation, compare-and-set on top of transactions, watch
 * fan-out. A backend decides only what "committed" means, in `commit` (called synchronously right
 * after the state changed, so commits are issued in revision order) and `settled` (resolves once
 * everything applied so far is committed).
 */
export abstract class StateStore implements Store {
  protected readonly state = new KvState();
  readonly #events = new Subject<WatchEvent>();
  #closeReason: string | undefined;

  /** Names the store in error messages ("memory store", `file store at "/var/lib/tsnet"`). */
  protected abstract readonly label: string;

  /** Makes one applied transaction durable; resolves when it is. Must not reorder commits. */
  protected abstract commit(ops: readonly Operation[], changes: readonly WatchEvent[]): Promise<void>;

  /** Resolves when every transaction applied so far is committed. */
  protected abstract settled(): Promise<void>;

  /** Releases the backend's resources after the last commit settled. */
  protected abstract release(): Promise<void>;

  /** Called by backends once a transaction is committed, in revision order. */
  protected publish(changes: readonly WatchEvent[]): void {
    for (const change of changes) this.#events.next(change);
  }

  async get(key: string): Promise<Entry | undefined> {
    checkKey(key);
    this.assertOpen();
    return this.state.get(key);
  }

  async list(prefix: string): Promise<Entry[]> {
    checkKey(prefix, 'prefix');
    this.assertOpen();
    return this.state.list(prefix);
  }

  async revision(): Promise<number> {
    this.assertOpen();
    return this.state.revision;
  }

  watch(prefix: string): Observable<WatchEvent> {
    checkKey(prefix, 'prefix');
    this.assertOpen();
    return this.#events.pipe(filter((event) => event.key.startsWith(prefix)));
  }

  async put(key: string, value: string, options: WriteOptions = {}): Promise<number> {
    checkKey(key);
    const outcome = this.#casWrite(key, options, { op: 'put', key, value });
    await outcome.committed;
    return outcome.revision;
  }

  async delete(key: string, options: WriteOptions = {}): Promise<boolean> {
    checkKey(key);
    const outcome = this.#casWrite(key, options, { op: 'delete', key });
    await outcome.committed;
    return outcome.changed;
  }

  async txn(transaction: Transaction): Promise<TxnResult> {
    const outcome = this.#run(transaction);
    await outcome.committed;
    return { succeeded: outcome.succeeded, revision: outcome.revision };
  }

  /** A single-key write guarded by `expectedRevision`; a failed compare rejects with a conflict. */
  #casWrite(key: string, options: WriteOptions, op: Operation): Outcome {
    const { expectedRevision } = options;
    const actual = this.state.get(key)?.modRevision ?? 0;
    const compare = expectedRevision === undefined ? [] : [{ key, modRevision: expectedRevision }];
    const outcome = this.#run({ compare, success: [op] });
    if (outcome.succeeded) return outcome;
    const error = casConflict(key, expectedRevision ?? 0, actual);
    return { ...outcome, committed: outcome.committed.then(() => Promise.reject(error)) };
  }

  /** Validates, evaluates and applies in one synchronous step: no other caller can interleave. */
  #run(transaction: Transaction): Outcome {
    const compare = transaction.compare ?? [];
    checkCompares(compare);
    checkOperations(transaction.success);
    checkOperations(transaction.failure ?? []);
    this.assertOpen();
    const succeeded = this.state.holds(compare);
    const ops = succeeded ? transaction.success : (transaction.failure ?? []);
    const changes = this.state.apply(ops);
    // A result that only read state (nothing changed, or a failed compare) still waits until what
    // it read is durable, so no caller is ever answered from a write that a crash could undo.
    const committed = changes.length > 0 ? this.commit(ops, changes) : this.settled();
    return { succeeded, revision: this.state.revision, changed: changes.length > 0, committed };
  }

  async close(): Promise<void> {
    if (this.#closeReason !== undefined) return;
    this.#closeReason = this.label;
    // A failed write already rejected its caller; closing still releases everything.
    await this.settled().catch(() => undefined);
    try {
      await this.release();
    } finally {
      this.#events.complete();
    }
  }

  protected get closed(): boolean {
    return this.#closeReason !== undefined;
  }

  protected assertOpen(): void {
    if (this.#closeReason !== undefined) throw storeClosed(this.label);
  }
}
