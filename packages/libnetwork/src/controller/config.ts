import { invalid } from '@tsnet/errors';
import { parseCidr, parseIfName, parseIp } from '../model/names.js';

/**
 * The daemon.json keys that concern networks (Docker's names in comments). Defaults are Docker's,
 * except the default bridge's device name (`tsnet0`, so tsnet and Docker can share a host).
 */
export interface DefaultBridgeConfig {
  /** `bridge`: device name of the default bridge network. */
  name: string;
  /** `bip`: the bridge's address with its prefix, e.g. `172.17.0.1/16`. */
  bip?: string;
  /** `fixed-cidr`: containers get addresses from this sub-range only. */
  fixedCidr?: string;
  /** `fixed-cidr-v6` (with `ipv6: true`). */
  fixedCidrV6?: string;
  enableIPv6: boolean;
  /** MTU of the default bridge; default the daemon's `mtu`. */
  mtu?: number;
  /** `icc` */
  icc: boolean;
  /** `ip-masq` */
  ipMasq: boolean;
  /** `bridge: "none"` in Docker turns it off. */
  enabled: boolean;
}

export interface ControllerConfig {
  defaultBridge: DefaultBridgeConfig;
  /** `default-address-pools` (handed to ipam by whoever builds it; kept here for info). */
  defaultAddressPools: { base: string; size: number }[];
  /**
   * `mtu`: as in Docker, the default bridge's MTU only; user-defined networks use 1500 unless
   * `com.docker.network.driver.mtu` says otherwise.
   */
  mtu: number;
  /** `iptables`: false = no firewall rules at all. */
  iptables: boolean;
  /** `ip-forward` */
  ipForward: boolean;
  /** `userland-proxy` */
  userlandProxy: boolean;
  /** The host's resolv.conf (containers' upstream servers). */
  hostResolvConfPath: string;
  /** The host's hosts file (host-mode containers start from it). */
  hostHostsPath: string;
  /** `dns`, `dns-search`, `dns-opts`: defaults for every sandbox. */
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
}

export type ControllerConfigInput = Partial<Omit<ControllerConfig, 'defaultBridge'>> & {
  defaultBridge?: Partial<DefaultBridgeConfig>;
};

/** Defaults, then validation, then the caller's values win: one place for all three. */
export function loadControllerConfig(input: ControllerConfigInput = {}): ControllerConfig {
  const db = input.defaultBridge ?? {};
  const config: ControllerConfig = {
    defaultBridge: {
      name: db.name ?? 'tsnet0',
      enableIPv6: db.enableIPv6 ?? false,
      icc: db.icc ?? true,
      ipMasq: db.ipMasq ?? true,
      enabled: db.enabled ?? true,
      ...(db.bip !== undefined ? { bip: db.bip } : {}),
      ...(db.fixedCidr !== undefined ? { fixedCidr: db.fixedCidr } : {}),
      ...(db.fixedCidrV6 !== undefined ? { fixedCidrV6: db.fixedCidrV6 } : {}),
      ...(db.mtu !== undefined ? { mtu: db.mtu } : {}),
    },
    defaultAddressPools: input.defaultAddressPools ?? [],
    mtu: input.mtu ?? 1500,
    iptables: input.iptables ?? true,
    ipForward: input.ipForward ?? true,
    userlandProxy: input.userlandProxy ?? false,
    hostResolvConfPath: input.hostResolvConfPath ?? '/etc/resolv.conf',
    hostHostsPath: input.hostHostsPath ?? '/etc/hosts',
    dns: input.dns ?? [],
    dnsSearch: input.dnsSearch ?? [],
    dnsOptions: input.dnsOptions ?? [],
  };
  parseIfName(config.defaultBridge.name, 'default bridge name');
  if (config.defaultBridge.bip !== undefined) parseBip(config.defaultBridge.bip);
  if (config.defaultBridge.fixedCidr !== undefined) parseCidr(config.defaultBridge.fixedCidr, 'fixed-cidr');
  if (config.defaultBridge.fixedCidrV6 !== undefined) parseCidr(config.defaultBridge.fixedCidrV6, 'fixed-cidr-v6');
  for (const mtu of [config.mtu, config.defaultBridge.mtu ?? config.mtu]) {
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw invalid('ERR_INVALID_MTU', `invalid mtu ${mtu}: 68-65535 expected`);
  }
  for (const ns of config.dns) parseIp(ns, 'dns server');
  return config;
}

/** `bip` is an address with a prefix (`172.17.0.1/16`): the gateway and the subnet at once. */
export function parseBip(bip: string): { gateway: string; subnet: string } {
  const [ip] = bip.split('/');
  const subnet = parseCidr(bip, 'bip');
  parseIp(ip, 'bip');
  return { gateway: ip!, subnet };
}
