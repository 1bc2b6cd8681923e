import type { NetworkRecord } from '../../model/types.js';
import type { DriverContext } from '../types.js';
import type { BridgeConfig } from './config.js';

/** `gateway/prefix` of every pool of a family, the addresses the bridge itself holds. */
export function gatewayCidrs(network: NetworkRecord, family: 4 | 6): string[] {
  return network.pools.filter((p) => p.family === family && p.gateway).map((p) => `${p.gateway}/${p.pool.split('/')[1]}`);
}

/**
 * The bridge holds the IPv4 gateway of each pool; any other IPv4 address found on a bridge we
 * manage is stale (a previous `bip`), and is removed as Docker replaces it.
 */
export async function setupIPv4(ctx: DriverContext, network: NetworkRecord, config: BridgeConfig): Promise<void> {
  const wanted = gatewayCidrs(network, 4);
  for (const cidr of wanted) await ctx.host.ensureAddress(config.bridgeName, cidr);
  for (const cidr of await ctx.host.addresses(config.bridgeName)) {
    if (!cidr.includes(':') && !wanted.includes(cidr)) await ctx.host.removeAddress(config.bridgeName, cidr);
  }
}
