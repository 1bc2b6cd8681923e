import type { FirewallState, NetworkRules, PortMapping } from './types.js';

/** States shared by the unit and netns tests. */

export function network(name: string, index: number, extra: Partial<NetworkRules> = {}): NetworkRules {
  return {
    id: `${name}-id`,
    name,
    bridge: `br-${name}`,
    subnets: [`10.${index}.0.0/24`],
    gateway: `10.${index}.0.1`,
    icc: true,
    masquerade: true,
    internal: false,
    ...extra,
  };
}

export function mapping(net: NetworkRules, containerIp: string, hostPort: number, containerPort: number, extra: Partial<PortMapping> = {}): PortMapping {
  return {
    networkId: net.id,
    endpointId: `ep-${containerIp.replace(/[.:]/g, '')}`,
    containerId: `ctr-${containerIp.replace(/[.:]/g, '')}`,
    bridge: net.bridge,
    proto: 'tcp',
    hostIp: '',
    hostPort,
    containerIp,
    containerPort,
    ...extra,
  };
}

const web = network('web', 1, { subnets: ['10.1.0.0/24', 'fd00:1::/64'] });
const db = network('db', 2, { internal: true, icc: false });

export const sampleState: FirewallState = {
  networks: [web, db],
  portMappings: [
    mapping(web, '10.1.0.2', 8080, 80),
    mapping(web, '10.1.0.2', 5353, 53, { proto: 'udp', hostIp: '127.0.0.1' }),
    mapping(web, '10.1.0.3', 9000, 9000, { proto: 'sctp' }),
    mapping(web, 'fd00:1::2', 8080, 80),
  ],
};
