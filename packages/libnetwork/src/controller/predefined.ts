import type { BridgeConfig } from '../drivers/bridge/config.js';
import { OPT } from '../drivers/bridge/config.js';
import type { IpamConfigInput, NetworkRecord } from '../model/types.js';
import { parseBip } from './config.js';
import type { Core } from './core.js';
import { endpointsOf, createNetwork, deleteNetwork } from './networks.js';

/**
 * Docker's three predefined networks: `bridge` (the default bridge, from `bip`/`fixed-cidr`),
 * `host` and `none`. The default bridge is re-made when the daemon config changed and no
 * container uses it, as Docker re-creates it from the config at every start.
 */
export async function ensurePredefined(core: Core, log: (msg: string) => void): Promise<void> {
  const byName = (name: string): NetworkRecord | undefined => [...core.networks.values()].find((n) => n.name === name);
  if (core.drivers.has('bridge')) await ensureDefaultBridge(core, byName('bridge'), log);
  if (core.drivers.has('host') && !byName('host')) await createNetwork(core, { name: 'host', driver: 'host', predefined: true });
  if (core.drivers.has('null') && !byName('none')) await createNetwork(core, { name: 'none', driver: 'null', predefined: true });
}

function wantedIpam(core: Core): IpamConfigInput[] {
  const db = core.config.defaultBridge;
  const out: IpamConfigInput[] = [];
  if (db.bip !== undefined) {
    const { gateway, subnet } = parseBip(db.bip);
    out.push({ subnet, gateway, ...(db.fixedCidr ? { ipRange: db.fixedCidr } : {}) });
  } else if (db.fixedCidr !== undefined) {
    out.push({ subnet: db.fixedCidr });
  }
  if (db.enableIPv6 && db.fixedCidrV6 !== undefined) out.push({ subnet: db.fixedCidrV6 });
  return out;
}

function matches(core: Core, network: NetworkRecord): boolean {
  const c = network.driverConfig as BridgeConfig;
  const db = core.config.defaultBridge;
  const same = JSON.stringify(network.ipam.config) === JSON.stringify(wantedIpam(core));
  return same && c.bridgeName === db.name && c.icc === db.icc && c.masquerade === db.ipMasq && c.mtu === (db.mtu ?? core.config.mtu) && network.enableIPv6 === db.enableIPv6;
}

async function ensureDefaultBridge(core: Core, existing: NetworkRecord | undefined, log: (msg: string) => void): Promise<void> {
  const db = core.config.defaultBridge;
  if (existing && (!db.enabled || !matches(core, existing))) {
    if (endpointsOf(core, existing.id).length > 0) {
      log('default bridge config changed but containers use it; keeping the old one until they are gone');
      return;
    }
    await deleteNetwork(core, existing.id, { force: true });
    existing = undefined;
  }
  if (existing || !db.enabled) return;
  await createNetwork(core, {
    name: 'bridge',
    driver: 'bridge',
    predefined: true,
    enableIPv6: db.enableIPv6,
    options: { [OPT.defaultBridge]: 'true', [OPT.name]: db.name },
    ipam: { config: wantedIpam(core) },
  });
}
