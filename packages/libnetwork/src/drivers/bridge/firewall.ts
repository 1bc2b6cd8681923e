import type { NetworkRules, PortMapping } from '../../firewall/types.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../../model/types.js';
import type { BridgeConfig } from './config.js';
import { isolationOf } from './isolation.js';

/** The network's part of the firewall's desired state. */
export function bridgeFirewallRules(network: NetworkRecord): NetworkRules {
  const config = network.driverConfig as BridgeConfig;
  const v4 = network.pools.find((p) => p.family === 4);
  return {
    id: network.id,
    name: network.name,
    bridge: config.bridgeName,
    subnets: network.pools.map((p) => p.pool),
    ...(v4 ? { gateway: v4.gateway } : {}),
    ...isolationOf(config),
    ...(config.hostBindingIpv4 ? { hostBindingIpv4: config.hostBindingIpv4 } : {}),
  };
}

/**
 * An endpoint's published ports as DNAT mappings. A port published on every address ('') maps
 * the IPv4 address, and the IPv6 one too when the endpoint has one (Docker publishes on both).
 */
export function bridgePortMappings(network: NetworkRecord, endpoint: EndpointRecord, sandbox: SandboxRecord): PortMapping[] {
  const config = network.driverConfig as BridgeConfig;
  const v4 = endpoint.ipv4.split('/')[0] ?? '';
  const v6 = endpoint.ipv6.split('/')[0] ?? '';
  const out: PortMapping[] = [];
  for (const p of endpoint.ports) {
    const base = {
      networkId: network.id,
      endpointId: endpoint.id,
      containerId: sandbox.containerId,
      bridge: config.bridgeName,
      proto: p.proto,
      hostPort: p.hostPort,
      containerPort: p.containerPort,
    };
    const hostIsV6 = p.hostIp.includes(':');
    if (!hostIsV6 && v4) out.push({ ...base, hostIp: p.hostIp || config.hostBindingIpv4, containerIp: v4 });
    if ((hostIsV6 || (p.hostIp === '' && !config.hostBindingIpv4)) && v6) {
      out.push({ ...base, hostIp: hostIsV6 ? p.hostIp : '::', containerIp: v6 });
    }
  }
  return out;
}
