import type { NetworkRecord } from '../../model/types.js';
import type { DriverContext } from '../types.js';
import type { BridgeConfig } from './config.js';
import { gatewayCidrs } from './ipv4.js';

/**
 * IPv6 on the bridge: the kernel may have IPv6 disabled on new links (disable_ipv6 inherited from
 * `default`), so it is turned on for this bridge before the gateway address is added.
 */
export async function setupIPv6(ctx: DriverContext, network: NetworkRecord, config: BridgeConfig): Promise<void> {
  ctx.kernel.writeSysctl(ctx.hostNsPath, `net/ipv6/conf/${config.bridgeName}/disable_ipv6`, '0');
  for (const cidr of gatewayCidrs(network, 6)) await ctx.host.ensureAddress(config.bridgeName, cidr, { nodad: true });
}
