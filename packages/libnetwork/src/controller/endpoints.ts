import { conflict, forbidden, invalid, notFound } from '@tsnet/errors';
import { macFromIPv4, newId, newVethName, randomMac } from '../model/ids.js';
import { cidrContains, parseIp } from '../model/names.js';
import type { AddressIntent, EndpointRecord, ExposedPort, LinkRequest, NetworkRecord, SandboxRecord } from '../model/types.js';
import type { BridgeConfig } from '../drivers/bridge/config.js';
import { type Core, driverOf, endpointEvent, networkEvent, now, sandboxEvent } from './core.js';
import { applyFirewall } from './firewall-state.js';
import { plainIp, releaseQuietly } from './ipam.js';
import { findNetwork, findSandbox } from './lookup.js';
import { commit, del, endpointKey, putEndpoint, putSandbox, writeIntent } from './persist.js';
import { type PortBindingRequest, publishAllRequests, validatePortRequests } from './ports.js';
import { refreshSandboxFiles, updateGateway } from './sandboxes.js';
import { settleAll } from './networks.js';

export interface ConnectOptions {
  /** `--ip` */
  ipv4Address?: string;
  /** `--ip6` */
  ipv6Address?: string;
  /** `--network-alias` */
  aliases?: string[];
  /** `--link name:alias` */
  links?: LinkRequest[];
  /** `--mac-address` */
  macAddress?: string;
  /** `-p` */
  portBindings?: PortBindingRequest[];
  /** `EXPOSE`/`--expose` (for -P and link variables). */
  exposedPorts?: ExposedPort[];
  /** `-P` */
  publishAll?: boolean;
}

const MAC_RE = /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/;

function validateConnect(core: Core, network: NetworkRecord, sandbox: SandboxRecord, o: ConnectOptions): void {
  const attached = sandbox.endpoints.map((id) => core.endpoints.get(id)).filter((e) => e !== undefined);
  if (attached.some((e) => e.networkId === network.id)) {
    throw conflict('ERR_ENDPOINT_EXISTS', `container ${sandbox.containerName || sandbox.containerId} is already attached to network "${network.name}"`);
  }
  const driver = driverOf(core, network);
  if ((driver.hostNamespace ?? false) !== (sandbox.mode === 'host')) {
    throw forbidden('ERR_HOST_NETWORK_MODE', 'container cannot be disconnected from host network or connected to host network');
  }
  const onNone = attached.some((e) => core.networks.get(e.networkId)?.driver === 'null');
  if ((network.driver === 'null' && attached.length > 0) || onNone) {
    throw forbidden('ERR_NONE_NETWORK_EXCLUSIVE', 'container cannot be connected to multiple networks with one of the networks in private (none) mode');
  }
  const userSubnet = (family: 4 | 6): boolean => network.ipam.config.some((c) => c.subnet !== undefined && c.subnet.includes(':') === (family === 6));
  for (const [family, ip] of [[4, o.ipv4Address], [6, o.ipv6Address]] as const) {
    if (ip === undefined || ip === '') continue;
    parseIp(ip, family === 4 ? '--ip' : '--ip6', family);
    if (network.predefined || !userSubnet(family)) {
      throw invalid('ERR_STATIC_IP_NOT_ALLOWED', `user specified IP address is supported only when connecting to networks with user configured subnets (network "${network.name}")`);
    }
    const pool = network.pools.find((p) => p.family === family);
    if (!pool || !cidrContains(pool.pool, ip)) throw invalid('ERR_INVALID_ADDRESS', `address ${ip} is not in a subnet of network "${network.name}"`);
  }
  if ((o.aliases?.length ?? 0) > 0 && (network.predefined || network.driver === 'host' || network.driver === 'null')) {
    throw invalid('ERR_ALIAS_NOT_SUPPORTED', 'network-scoped alias is supported only for containers in user defined networks');
  }
  for (const a of o.aliases ?? []) if (typeof a !== 'string' || !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(a)) throw invalid('ERR_INVALID_ALIAS', `invalid alias ${JSON.stringify(a)}`);
  if (o.macAddress !== undefined && !MAC_RE.test(o.macAddress)) throw invalid('ERR_INVALID_MAC', `invalid MAC address ${JSON.stringify(o.macAddress)}`);
  for (const l of o.links ?? []) {
    if (!l.container || !l.alias) throw invalid('ERR_INVALID_LINK', `invalid link ${JSON.stringify(l)}: name:alias expected`);
    const ok = [...core.endpoints.values()].some((e) => e.networkId === network.id && (e.name === l.container || core.sandboxes.get(e.sandboxId)?.containerId === l.container));
    if (!ok) throw notFound('ERR_LINK_TARGET_NOT_FOUND', `could not link to ${l.container}: it is not connected to network "${network.name}"`);
  }
  validatePortRequests(o.portBindings ?? []);
}

/**
 * Endpoint create + join: validate → intent → addresses → host ports → veth (driver) → default
 * route → firewall → files → commit. Every step already done is undone if a later one fails.
 */
export async function connect(core: Core, networkRef: string, sandboxRef: string, o: ConnectOptions = {}): Promise<EndpointRecord> {
  const network = findNetwork(core.networks.values(), networkRef);
  const sandbox = findSandbox(core.sandboxes.values(), sandboxRef);
  validateConnect(core, network, sandbox, o);
  const driver = driverOf(core, network);
  const makesLink = network.driver === 'bridge';
  const prefix = makesLink ? (network.driverConfig as BridgeConfig).ifacePrefix : '';
  const endpoint: EndpointRecord = {
    id: newId(),
    name: sandbox.containerName,
    networkId: network.id,
    sandboxId: sandbox.id,
    ifName: makesLink ? `${prefix}${sandbox.nextIfIndex}` : '',
    hostIfName: makesLink ? newVethName() : '',
    macAddress: o.macAddress?.toLowerCase() ?? '',
    ipv4: '',
    ipv6: '',
    requestedIpv4: o.ipv4Address ?? '',
    requestedIpv6: o.ipv6Address ?? '',
    aliases: [...new Set(o.aliases ?? [])],
    links: o.links ?? [],
    exposedPorts: o.exposedPorts ?? [],
    ports: [],
    created: new Date().toISOString(),
  };
  const allocations: AddressIntent[] = [];
  const intent = { id: newId(), op: 'endpoint.create' as const, endpoint, allocations };
  const updated: SandboxRecord = { ...sandbox, endpoints: [...sandbox.endpoints, endpoint.id], nextIfIndex: sandbox.nextIfIndex + (makesLink ? 1 : 0) };
  // The intent and the addresses are written side by side (one fsync for both with the file
  // store's group commit): the kernel is touched only after both, and an address whose intent
  // never became durable is found by restore's ipam audit (allocated in our pool, held by nobody).
  const started = await Promise.allSettled([
    writeIntent(core.store, intent),
    driver.usesIpam ? allocateAddresses(core, network, endpoint, allocations) : Promise.resolve(),
  ]);
  try {
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    if (!endpoint.macAddress && makesLink) endpoint.macAddress = endpoint.ipv4 ? macFromIPv4(plainIp(endpoint.ipv4)) : randomMac();
    const requests = [...(o.portBindings ?? []), ...(o.publishAll ? publishAllRequests(endpoint.exposedPorts, o.portBindings ?? []) : [])];
    // Docker never publishes ports on an --internal network: nothing is reserved, listed or DNAT'ed.
    if (requests.length > 0 && makesLink && !network.internal) {
      const hostIp = (network.driverConfig as BridgeConfig).hostBindingIpv4;
      const proxyTo = core.config.userlandProxy ? plainIp(endpoint.ipv4) : undefined;
      endpoint.ports = await core.ports.reserve(endpoint.id, sandbox.containerName || sandbox.containerId, requests, hostIp, proxyTo || undefined);
    }
    await driver.join(core.ctx, network, endpoint, { sandbox, ifName: endpoint.ifName });
    core.endpoints.set(endpoint.id, endpoint);
    core.sandboxes.set(sandbox.id, updated);
    await updateGateway(core, updated);
    if (endpoint.ports.length > 0) await applyFirewall(core);
    refreshSandboxFiles(core, updated);
  } catch (error) {
    core.endpoints.delete(endpoint.id);
    core.sandboxes.set(sandbox.id, sandbox);
    if (endpoint.ports.length > 0) await applyFirewall(core).catch(() => undefined);
    await undoEndpoint(core, network, endpoint, sandbox, allocations).catch(() => undefined);
    await core.store.delete(`/libnetwork/intent/${intent.id}`);
    throw error;
  }
  await commit(core.store, intent.id, [putEndpoint(endpoint), putSandbox(updated)]);
  const base = { network: networkEvent(network), endpoint: endpointEvent(endpoint), sandbox: sandboxEvent(updated) };
  core.events.next({ type: 'endpoint.create', time: now(), ...base });
  core.events.next({ type: 'endpoint.join', time: now(), ...base });
  return endpoint;
}

async function allocateAddresses(core: Core, network: NetworkRecord, endpoint: EndpointRecord, allocations: AddressIntent[]): Promise<void> {
  for (const pool of network.pools) {
    const wanted = pool.family === 4 ? endpoint.requestedIpv4 : endpoint.requestedIpv6;
    const got = await core.ipam.requestAddress(pool.poolId, wanted ? { address: wanted } : {});
    // Recorded only once ipam said yes: a refused `--ip` must never release the holder's address.
    const address = plainIp(got.address);
    allocations.push({ poolId: pool.poolId, address });
    const cidr = `${address}/${pool.pool.split('/')[1]}`;
    if (pool.family === 4) endpoint.ipv4 = cidr;
    else endpoint.ipv6 = cidr;
  }
}

/** Leave + release; idempotent, used by rollback, disconnect and restore. */
export async function undoEndpoint(core: Core, network: NetworkRecord | undefined, endpoint: EndpointRecord, sandbox: SandboxRecord | undefined, allocations?: AddressIntent[]): Promise<void> {
  core.ports.release(endpoint.id);
  if (network && sandbox) await driverOf(core, network).leave(core.ctx, network, endpoint, sandbox);
  else if (endpoint.hostIfName) await core.ctx.retireLink(endpoint.hostIfName);
  const allocs = allocations ?? addressAllocations(network, endpoint);
  for (const a of allocs) if (a.address) await releaseQuietly(core.ipam, a.poolId, a.address);
}

async function releaseAddresses(core: Core, network: NetworkRecord | undefined, endpoint: EndpointRecord): Promise<void> {
  for (const a of addressAllocations(network, endpoint)) if (a.address) await releaseQuietly(core.ipam, a.poolId, a.address);
}

function addressAllocations(network: NetworkRecord | undefined, endpoint: EndpointRecord): AddressIntent[] {
  if (!network) return [];
  const out: AddressIntent[] = [];
  for (const pool of network.pools) {
    const cidr = pool.family === 4 ? endpoint.ipv4 : endpoint.ipv6;
    if (cidr) out.push({ poolId: pool.poolId, address: plainIp(cidr) });
  }
  return out;
}

export async function disconnect(core: Core, networkRef: string, sandboxRef: string): Promise<EndpointRecord> {
  const network = findNetwork(core.networks.values(), networkRef);
  const sandbox = findSandbox(core.sandboxes.values(), sandboxRef);
  const endpoint = sandbox.endpoints.map((id) => core.endpoints.get(id)).find((e) => e?.networkId === network.id);
  if (!endpoint) {
    throw notFound('ERR_ENDPOINT_NOT_FOUND', `container ${sandbox.containerName || sandbox.containerId} is not connected to network "${network.name}"`);
  }
  await removeEndpoint(core, endpoint);
  return endpoint;
}

/** Leave + delete of one endpoint, with its intent; the sandbox's route and files follow. */
export async function removeEndpoint(core: Core, endpoint: EndpointRecord): Promise<void> {
  const network = core.networks.get(endpoint.networkId);
  const sandbox = core.sandboxes.get(endpoint.sandboxId);
  const intent = { id: newId(), op: 'endpoint.delete' as const, endpointId: endpoint.id };
  const updated = sandbox ? { ...sandbox, endpoints: sandbox.endpoints.filter((id) => id !== endpoint.id) } : undefined;
  // Side by side: a crash before the intent is durable leaves the record with its veth retired,
  // and restore removes such an endpoint ("lost its interface") and frees its addresses.
  await settleAll([writeIntent(core.store, intent), finishEndpointDelete(core, endpoint, updated, false)]);
  // Addresses go back to ipam beside the commit: a crash between the two leaves at worst an
  // address nobody holds, which restore's ipam audit releases.
  await Promise.all([
    commit(core.store, intent.id, [del(endpointKey(endpoint.id)), ...(updated ? [putSandbox(updated)] : [])]),
    releaseAddresses(core, network, endpoint),
  ]);
  if (network && updated) {
    const base = { network: networkEvent(network), endpoint: endpointEvent(endpoint), sandbox: sandboxEvent(updated) };
    core.events.next({ type: 'endpoint.leave', time: now(), ...base });
    core.events.next({ type: 'endpoint.delete', time: now(), ...base });
  }
}

/** The kernel/ipam half of an endpoint delete; restore re-runs it for an interrupted disconnect. */
export async function finishEndpointDelete(core: Core, endpoint: EndpointRecord, updatedSandbox: SandboxRecord | undefined, release = true): Promise<void> {
  const network = core.networks.get(endpoint.networkId);
  const hadPorts = endpoint.ports.length > 0;
  core.endpoints.delete(endpoint.id);
  if (updatedSandbox) core.sandboxes.set(updatedSandbox.id, updatedSandbox);
  // Rules, interface and addresses are independent: undo them side by side (the veth's deletion
  // waits for an RCU grace period in the kernel; nothing else needs to wait for it).
  // The default route is the sandbox's own business (another endpoint may take it over): it is
  // settled beside the leave, since a route through the leaving interface goes with it anyway.
  await Promise.all([
    hadPorts ? applyFirewall(core) : undefined,
    undoEndpoint(core, network, endpoint, updatedSandbox ?? core.sandboxes.get(endpoint.sandboxId), release ? undefined : []),
    updatedSandbox ? updateGateway(core, updatedSandbox).catch(() => undefined) : undefined,
  ]);
  if (updatedSandbox) refreshSandboxFiles(core, updatedSandbox);
}
