import type { Observable } from 'rxjs';

/**
 * The key-value interface every stateful package persists through. Shaped like etcd's v3 API so
 * an etcd backend can implement it unchanged: a single global revision counter that every change
 * bumps, per-key create/mod revisions, compare-and-set, and multi-key transactions.
 */

export interface Entry {
  key: string;
  value: string;
  /** Global revision at which this key was created (since its last deletion). */
  createRevision: number;
  /** Global revision of the last change to this key; the value to pass as `expectedRevision`. */
  modRevision: number;
}

export interface WriteOptions {
  /**
   * Compare-and-set: the write happens only if the key's modRevision equals this value.
   * `0` means "only if the key does not exist". Otherwise the call throws ERR_STORE_CONFLICT.
   */
  expectedRevision?: number;
}

export type Compare =
  | { key: string; modRevision: number } // 0 = key must be absent
  | { key: string; value: string }
  | { key: string; exists: boolean };

export type Operation =
  | { op: 'put'; key: string; value: string }
  | { op: 'delete'; key: string }
  | { op: 'deletePrefix'; prefix: string };

export interface Transaction {
  compare?: Compare[];
  success: Operation[];
  failure?: Operation[];
}

export interface TxnResult {
  succeeded: boolean;
  /** The store's revision after the transaction (unchanged when no operation ran). */
  revision: number;
}

export type WatchEvent =
  | { type: 'put'; key: string; value: string; modRevision: number; prevValue?: string }
  | { type: 'delete'; key: string; modRevision: number; prevValue?: string };

/**
 * Keys and prefixes start with '/' (ERR_STORE_INVALID_KEY otherwise). A write's promise resolves
 * once it is committed (for the file store: fdatasync'd); reads see every applied write, which in
 * the file store may include one whose fsync is still in flight (see the README).
 */
export interface Store {
  get(key: string): Promise<Entry | undefined>;
  /** Returns the new modRevision of the key. */
  put(key: string, value: string, options?: WriteOptions): Promise<number>;
  /** Returns true when something was deleted; deleting a missing key is not an error (unless CAS). */
  delete(key: string, options?: WriteOptions): Promise<boolean>;
  /** Every entry whose key starts with prefix, sorted by key. */
  list(prefix: string): Promise<Entry[]>;
  /** Changes under prefix from now on (hot: subscribe before acting to see your own writes). */
  watch(prefix: string): Observable<WatchEvent>;
  /** All operations of the chosen branch are applied atomically, durably, or none is. */
  txn(transaction: Transaction): Promise<TxnResult>;
  /** The current global revision. */
  revision(): Promise<number>;
  close(): Promise<void>;
}
