import { conflict } from '@tsnet/errors';
import { randomMac } from '../../model/ids.js';
import type { DriverContext } from '../types.js';
import type { BridgeConfig } from './config.js';

/**
 * The bridge device. `ensureBridge` adopts an existing bridge of that name (Docker does too: a
 * user may pre-create `-o com.docker.network.bridge.name=br0`), refuses anything else by that
 * name, and gives a new bridge a fixed random MAC — otherwise the kernel takes the lowest MAC of
 * its ports, and the gateway's MAC would change under the containers' ARP caches as they come and go.
 */
export async function ensureBridge(ctx: DriverContext, config: BridgeConfig): Promise<void> {
  const existing = await ctx.host.linkByName(config.bridgeName);
  if (existing && existing.kind !== 'bridge') {
    throw conflict('ERR_BRIDGE_NAME_TAKEN', `interface ${config.bridgeName} exists and is not a bridge (${existing.kind || 'unknown kind'})`, {
      details: { bridge: config.bridgeName, kind: existing.kind },
    });
  }
  if (!existing) {
    await ctx.host.addBridge({ name: config.bridgeName, mtu: config.mtu, mac: randomMac() });
    return;
  }
  if (existing.mtu !== config.mtu) await ctx.host.setMtu(config.bridgeName, config.mtu);
}

export async function bridgeUp(ctx: DriverContext, config: BridgeConfig): Promise<void> {
  await ctx.host.setUp(config.bridgeName);
}

/**
 * The bridge is retired (down, renamed, deleted in the background): down drops its routes at once,
 * the rename frees its name for the next network, and deleting it later takes its addresses.
 */
export async function removeBridge(ctx: DriverContext, config: BridgeConfig): Promise<void> {
  await ctx.retireLink(config.bridgeName);
}
