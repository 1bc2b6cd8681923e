import type { NetworkRecord } from '../model/types.js';
import type { Core } from './core.js';

/** `docker network inspect` JSON (Engine API v1.41 `Network` object). */
export interface NetworkInspect {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv6: boolean;
  IPAM: {
    Driver: string;
    Options: Record<string, string> | null;
    Config: Array<{ Subnet: string; Gateway?: string; IPRange?: string; AuxiliaryAddresses?: Record<string, string> }>;
  };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

export function inspectNetwork(core: Core, network: NetworkRecord): NetworkInspect {
  const containers: NetworkInspect['Containers'] = {};
  for (const e of core.endpoints.values()) {
    if (e.networkId !== network.id) continue;
    const sb = core.sandboxes.get(e.sandboxId);
    containers[sb?.containerId ?? e.id] = {
      Name: e.name,
      EndpointID: e.id,
      MacAddress: e.macAddress,
      IPv4Address: e.ipv4,
      IPv6Address: e.ipv6,
    };
  }
  const options = core.drivers.get(network.driver)?.inspectOptions?.(network) ?? { ...network.options };
  return {
    Name: network.name,
    Id: network.id,
    Created: network.created,
    Scope: network.scope,
    Driver: network.driver,
    EnableIPv6: network.enableIPv6,
    IPAM: {
      Driver: network.ipam.driver,
      Options: Object.keys(network.ipam.options).length ? { ...network.ipam.options } : null,
      Config: network.pools.map((p) => ({
        Subnet: p.pool,
        ...(p.gateway ? { Gateway: p.gateway } : {}),
        ...(p.ipRange ? { IPRange: p.ipRange } : {}),
        ...(Object.keys(p.auxAddresses).length ? { AuxiliaryAddresses: { ...p.auxAddresses } } : {}),
      })),
    },
    Internal: network.internal,
    Attachable: network.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: options,
    Labels: { ...network.labels },
  };
}
