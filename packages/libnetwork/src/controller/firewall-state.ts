import type { FirewallState, NetworkRules, PortMapping } from '../firewall/types.js';
import { type Core, driverOf } from './core.js';

/**
 * The firewall's whole desired state, derived from the committed objects (plus whatever an
 * operation in flight has put in the maps). The firewall reconciles the kernel to exactly this,
 * so there is no per-rule bookkeeping to get wrong and restore is the same call as any change.
 */
export function desiredFirewallState(core: Core): FirewallState {
  const networks: NetworkRules[] = [];
  const portMappings: PortMapping[] = [];
  for (const network of core.networks.values()) {
    const rules = core.drivers.get(network.driver)?.firewallRules?.(network);
    if (rules) networks.push(rules);
  }
  for (const endpoint of core.endpoints.values()) {
    if (endpoint.ports.length === 0) continue;
    const network = core.networks.get(endpoint.networkId);
    const sandbox = core.sandboxes.get(endpoint.sandboxId);
    if (!network || !sandbox) continue;
    portMappings.push(...(driverOf(core, network).portMappings?.(network, endpoint, sandbox) ?? []));
  }
  return { networks, portMappings, userlandProxy: core.config.userlandProxy };
}

/** With `iptables: false` the daemon leaves the firewall alone entirely, as Docker does. */
export async function applyFirewall(core: Core): Promise<void> {
  if (!core.config.iptables) return;
  await core.firewall.apply(desiredFirewallState(core));
}
