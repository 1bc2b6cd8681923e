export { createFirewall, requiredSysctls } from './firewall.js';
export { renderNft, nftScript } from './render-nft.js';
export { renderIptables, renderDockerIptables, iptablesSaveText } from './render-iptables.js';
export { NftFirewall } from './nft-backend.js';
export { IptablesFirewall } from './iptables-backend.js';
export { NoneFirewall } from './none.js';
export type { NftRender, NftRule, NftElement } from './render-nft.js';
export type { IptRule, IptRenderOptions } from './render-iptables.js';
export type {
  AnnotatedRule,
  BackendName,
  CreateFirewallOptions,
  Drift,
  DriftEntry,
  Firewall,
  FirewallState,
  NetworkRules,
  PortMapping,
  Proto,
  ResolverPorts,
  RuleOwner,
} from './types.js';
