import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sandboxNsName, VETH_NAME_RE } from '../model/ids.js';
import { removeSandboxFiles } from '../resolver/files.js';
import type { EndpointRecord, Intent, SandboxRecord } from '../model/types.js';
import { type Core, driverOf } from './core.js';
import { finishEndpointDelete, undoEndpoint } from './endpoints.js';
import { applyFirewall } from './firewall-state.js';
import { plainIp, releaseQuietly } from './ipam.js';
import { GC_LINK_RE } from './reaper.js';
import { finishNetworkDelete, undoNetwork } from './networks.js';
import { commit, del, endpointKey, intentKey, loadAll, networkKey, putSandbox, sandboxKey } from './persist.js';
import { refreshSandboxFiles, undoSandbox, updateGateway } from './sandboxes.js';

/**
 * Start: the store is the truth, the kernel is made to match it.
 * 1. Load committed objects. 2. Finish every operation an intent says was in flight: creates are
 * rolled back (their objects were never committed), deletes are completed (they were already
 * promised). 3. Drop sandboxes whose namespace vanished (a reboot) with their endpoints.
 * 4. Re-run each network's idempotent setup, re-hold published ports, remove orphan veths on our
 * bridges, and apply the whole firewall state, which removes any rule nothing wants.
 */
export async function restore(core: Core, log: (msg: string) => void): Promise<void> {
  const loaded = await loadAll(core.store);
  for (const n of loaded.networks) core.networks.set(n.id, n);
  for (const s of loaded.sandboxes) core.sandboxes.set(s.id, s);
  for (const e of loaded.endpoints) core.endpoints.set(e.id, e);
  for (const intent of loaded.intents) {
    await recoverIntent(core, intent);
    log(`recovered interrupted ${intent.op}`);
  }
  await dropDeadSandboxes(core, log);
  removeOrphanSandboxes(core, log);
  for (const network of core.networks.values()) {
    if (!core.drivers.has(network.driver)) {
      log(`network ${network.name}: driver ${network.driver} not loaded, left as is`);
      continue;
    }
    await driverOf(core, network).restoreNetwork(core.ctx, network);
  }
  await checkEndpoints(core, log);
  await auditIpam(core, log);
  await removeOrphanVeths(core, log);
  await applyFirewall(core);
  const retired = (await core.ctx.host.links()).filter((l) => GC_LINK_RE.test(l.name)).map((l) => l.name);
  if (retired.length > 0) log(`deleting ${retired.length} link(s) retired before the restart`);
  core.reaper.reap(retired);
  await core.reaper.drain();
  for (const sandbox of core.sandboxes.values()) {
    await updateGateway(core, sandbox).catch(() => undefined);
    refreshSandboxFiles(core, sandbox);
  }
}

async function recoverIntent(core: Core, intent: Intent): Promise<void> {
  switch (intent.op) {
    case 'network.create': {
      if (!core.networks.has(intent.network.id)) {
        const driver = core.drivers.get(intent.network.driver);
        if (driver) await undoNetwork(core, intent.network, driver, intent.pools.flatMap((p) => (p.poolId ? [p.poolId] : [])));
      }
      break;
    }
    case 'network.delete': {
      const network = core.networks.get(intent.networkId);
      if (network) await finishNetworkDelete(core, network);
      await commit(core.store, intent.id, [del(networkKey(intent.networkId))]);
      return;
    }
    case 'endpoint.create': {
      if (!core.endpoints.has(intent.endpoint.id)) {
        const network = core.networks.get(intent.endpoint.networkId);
        const sandbox = core.sandboxes.get(intent.endpoint.sandboxId);
        await undoEndpoint(core, network, intent.endpoint, sandbox, intent.allocations);
      }
      break;
    }
    case 'endpoint.delete': {
      const endpoint = core.endpoints.get(intent.endpointId);
      const sandbox = endpoint ? core.sandboxes.get(endpoint.sandboxId) : undefined;
      const updated = sandbox ? { ...sandbox, endpoints: sandbox.endpoints.filter((id) => id !== intent.endpointId) } : undefined;
      if (endpoint) await finishEndpointDelete(core, endpoint, updated);
      await commit(core.store, intent.id, [del(endpointKey(intent.endpointId)), ...(updated ? [putSandbox(updated)] : [])]);
      return;
    }
    case 'sandbox.create': {
      if (!core.sandboxes.has(intent.sandbox.id)) await undoSandbox(core, intent.sandbox);
      break;
    }
    case 'sandbox.delete': {
      const sandbox = core.sandboxes.get(intent.sandboxId);
      if (sandbox) await undoSandbox(core, sandbox);
      core.sandboxes.delete(intent.sandboxId);
      await commit(core.store, intent.id, [del(sandboxKey(intent.sandboxId))]);
      return;
    }
  }
  await core.store.delete(intentKey(intent.id));
}

/** A private sandbox whose namespace is gone (host reboot, someone ran `ip netns delete`). */
async function dropDeadSandboxes(core: Core, log: (msg: string) => void): Promise<void> {
  const live = new Set(core.kernel.namedNetns());
  for (const sandbox of [...core.sandboxes.values()]) {
    if (sandbox.mode !== 'private' || live.has(sandbox.nsName)) continue;
    log(`sandbox ${sandbox.id.slice(0, 12)}: namespace ${sandbox.nsName} is gone, removing it`);
    await dropSandbox(core, sandbox);
  }
}

async function dropSandbox(core: Core, sandbox: SandboxRecord): Promise<void> {
  const eps = [...core.endpoints.values()].filter((e) => e.sandboxId === sandbox.id);
  for (const e of eps) {
    core.endpoints.delete(e.id);
    await undoEndpoint(core, core.networks.get(e.networkId), e, sandbox);
  }
  await undoSandbox(core, sandbox);
  core.sandboxes.delete(sandbox.id);
  await core.store.txn({ success: [...eps.map((e) => del(endpointKey(e.id))), del(sandboxKey(sandbox.id))] });
}

/** Endpoints whose veth vanished are removed; the others get their host ports held again. */
async function checkEndpoints(core: Core, log: (msg: string) => void): Promise<void> {
  const links = new Map((await core.ctx.host.links()).map((l) => [l.name, l]));
  for (const endpoint of [...core.endpoints.values()]) {
    const network = core.networks.get(endpoint.networkId);
    const sandbox = core.sandboxes.get(endpoint.sandboxId);
    if (!network || !sandbox || (endpoint.hostIfName && !links.has(endpoint.hostIfName))) {
      log(`endpoint ${endpoint.id.slice(0, 12)} lost its interface, removing it`);
      const updated = sandbox ? { ...sandbox, endpoints: sandbox.endpoints.filter((id) => id !== endpoint.id) } : undefined;
      await finishEndpointDelete(core, endpoint, updated);
      await core.store.txn({ success: [del(endpointKey(endpoint.id)), ...(updated ? [putSandbox(updated)] : [])] });
      continue;
    }
    await reholdPorts(core, endpoint, log);
  }
}

async function reholdPorts(core: Core, endpoint: EndpointRecord, log: (msg: string) => void): Promise<void> {
  if (endpoint.ports.length === 0) return;
  const sandbox = core.sandboxes.get(endpoint.sandboxId);
  try {
    await core.ports.reserve(
      endpoint.id,
      sandbox?.containerName || sandbox?.containerId || endpoint.id.slice(0, 12),
      endpoint.ports.map((p) => ({ proto: p.proto, containerPort: p.containerPort, hostIp: p.hostIp, hostPort: p.hostPort })),
      '',
      core.config.userlandProxy ? plainIp(endpoint.ipv4) || undefined : undefined,
    );
  } catch (error) {
    log(`endpoint ${endpoint.id.slice(0, 12)}: could not hold its host ports again: ${(error as Error).message}`);
  }
}

/** `veth` + 7 hex on one of our bridges that no endpoint claims: left by a crash. */
async function removeOrphanVeths(core: Core, log: (msg: string) => void): Promise<void> {
  const bridges = new Set<string>();
  for (const n of core.networks.values()) for (const l of core.drivers.get(n.driver)?.ownedLinks(n) ?? []) bridges.add(l);
  const claimed = new Set([...core.endpoints.values()].map((e) => e.hostIfName));
  for (const link of await core.ctx.host.links()) {
    if (!VETH_NAME_RE.test(link.name) || claimed.has(link.name)) continue;
    if (link.master === undefined || !bridges.has(link.master)) continue;
    log(`removing orphan ${link.name} on ${link.master}`);
    await core.ctx.retireLink(link.name);
  }
}

/**
 * Addresses allocated in our networks' pools that no network (gateway, aux) or endpoint holds:
 * left by a crash between ipam's write and our commit (connect writes both side by side).
 */
async function auditIpam(core: Core, log: (msg: string) => void): Promise<void> {
  const held = new Map<string, Set<string>>();
  for (const n of core.networks.values()) {
    for (const p of n.pools) held.set(p.poolId, new Set([p.gateway, ...Object.values(p.auxAddresses)]));
  }
  for (const e of core.endpoints.values()) {
    for (const p of core.networks.get(e.networkId)?.pools ?? []) {
      const cidr = p.family === 4 ? e.ipv4 : e.ipv6;
      if (cidr) held.get(p.poolId)?.add(plainIp(cidr));
    }
  }
  for (const [poolId, addresses] of held) {
    let info;
    try {
      info = await core.ipam.poolInfo(poolId);
    } catch (error) {
      log(`pool ${poolId} is missing from ipam: ${(error as Error).message}`);
      continue;
    }
    for (const a of info.addresses) {
      if (addresses.has(a) || info.aux.includes(a)) continue;
      log(`releasing leaked address ${a} of pool ${poolId}`);
      await releaseQuietly(core.ipam, poolId, a);
    }
  }
}

/**
 * A sandbox directory under the data dir without a record: its namespace (`tsnet-<id12>`, named
 * from the same id) and files are ours and orphaned. Intents cover crashes; this also covers a
 * store restored from an older backup.
 */
function removeOrphanSandboxes(core: Core, log: (msg: string) => void): void {
  let dirs: string[];
  try {
    dirs = readdirSync(join(core.dataDir, 'sandboxes'));
  } catch {
    return;
  }
  const live = new Set(core.kernel.namedNetns());
  for (const id of dirs) {
    if (core.sandboxes.has(id) || !/^[0-9a-f]{64}$/.test(id)) continue;
    const nsName = sandboxNsName(id);
    log(`removing orphan sandbox ${id.slice(0, 12)}${live.has(nsName) ? ` and its namespace ${nsName}` : ''}`);
    if (live.has(nsName)) core.kernel.removeNamedNetns(nsName);
    removeSandboxFiles(join(core.dataDir, 'sandboxes', id));
  }
}
