export { parsePortSpec, parsePortSpecs, parsePortRange, publishAllBindings, formatBinding } from './spec.js';
export { PortReserver, localPortRange, simpleReserver } from './reserver.js';
export { startUserlandProxy } from './proxy.js';
export type { PortBinding, PortProto } from './spec.js';
export type { PortHolder, ReserveRequest, Reservation, PortReserverOptions, SocketOpener } from './reserver.js';
export type { ProxySpec, UserlandProxy } from './proxy.js';
