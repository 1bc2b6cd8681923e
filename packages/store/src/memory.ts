import { StateStore } from './base.js';
import type { Operation, WatchEvent } from './types.js';

/**
 * The store held entirely in memory: a real implementation of the Store semantics (revisions,
 * compare-and-set, transactions, watch), used as the fake in unit tests and for throwaway state.
 * A write is committed the moment it is applied.
 */
export class MemoryStore extends StateStore {
  protected readonly label = 'memory store';

  protected commit(_ops: readonly Operation[], changes: readonly WatchEvent[]): Promise<void> {
    this.publish(changes);
    return Promise.resolve();
  }

  protected settled(): Promise<void> {
    return Promise.resolve();
  }

  protected release(): Promise<void> {
    return Promise.resolve();
  }
}
