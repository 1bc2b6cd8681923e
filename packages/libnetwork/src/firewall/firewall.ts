import { invalid } from '@tsnet/errors';
import { IptablesFirewall } from './iptables-backend.js';
import { NftFirewall } from './nft-backend.js';
import { NoneFirewall } from './none.js';
import type { CreateFirewallOptions, Firewall, FirewallState } from './types.js';
import { normalizeState } from './validate.js';

export function createFirewall(options: CreateFirewallOptions): Firewall {
  switch (options.backend) {
    case 'nftables':
      return new NftFirewall(options.nsPath);
    case 'iptables':
      return new IptablesFirewall(options.nsPath, options.iptablesFlavour);
    case 'none':
      return new NoneFirewall();
    default:
      throw invalid('ERR_FIREWALL_BACKEND', `unknown firewall backend "${String(options.backend)}": use nftables, iptables or none`);
  }
}

/**
 * Sysctls the state needs besides rules (the bridge driver writes them): without the userland
 * proxy, 127.0.0.1 may be DNATed to a bridge only with route_localnet on that bridge.
 */
export function requiredSysctls(state: FirewallState): Array<{ key: string; value: string }> {
  const s = normalizeState(state);
  if (s.userlandProxy) return [];
  return s.networks
    .filter((n) => !n.internal && n.v4.length > 0)
    .map((n) => ({ key: `net.ipv4.conf.${n.bridge}.route_localnet`, value: '1' }));
}
