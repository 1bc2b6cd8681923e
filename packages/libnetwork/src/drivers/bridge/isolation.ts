import type { BridgeConfig } from './config.js';

/**
 * How a bridge network is isolated, as the firewall renders it (Docker's layout):
 * - between networks: TSNET-ISOLATION-STAGE-1/2 drop traffic entering one bridge from another;
 * - within a network: `enable_icc=false` drops bridge → same bridge in FORWARD;
 * - internal: nothing in or out except through the bridge itself, no masquerade, and (controller)
 *   no default route in the containers.
 */
export interface Isolation {
  icc: boolean;
  internal: boolean;
  masquerade: boolean;
}

export function isolationOf(config: BridgeConfig): Isolation {
  return {
    icc: config.icc,
    internal: config.internal,
    // An internal network never reaches out, so there is nothing to masquerade.
    masquerade: config.masquerade && !config.internal,
  };
}
