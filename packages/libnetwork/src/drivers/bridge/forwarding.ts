import type { DriverContext } from '../types.js';
import type { BridgeConfig } from './config.js';

/**
 * Host-namespace switches a bridge network depends on:
 * - `ip_forward` (daemon `ip-forward`), or nothing leaves the bridge;
 * - `bridge-nf-call-iptables`, so traffic between two ports of one bridge passes the FORWARD hook
 *   (that is where `enable_icc=false` is enforced); per namespace since Linux 5.3, and present only
 *   with br_netfilter loaded, hence best effort;
 * - `route_localnet` on the bridge when the kernel (not a userland proxy) serves published ports on
 *   127.0.0.1: without it a DNATed packet from 127.0.0.1 is dropped as a martian on the way out.
 */
export function setupForwarding(ctx: DriverContext, config: BridgeConfig): void {
  const ns = ctx.hostNsPath;
  if (ctx.config.ipForward) {
    ctx.kernel.writeSysctl(ns, 'net/ipv4/ip_forward', '1');
    if (config.enableIPv6) ctx.kernel.writeSysctl(ns, 'net/ipv6/conf/all/forwarding', '1');
  }
  if (ctx.firewallBackend !== 'none') {
    bestEffort(() => ctx.kernel.writeSysctl(ns, 'net/bridge/bridge-nf-call-iptables', '1'));
    if (config.enableIPv6) bestEffort(() => ctx.kernel.writeSysctl(ns, 'net/bridge/bridge-nf-call-ip6tables', '1'));
  }
  if (!ctx.config.userlandProxy) ctx.kernel.writeSysctl(ns, `net/ipv4/conf/${config.bridgeName}/route_localnet`, '1');
}

function bestEffort(fn: () => void): void {
  try {
    fn();
  } catch {
    // br_netfilter not loaded: bridged traffic then bypasses the firewall, as on a Docker host without it.
  }
}
