import { conflict, invalid } from '@tsnet/errors';
import type { ControllerConfig } from '../../controller/config.js';
import { defaultBridgeName } from '../../model/ids.js';
import { parseIfName, parseIp } from '../../model/names.js';
import type { NetworkRecord } from '../../model/types.js';
import type { NetworkSpec } from '../types.js';

/** Docker's option keys (libnetwork netlabel and drivers/bridge/labels). */
export const OPT = {
  name: 'com.docker.network.bridge.name',
  icc: 'com.docker.network.bridge.enable_icc',
  masquerade: 'com.docker.network.bridge.enable_ip_masquerade',
  hostBindingIpv4: 'com.docker.network.bridge.host_binding_ipv4',
  defaultBridge: 'com.docker.network.bridge.default_bridge',
  mtu: 'com.docker.network.driver.mtu',
  ifacePrefix: 'com.docker.network.container_iface_prefix',
} as const;

/** User-defined networks: Docker ignores the daemon's `mtu` for them. */
export const DEFAULT_MTU = 1500;

export interface BridgeConfig {
  bridgeName: string;
  icc: boolean;
  masquerade: boolean;
  /** '' = every host address. */
  hostBindingIpv4: string;
  mtu: number;
  defaultBridge: boolean;
  internal: boolean;
  enableIPv6: boolean;
  /** Container-side interface prefix (`eth`). */
  ifacePrefix: string;
}

/** Go's strconv.ParseBool, which is what Docker uses for these options. */
export function parseBool(key: string, value: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw invalid('ERR_INVALID_OPTION', `invalid value ${JSON.stringify(value)} for option ${key}: a boolean is expected`, { details: { key, value } });
}

export function parseMtu(key: string, value: string): number {
  const mtu = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(mtu >= 68 && mtu <= 65535)) {
    throw invalid('ERR_INVALID_OPTION', `invalid value ${JSON.stringify(value)} for option ${key}: an MTU of 68-65535 is expected`, { details: { key, value } });
  }
  return mtu;
}

/**
 * Defaults (the daemon's config for the default bridge, Docker's for the rest), then validation of
 * every known option, then the user's options win. Unknown generic options are accepted as Docker
 * accepts them; only malformed values of known keys are refused.
 */
export function loadBridgeConfig(spec: NetworkSpec, others: NetworkRecord[], daemon: ControllerConfig): BridgeConfig {
  const o = spec.options;
  const dflt = o[OPT.defaultBridge];
  const isDefault = dflt !== undefined && parseBool(OPT.defaultBridge, dflt);
  const config: BridgeConfig = {
    bridgeName: isDefault ? daemon.defaultBridge.name : defaultBridgeName(spec.id),
    icc: isDefault ? daemon.defaultBridge.icc : true,
    masquerade: isDefault ? daemon.defaultBridge.ipMasq : true,
    hostBindingIpv4: '',
    mtu: isDefault ? (daemon.defaultBridge.mtu ?? daemon.mtu) : DEFAULT_MTU,
    defaultBridge: isDefault,
    internal: spec.internal,
    enableIPv6: spec.enableIPv6,
    ifacePrefix: 'eth',
  };
  const name = o[OPT.name];
  const icc = o[OPT.icc];
  const masq = o[OPT.masquerade];
  const binding = o[OPT.hostBindingIpv4];
  const mtu = o[OPT.mtu];
  const prefix = o[OPT.ifacePrefix];
  if (name !== undefined && !isDefault) config.bridgeName = parseIfName(name, 'bridge name');
  if (icc !== undefined) config.icc = parseBool(OPT.icc, icc);
  if (masq !== undefined) config.masquerade = parseBool(OPT.masquerade, masq);
  if (binding !== undefined) {
    const ip = parseIp(binding, `value for option ${OPT.hostBindingIpv4}`, 4);
    config.hostBindingIpv4 = ip === '0.0.0.0' ? '' : ip;
  }
  if (mtu !== undefined) config.mtu = parseMtu(OPT.mtu, mtu);
  if (prefix !== undefined) {
    if (!/^[a-z][a-z0-9]{0,9}$/.test(prefix)) {
      throw invalid('ERR_INVALID_OPTION', `invalid value ${JSON.stringify(prefix)} for option ${OPT.ifacePrefix}`);
    }
    config.ifacePrefix = prefix;
  }
  const clash = others.find((n) => n.driver === 'bridge' && (n.driverConfig as BridgeConfig).bridgeName === config.bridgeName);
  if (clash) {
    throw conflict('ERR_BRIDGE_NAME_IN_USE', `bridge name ${config.bridgeName} is already used by network "${clash.name}"`, {
      details: { bridge: config.bridgeName, network: clash.name },
    });
  }
  return config;
}

/** The typed config rendered back as Docker shows it in `network inspect` Options. */
export function inspectOptions(network: NetworkRecord): Record<string, string> {
  const c = network.driverConfig as BridgeConfig;
  if (!c.defaultBridge) return { ...network.options };
  return {
    [OPT.defaultBridge]: 'true',
    [OPT.icc]: String(c.icc),
    [OPT.masquerade]: String(c.masquerade),
    [OPT.hostBindingIpv4]: c.hostBindingIpv4 || '0.0.0.0',
    [OPT.name]: c.bridgeName,
    [OPT.mtu]: String(c.mtu),
  };
}
