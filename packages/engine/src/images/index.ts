export { ImageStore } from './store.js';
export type { ImageStoreOptions, ImportOptions } from './store.js';
export { applyChanges } from './changes.js';
export { parseReference, parseRepository, parseTag, formatReference } from './reference.js';
export type { ImageReference } from './reference.js';
export { extractTar } from './tar.js';
export type { ByteSource } from './tar.js';
export { mergeLayer } from './layers.js';
export { toInspect, toSummary } from './present.js';
export type {
  ImageConfigJson,
  ImageRunConfig,
  ImageRecord,
  ImageSummary,
  ImageInspect,
  ImageDeleteItem,
} from './types.js';
export { containerProcess, resolveUser, mergeEnvLists, DEFAULT_PATH } from './process.js';
export type { ProcessOverrides } from './process.js';
