export {
  NETNS_RUN_DIR,
  netnsPath,
  createNamedNetns,
  removeNamedNetns,
  removeNetnsPath,
  runInNetns,
  openSocketInNetns,
  spawnInNetns,
  spawnSyncInNetns,
  netnsId,
  sameNetns,
} from './netns.js';
export type { SocketSpec, NetnsId } from './netns.js';
