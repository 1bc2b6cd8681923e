import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../../model/types.js';
import type { Driver, DriverContext, JoinTarget, NetworkSpec } from '../types.js';
import type { ControllerConfig } from '../../controller/config.js';
import { inspectOptions, loadBridgeConfig, type BridgeConfig } from './config.js';
import { removeBridge } from './device.js';
import { joinBridge, leaveBridge } from './endpoint.js';
import { bridgeFirewallRules, bridgePortMappings } from './firewall.js';
import { runSetup } from './steps.js';

export type { BridgeConfig } from './config.js';
export { OPT as BRIDGE_OPTIONS } from './config.js';

/** The `bridge` driver: a Linux bridge per network, a veth per endpoint, NAT and isolation in the firewall. */
export function bridge(): Driver<BridgeConfig> {
  return {
    name: 'bridge',
    scope: 'local',
    usesIpam: true,
    validate: (spec: NetworkSpec, others: NetworkRecord[], config: ControllerConfig) => loadBridgeConfig(spec, others, config),
    createNetwork: (ctx: DriverContext, network: NetworkRecord) =>
      runSetup({ ctx, network, config: network.driverConfig as BridgeConfig }),
    deleteNetwork: (ctx: DriverContext, network: NetworkRecord) => removeBridge(ctx, network.driverConfig as BridgeConfig),
    restoreNetwork: (ctx: DriverContext, network: NetworkRecord) =>
      runSetup({ ctx, network, config: network.driverConfig as BridgeConfig }),
    ownedLinks: (network: NetworkRecord) => [(network.driverConfig as BridgeConfig).bridgeName],
    join: (ctx: DriverContext, network: NetworkRecord, endpoint: EndpointRecord, target: JoinTarget) =>
      joinBridge(ctx, network, endpoint, target),
    leave: (ctx: DriverContext, _network: NetworkRecord, endpoint: EndpointRecord, sandbox: SandboxRecord) =>
      leaveBridge(ctx, endpoint, sandbox),
    firewallRules: bridgeFirewallRules,
    portMappings: bridgePortMappings,
    inspectOptions,
    providesGateway: (network: NetworkRecord) => !network.internal && network.pools.some((p) => p.family === 4),
  };
}
