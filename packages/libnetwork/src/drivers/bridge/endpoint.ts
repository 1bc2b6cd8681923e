import { conflict } from '@tsnet/errors';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../../model/types.js';
import type { DriverContext, JoinTarget } from '../types.js';
import type { BridgeConfig } from './config.js';

/** linux/net/bridge/br_private.h: BR_PORT_BITS 10, so BR_MAX_PORTS 1024, and port 0 is reserved. */
export const BR_MAX_PORTS = 1024;
export const BRIDGE_PORT_LIMIT = BR_MAX_PORTS - 1;

/**
 * Joining is one veth pair: the host side (`veth` + 7 hex) enslaved to the bridge, the peer created
 * straight inside the sandbox namespace under its final name (no create-then-move-then-rename dance,
 * so a crash never leaves a half-named interface), with the endpoint's MAC, addresses and MTU.
 */
export async function joinBridge(ctx: DriverContext, network: NetworkRecord, endpoint: EndpointRecord, target: JoinTarget): Promise<void> {
  const config = network.driverConfig as BridgeConfig;
  await ctx.host.addVeth({
    name: endpoint.hostIfName,
    peerName: target.ifName,
    peerNsPath: target.sandbox.nsPath,
    mtu: config.mtu,
    peerMac: endpoint.macAddress,
  });
  // The host side (bridge port) and the sandbox side (addresses) are independent netlink sockets:
  // set them up side by side, and wait for both before reporting (no undo races a step in flight).
  const results = await Promise.allSettled([hostSide(ctx, network, endpoint, config), sandboxSide(ctx, endpoint, target)]);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

async function hostSide(ctx: DriverContext, network: NetworkRecord, endpoint: EndpointRecord, config: BridgeConfig): Promise<void> {
  try {
    await ctx.host.setMaster(endpoint.hostIfName, config.bridgeName);
  } catch (error) {
    // br_add_if refuses a port past BR_MAX_PORTS (1 << BR_PORT_BITS = 1024) with EXFULL.
    // libuv's error table has no EXFULL (54), so the code may read 'E54'.
    const e = error as { code?: string; errno?: number };
    if (e.code !== 'EXFULL' && e.code !== 'E54' && e.errno !== -54) throw error;
    throw conflict('ERR_BRIDGE_FULL', `bridge ${config.bridgeName} of network "${network.name}" is full: the kernel allows at most ${BRIDGE_PORT_LIMIT} ports per bridge (BR_MAX_PORTS ${BR_MAX_PORTS}, port 0 reserved)`, {
      cause: error,
      details: { bridge: config.bridgeName, network: network.name, limit: BRIDGE_PORT_LIMIT },
    });
  }
  // Without a userland proxy a container reaching its own published port comes back out of the
  // port it went in by; the bridge drops that unless the port is in hairpin mode (Docker does this too).
  if (!ctx.config.userlandProxy) await ctx.host.setHairpin(endpoint.hostIfName, true);
  await ctx.host.setUp(endpoint.hostIfName);
}

async function sandboxSide(ctx: DriverContext, endpoint: EndpointRecord, target: JoinTarget): Promise<void> {
  const sb = await ctx.kernel.ns(target.sandbox.nsPath);
  // The sandbox starts with IPv6 disabled everywhere (as Docker); only an IPv6 endpoint's own
  // interface gets it back, before its address (the kernel refuses one on a disabled link).
  if (endpoint.ipv6) ctx.kernel.writeSysctl(target.sandbox.nsPath, `net.ipv6.conf.${target.ifName}.disable_ipv6`, '0');
  if (endpoint.ipv4) await sb.ensureAddress(target.ifName, endpoint.ipv4);
  if (endpoint.ipv6) await sb.ensureAddress(target.ifName, endpoint.ipv6, { nodad: true });
  await sb.setUp(target.ifName);
}

/**
 * Leaving: the container side goes down (the kernel drops its routes: the container is off the
 * network at once) while the host side is retired — deleting it, later, deletes both ends; the two
 * are independent sockets, so side by side. If the host side was already gone, the container side
 * is deleted directly.
 */
export async function leaveBridge(ctx: DriverContext, endpoint: EndpointRecord, sandbox: SandboxRecord): Promise<void> {
  const sb = endpoint.ifName && sandbox.nsName && ctx.kernel.namedNetns().includes(sandbox.nsName) ? await ctx.kernel.ns(sandbox.nsPath) : undefined;
  const down = async (): Promise<void> => {
    if (sb && (await sb.linkByName(endpoint.ifName))) await sb.setDown(endpoint.ifName);
  };
  const [downed, retired] = await Promise.allSettled([down(), endpoint.hostIfName ? ctx.retireLink(endpoint.hostIfName) : Promise.resolve(false)]);
  if (retired.status === 'rejected') throw retired.reason;
  if (!retired.value && sb) await sb.removeLink(endpoint.ifName);
  else if (downed.status === 'rejected') throw downed.reason;
}
