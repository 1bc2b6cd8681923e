import type { Driver } from '../types.js';

/**
 * The `none` driver: the sandbox keeps only its loopback. The endpoint exists (so inspect shows the
 * container on the `none` network, as Docker does) but has no interface and no address.
 */
export function none(): Driver<Record<string, never>> {
  return {
    name: 'null',
    scope: 'local',
    usesIpam: false,
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
