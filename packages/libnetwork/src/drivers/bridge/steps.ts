import type { NetworkRecord } from '../../model/types.js';
import type { DriverContext } from '../types.js';
import type { BridgeConfig } from './config.js';
import { bridgeUp, ensureBridge } from './device.js';
import { setupForwarding } from './forwarding.js';
import { setupIPv4 } from './ipv4.js';
import { setupIPv6 } from './ipv6.js';
import { verifyBridge } from './verify.js';

export interface StepInput {
  ctx: DriverContext;
  network: NetworkRecord;
  config: BridgeConfig;
}

export interface SetupStep {
  name: string;
  when: (i: StepInput) => boolean;
  step: (i: StepInput) => Promise<void> | void;
  why: string;
}

/**
 * The bridge's setup, in order (libnetwork's drivers/bridge/setup_*.go as a table). Every step is
 * idempotent, so the same table serves create and restore; teardown is deleting the device
 * (which takes its addresses and routes with it) plus the firewall state the controller re-applies.
 */
export const SETUP_STEPS: SetupStep[] = [
  { name: 'device', when: () => true, step: ({ ctx, config }) => ensureBridge(ctx, config), why: 'the bridge holds the gateway and every veth of the network' },
  { name: 'ipv4', when: ({ network }) => network.pools.some((p) => p.family === 4), step: ({ ctx, network, config }) => setupIPv4(ctx, network, config), why: 'the gateway address is the containers\' next hop' },
  { name: 'ipv6', when: ({ config }) => config.enableIPv6, step: ({ ctx, network, config }) => setupIPv6(ctx, network, config), why: 'IPv6 gateway, with IPv6 enabled on the device' },
  { name: 'forwarding', when: () => true, step: ({ ctx, config }) => setupForwarding(ctx, config), why: 'ip_forward, bridge netfilter and route_localnet for published ports' },
  { name: 'up', when: () => true, step: ({ ctx, config }) => bridgeUp(ctx, config), why: 'a down bridge forwards nothing' },
  { name: 'verify', when: () => true, step: ({ ctx, network, config }) => verifyBridge(ctx, network, config), why: 'read the kernel back instead of trusting our own calls' },
];

export async function runSetup(input: StepInput): Promise<void> {
  for (const s of SETUP_STEPS) if (s.when(input)) await s.step(input);
}
