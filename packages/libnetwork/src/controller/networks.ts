import { conflict, forbidden, invalid, notFound } from '@tsnet/errors';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Driver } from '../drivers/types.js';
import { isLoopback, parseResolvConf } from '../resolver/resolvconf.js';
import { newId } from '../model/ids.js';
import { cidrParts, formatIp, parseIpBig, parseNetworkName } from '../model/names.js';
import type { IpamConfigInput, NetworkPool, NetworkRecord, PoolIntent, Scope } from '../model/types.js';
import { type Core, driverOf, networkEvent, now } from './core.js';
import { applyFirewall } from './firewall-state.js';
import { plainIp, releasePoolFully } from './ipam.js';
import { localPoolId, pickDefaultSubnet } from './pick.js';
import { type PoolRequest, validateIpamConfig } from './ipamconfig.js';
import { findNetwork } from './lookup.js';
import { commit, del, networkKey, putNetwork, writeIntent } from './persist.js';

export interface CreateNetworkOptions {
  name: string;
  /** Default `bridge`. */
  driver?: string;
  options?: Record<string, string>;
  labels?: Record<string, string>;
  internal?: boolean;
  attachable?: boolean;
  enableIPv6?: boolean;
  scope?: Scope;
  ipam?: { driver?: string; options?: Record<string, string>; config?: IpamConfigInput[] };
  /** Internal: the predefined bridge/host/none networks. */
  predefined?: boolean;
  /** Internal: a fixed id (restore of a predefined network). */
  id?: string;
}

/** Validate → intent → ipam → driver setup → firewall → commit; any failure undoes what was done. */
export async function createNetwork(core: Core, opts: CreateNetworkOptions): Promise<NetworkRecord> {
  const { record, driver, requests } = validateNetwork(core, opts);
  const plan = driver.usesIpam ? await planPools(core, requests) : [];
  const pools: PoolIntent[] = plan.map((p) => ({ family: p.family, poolId: p.poolId, addresses: [] }));
  const intent = { id: newId(), op: 'network.create' as const, network: record, pools };
  record.pools = plan.map(plannedPool);
  core.networks.set(record.id, record);
  // The intent's fsync is on the critical path (the bridge waits for it): queued first, before
  // rendering the firewall state (~1 ms of synchronous work).
  // ipam's write need not wait for the intent: it goes to the same ordered log after it, so it is
  // never durable without the intent (and restore releases the pools of an uncommitted create).
  // Only the kernel (the bridge) waits for the intent. One fsync round fewer than in series.
  const durable = writeIntent(core.store, intent);
  durable.catch(() => undefined);
  // The firewall can start at once: its state is rebuilt from the store at every start, so rules
  // for a network that never committed cannot outlive a crash.
  const firewall = applyFirewall(core);
  firewall.catch(() => undefined);
  try {
    if (record.pools.every((p) => p.gateway !== '')) {
      await settleAll([durable, requestPools(core, record, plan), durable.then(() => driver.createNetwork(core.ctx, record)), firewall]);
    } else {
      // An ip-range without a gateway: ipam picks it, and the bridge needs it.
      await settleAll([durable, requestPools(core, record, plan)]);
      await settleAll([driver.createNetwork(core.ctx, record), firewall]);
    }
  } catch (error) {
    core.networks.delete(record.id);
    await firewall.catch(() => undefined);
    await applyFirewall(core).catch(() => undefined);
    await undoNetwork(core, record, driver, plan.map((p) => p.poolId)).catch(() => undefined);
    await core.store.delete(`/libnetwork/intent/${intent.id}`);
    throw error;
  }
  await commit(core.store, intent.id, [putNetwork(record)]);
  core.events.next({ type: 'network.create', time: now(), network: networkEvent(record) });
  return record;
}

function validateNetwork(core: Core, opts: CreateNetworkOptions): { record: NetworkRecord; driver: Driver; requests: PoolRequest[] } {
  const name = parseNetworkName(opts.name);
  const others = [...core.networks.values()];
  const existing = others.find((n) => n.name === name);
  if (existing) throw conflict('ERR_NETWORK_EXISTS', `network with name ${name} already exists`, { details: { name, id: existing.id } });
  const driverName = opts.driver ?? 'bridge';
  const driver = core.drivers.get(driverName);
  if (!driver) throw notFound('ERR_DRIVER_NOT_FOUND', `network driver "${driverName}" not found`, { details: { driver: driverName } });
  if (driver.singleton && others.some((n) => n.driver === driverName)) {
    throw forbidden('ERR_NETWORK_SINGLETON', `only one instance of "${driverName}" network is allowed`);
  }
  const ipamDriver = opts.ipam?.driver ?? 'default';
  if (ipamDriver !== 'default') throw notFound('ERR_IPAM_DRIVER_NOT_FOUND', `ipam driver "${ipamDriver}" not found`);
  const enableIPv6 = opts.enableIPv6 ?? false;
  const id = opts.id ?? newId();
  const options = { ...(opts.options ?? {}) };
  for (const [k, v] of Object.entries(opts.labels ?? {})) if (typeof v !== 'string') throw invalid('ERR_INVALID_LABEL', `label ${k} must be a string`);
  for (const [k, v] of Object.entries(options)) if (typeof v !== 'string') throw invalid('ERR_INVALID_OPTION', `option ${k} must be a string`);
  const spec = { id, name, options, internal: opts.internal ?? false, enableIPv6, predefined: opts.predefined ?? false };
  const driverConfig = driver.validate(spec, others, core.config);
  const requests = driver.usesIpam ? validateIpamConfig(opts.ipam?.config ?? [], enableIPv6, others) : [];
  const record: NetworkRecord = {
    id,
    name,
    driver: driverName,
    scope: opts.scope ?? driver.scope,
    created: new Date().toISOString(),
    internal: spec.internal,
    attachable: opts.attachable ?? false,
    enableIPv6,
    options,
    labels: { ...(opts.labels ?? {}) },
    ipam: { driver: ipamDriver, options: { ...(opts.ipam?.options ?? {}) }, config: (opts.ipam?.config ?? []).map((c) => ({ ...c })) },
    pools: [],
    driverConfig,
    predefined: spec.predefined,
  };
  return { record, driver, requests };
}

/**
 * Subnets are settled first (a default-pool subnet is picked here) so every pool id is in the
 * intent before ipam is asked; then pool + aux addresses (one ipam write) and the gateway.
 */
async function planPools(core: Core, requests: PoolRequest[]): Promise<PlannedPool[]> {
  const auto = requests.some((r) => r.subnet === undefined);
  const [exclude, taken] = auto ? await Promise.all([hostExclusions(core), core.ipam.pools()]) : [[], []];
  const out: PlannedPool[] = [];
  for (const r of requests) {
    const subnet = r.subnet ?? pickDefaultSubnet(core, taken, r.family === 6, exclude);
    out.push({ ...r, subnet, poolId: localPoolId(subnet, r.ipRange) });
    // A second auto pool of the same family must not pick the same subnet.
    taken.push({ poolId: '', addressSpace: 'LocalDefault', pool: subnet, v6: r.family === 6, addresses: [], aux: [] });
  }
  return out;
}

/** A pool as planned: subnet and pool id known, the gateway Docker's (first address) unless given. */
function plannedPool(r: PlannedPool): NetworkPool {
  const gateway = r.gateway ?? (r.ipRange === undefined ? firstAddress(r.subnet) : '');
  return { family: r.family, poolId: r.poolId, pool: r.subnet, gateway, auxAddresses: { ...r.auxAddresses }, ...(r.ipRange ? { ipRange: r.ipRange } : {}) };
}

type PlannedPool = PoolRequest & { subnet: string; poolId: string };

/**
 * One ipam write per pool. The gateway is already known (planned), so it is reserved with the
 * pool as an auxiliary address — an address the network driver uses, which is what Docker's aux
 * addresses are — in that same write; only with an ip-range and no gateway does ipam pick it.
 */
async function requestPools(core: Core, record: NetworkRecord, plan: PlannedPool[]): Promise<void> {
  for (const [i, r] of plan.entries()) {
    const np = record.pools[i]!;
    const pool = await core.ipam.requestPool({
      pool: r.subnet,
      ...(r.ipRange !== undefined ? { subPool: r.ipRange } : {}),
      v6: r.family === 6,
      options: record.ipam.options,
      auxAddresses: np.gateway ? { ...r.auxAddresses, [GATEWAY_AUX]: np.gateway } : r.auxAddresses,
    });
    np.poolId = pool.poolId;
    np.pool = pool.pool;
    if (np.gateway === '') np.gateway = plainIp((await core.ipam.requestAddress(pool.poolId, { gateway: true })).address);
  }
}

/** The aux-address name under which a network's gateway is reserved in its pool. */
const GATEWAY_AUX = 'com.tsnet.gateway';

/** Waits for every promise, then throws the first failure (so no undo races a step still running). */
export async function settleAll(promises: Array<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(promises);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

function firstAddress(cidr: string): string {
  const { ip, family } = cidrParts(cidr);
  return formatIp(parseIpBig(ip) + 1n, family);
}

/**
 * What a default pool must not overlap (Docker checks both): the host's routes, and the host's
 * nameservers (a container could no longer reach a resolver inside its own subnet).
 */
async function hostExclusions(core: Core): Promise<string[]> {
  const routes = await core.ctx.host.routes().catch(() => []);
  let nameservers: string[] = [];
  try {
    nameservers = parseResolvConf(readFileSync(core.config.hostResolvConfPath, 'utf8')).nameservers.filter((ns) => !isLoopback(ns) && isIP(ns) !== 0);
  } catch {
    // No host resolv.conf: nothing to keep clear.
  }
  return [
    ...routes.map((r) => r.dst).filter((d) => d !== 'default' && d.includes('/')),
    ...nameservers.map((ns) => `${ns}/${isIP(ns) === 6 ? 128 : 32}`),
  ];
}

/** Best-effort undo of a (partial) create, also used by restore for a create that never committed. */
export async function undoNetwork(core: Core, record: NetworkRecord, driver: Driver, poolIds: string[] = record.pools.map((p) => p.poolId)): Promise<void> {
  await Promise.all([driver.deleteNetwork(core.ctx, record), ...poolIds.map((id) => releasePoolFully(core.ipam, id))]);
}

export function endpointsOf(core: Core, networkId: string): string[] {
  return [...core.endpoints.values()].filter((e) => e.networkId === networkId).map((e) => e.name || e.id.slice(0, 12));
}

export async function deleteNetwork(core: Core, ref: string, opts: { force?: boolean } = {}): Promise<NetworkRecord> {
  const record = findNetwork(core.networks.values(), ref);
  if (record.predefined && !opts.force) {
    throw forbidden('ERR_NETWORK_PREDEFINED', `${record.name} is a pre-defined network and cannot be removed`, { details: { network: record.name } });
  }
  const users = endpointsOf(core, record.id);
  if (users.length > 0) {
    throw conflict('ERR_NETWORK_IN_USE', `network "${record.name}" has active endpoints: ${users.join(', ')}`, { details: { network: record.name, endpoints: users } });
  }
  const intent = { id: newId(), op: 'network.delete' as const, networkId: record.id };
  // The intent is queued first, so it is durable before any ipam release is; a crash before
  // that leaves the record, and restore simply sets the network up again.
  await settleAll([writeIntent(core.store, intent), finishNetworkDelete(core, record)]);
  await commit(core.store, intent.id, [del(networkKey(record.id))]);
  core.events.next({ type: 'network.delete', time: now(), network: networkEvent(record) });
  return record;
}

/** The kernel and ipam half of a delete; idempotent, so restore can re-run it after a crash. */
export async function finishNetworkDelete(core: Core, record: NetworkRecord): Promise<void> {
  core.networks.delete(record.id);
  await Promise.all([applyFirewall(core), undoNetwork(core, record, driverOf(core, record))]);
}

/** `network prune`: every user network without endpoints (optionally only those with matching labels). */
export async function pruneNetworks(core: Core, filter: { labels?: Record<string, string | undefined> } = {}): Promise<string[]> {
  const removed: string[] = [];
  for (const n of [...core.networks.values()]) {
    if (n.predefined || endpointsOf(core, n.id).length > 0) continue;
    const labels = filter.labels ?? {};
    if (!Object.entries(labels).every(([k, v]) => (v === undefined ? k in n.labels : n.labels[k] === v))) continue;
    await deleteNetwork(core, n.id);
    removed.push(n.name);
  }
  return removed;
}
