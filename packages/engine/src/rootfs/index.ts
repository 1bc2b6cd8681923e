export { makeBusyboxRootfsTar, isStaticElf } from './busybox.js';
export type { BusyboxRootfsOptions } from './busybox.js';
export { ensureBusyboxImage } from './image.js';
