import type { Driver } from '../types.js';

/**
 * The `host` driver: the container uses the host's namespace, so there is nothing to create —
 * no interface, no address, no rule. Its sandbox is the host namespace itself (controller).
 */
export function host(): Driver<Record<string, never>> {
  return {
    name: 'host',
    scope: 'local',
    usesIpam: false,
    hostNamespace: true,
    singleton: true,
    validate: () => ({}),
    createNetwork: async () => {},
    deleteNetwork: async () => {},
    restoreNetwork: async () => {},
    ownedLinks: () => [],
    join: async () => {},
    leave: async () => {},
    providesGateway: () => false,
  };
}
