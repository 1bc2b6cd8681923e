export { Netlink } from './netlink.js';
export { NetlinkError, isNetlinkError } from './errors.js';
export { parseCidr, ipToBytes, bytesToIp, macToBytes, bytesToMac, checkIfName } from './codec.js';
export type { Family, ParsedCidr } from './codec.js';
export type { MacvlanMode, IpvlanMode, IpvlanFlag } from './messages.js';
export type {
  Link,
  OperState,
  Address,
  Route,
  RouteSpec,
  RouteScope,
  Neighbour,
  NeighbourSpec,
  NeighbourState,
  FdbEntry,
  FdbSpec,
  VethSpec,
  BridgeSpec,
  MacvlanSpec,
  IpvlanSpec,
  VxlanSpec,
} from './types.js';
