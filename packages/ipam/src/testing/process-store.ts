import type { ChildProcess } from 'node:child_process';
import { TsnetError, type ErrorKind } from '@tsnet/errors';
import type { Entry, Store, Transaction, TxnResult, WatchEvent, WriteOptions } from '@tsnet/store';
import type { Observable } from 'rxjs';

/**
 * Test fixture for the multi-process test: the parent process hosts the one real Store (the file
 * store is exclusive per directory) and each worker process reaches it through this proxy over
 * the child_process IPC channel. Every worker keeps its own Ipam with its own cache, so the only
 * thing that keeps them from handing out the same address is the store's compare-and-set.
 */
type Method = 'get' | 'put' | 'delete' | 'list' | 'txn' | 'revision';
interface Call { id: number; method: Method; args: unknown[] }
type Reply = { id: number; ok: unknown } | { id: number; error: { code: string; kind: ErrorKind; message: string } };

export function serveStore(child: ChildProcess, store: Store): void {
  child.on('message', (message: Call | { type: string }) => {
    if (!('method' in message)) return;
    const { id, method, args } = message;
    const fn = store[method] as (...a: unknown[]) => Promise<unknown>;
    fn.apply(store, args).then(
      (ok) => child.send({ id, ok: ok === undefined ? null : ok } satisfies Reply),
      (e: unknown) => {
        const error = e instanceof TsnetError ? e : new TsnetError('ERR_INTERNAL', 'internal', String(e));
        child.send({ id, error: { code: error.code, kind: error.kind, message: error.message } } satisfies Reply);
      },
    );
  });
}

export class ProcessStore implements Store {
  #next = 0;
  readonly #waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();

  constructor() {
    process.on('message', (reply: Reply) => {
      const waiter = this.#waiting.get(reply.id);
      if (waiter === undefined) return;
      this.#waiting.delete(reply.id);
      if ('error' in reply) waiter.reject(new TsnetError(reply.error.code, reply.error.kind, reply.error.message));
      else waiter.resolve(reply.ok);
    });
  }

  #call<T>(method: Method, ...args: unknown[]): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      process.send!({ id, method, args } satisfies Call);
    });
  }

  async get(key: string): Promise<Entry | undefined> {
    return (await this.#call<Entry | null>('get', key)) ?? undefined;
  }
  put(key: string, value: string, options?: WriteOptions): Promise<number> {
    return this.#call('put', key, value, options);
  }
  delete(key: string, options?: WriteOptions): Promise<boolean> {
    return this.#call('delete', key, options);
  }
  list(prefix: string): Promise<Entry[]> {
    return this.#call('list', prefix);
  }
  txn(transaction: Transaction): Promise<TxnResult> {
    return this.#call('txn', transaction);
  }
  revision(): Promise<number> {
    return this.#call('revision');
  }
  watch(_prefix: string): Observable<WatchEvent> {
    throw new Error('watch is not proxied');
  }
  async close(): Promise<void> {
    process.disconnect?.();
  }
}
