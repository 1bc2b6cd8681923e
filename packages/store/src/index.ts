export { MemoryStore } from './memory.js';
export { StoreErrorCode } from './errors.js';
export type {
  Compare,
  Entry,
  Operation,
  Store,
  Transaction,
  TxnResult,
  WatchEvent,
  WriteOptions,
} from './types.js';
