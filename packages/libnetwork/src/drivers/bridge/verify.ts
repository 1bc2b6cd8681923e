import { internal } from '@tsnet/errors';
import type { NetworkRecord } from '../../model/types.js';
import type { DriverContext } from '../types.js';
import type { BridgeConfig } from './config.js';
import { gatewayCidrs } from './ipv4.js';

/**
 * Reads the bridge back from the kernel after setup: a step that "succeeded" without leaving the
 * kernel in the wanted state (a racing tool, a silently ignored attribute) is caught here, at
 * create or restore time, rather than when the first container has no network.
 */
export async function verifyBridge(ctx: DriverContext, network: NetworkRecord, config: BridgeConfig): Promise<void> {
  const link = await ctx.host.linkByName(config.bridgeName);
  const problems: string[] = [];
  if (!link) problems.push('missing');
  else {
    if (link.kind !== 'bridge') problems.push(`kind is ${link.kind}`);
    if (!link.up) problems.push('down');
    const addresses = await ctx.host.addresses(config.bridgeName);
    for (const cidr of [...gatewayCidrs(network, 4), ...gatewayCidrs(network, 6)]) {
      if (!addresses.includes(cidr)) problems.push(`no address ${cidr}`);
    }
  }
  if (problems.length > 0) {
    throw internal('ERR_BRIDGE_VERIFY', `bridge ${config.bridgeName} of network "${network.name}" is not as set up: ${problems.join(', ')}`, {
      details: { bridge: config.bridgeName, problems },
    });
  }
}
