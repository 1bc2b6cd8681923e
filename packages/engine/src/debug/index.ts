// tsnet debug: read the kernel and the daemon's API side by side (see README.md).
export { loadModel, wantedState, findContainer, findNetwork } from './model.js';
export type { DebugApi, Model, NetView, ContainerView, EndpointView, PortView } from './model.js';
export { whereOf, closeKernel, readBridges, netnsIds } from './kernel.js';
export type { Where, BridgeInfo, PortInfo } from './kernel.js';
export { bridges, bridgesReport } from './bridges.js';
export type { BridgesReport, BridgePortRow } from './bridges.js';
export { firewallReport, detectBackend, dockerRules, countersMoved } from './firewall.js';
export type { FirewallReport, FirewallRow } from './firewall.js';
export { trace } from './trace.js';
export type { TraceReport, Hop, Verdict, TraceOptions } from './trace.js';
export { topology, toDot, toMermaid, toSvg } from './graph.js';
export type { Topology } from './graph.js';
export { dnsQuery } from './dns.js';
export type { DnsReport } from './dns.js';
export { doctor } from './doctor.js';
export type { Finding } from './doctor.js';
