export { MemoryStore } from './memory.js';
export { openFileStore } from './file/file-store.js';
export type { FileStoreOptions } from './file/file-store.js';
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
