import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { conflict, forbidden, invalid } from '@tsnet/errors';
import { newId, sandboxNsName } from '../model/ids.js';
import { parseHostname, parseIp } from '../model/names.js';
import type { SandboxRecord } from '../model/types.js';
import { parseExtraHost, type HostsRecord } from '../resolver/hosts.js';
import { removeSandboxFiles, writeSandboxFiles, type SandboxFiles } from '../resolver/files.js';
import type { ResolvConfResult } from '../resolver/resolvconf.js';
import { type Core, driverOf, hasEmbeddedDns, now, sandboxEvent } from './core.js';
import { findSandbox } from './lookup.js';
import { commit, del, putSandbox, sandboxKey, writeIntent } from './persist.js';

export interface CreateSandboxOptions {
  containerId: string;
  containerName?: string;
  /** Default: the first 12 characters of the container id, as Docker. */
  hostname?: string;
  domainname?: string;
  /** 'host' = the host's namespace (`--network host`); default a new private namespace. */
  mode?: 'private' | 'host';
  /** `--network container:<ref>`: join that container's sandbox instead of making one. */
  shareWith?: string;
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** `--add-host name:ip` entries. */
  extraHosts?: string[];
}

export const sandboxDir = (core: Core, id: string): string => join(core.dataDir, 'sandboxes', id);

function validateSandbox(core: Core, opts: CreateSandboxOptions): void {
  if (typeof opts.containerId !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(opts.containerId)) {
    throw invalid('ERR_INVALID_CONTAINER_ID', `invalid container id ${JSON.stringify(opts.containerId)}`);
  }
  const taken = [...core.sandboxes.values()].find((s) => s.containerId === opts.containerId || s.sharers.includes(opts.containerId));
  if (taken) throw conflict('ERR_SANDBOX_EXISTS', `container ${opts.containerId} already has a sandbox (${taken.id.slice(0, 12)})`);
  if (opts.hostname !== undefined) parseHostname(opts.hostname);
  if (opts.domainname !== undefined && opts.domainname !== '') parseHostname(opts.domainname);
  for (const ns of opts.dns ?? []) parseIp(ns, 'dns server');
  for (const h of opts.extraHosts ?? []) parseExtraHost(h);
}

export async function createSandbox(core: Core, opts: CreateSandboxOptions): Promise<SandboxRecord> {
  validateSandbox(core, opts);
  if (opts.shareWith !== undefined) return shareSandbox(core, opts.containerId, opts.shareWith);
  const id = newId();
  const hostMode = opts.mode === 'host';
  const nsName = hostMode ? '' : sandboxNsName(id);
  const record: SandboxRecord = {
    id,
    containerId: opts.containerId,
    containerName: (opts.containerName ?? '').replace(/^\//, ''),
    sharers: [],
    mode: hostMode ? 'host' : 'private',
    nsName,
    nsPath: hostMode ? core.hostNsPath ?? `/proc/${process.pid}/ns/net` : `/run/netns/${nsName}`,
    hostname: opts.hostname ?? opts.containerId.slice(0, 12),
    domainname: opts.domainname ?? '',
    dns: opts.dns ?? [],
    dnsSearch: opts.dnsSearch ?? [],
    dnsOptions: opts.dnsOptions ?? [],
    extraHosts: opts.extraHosts ?? [],
    endpoints: [],
    nextIfIndex: 0,
    created: new Date().toISOString(),
  };
  const intent = { id: newId(), op: 'sandbox.create' as const, sandbox: record };
  // The sandbox's directory is made before its namespace, and restore removes a namespace whose
  // directory no record claims: so the namespace need not wait for the intent's fsync, which
  // completes beside the kernel work (the commit comes after it in the store's log).
  const durable = writeIntent(core.store, intent);
  durable.catch(() => undefined);
  try {
    mkdirSync(sandboxDir(core, id), { recursive: true });
    if (!hostMode) {
      core.kernel.createNamedNetns(nsName);
      const ns = await core.kernel.ns(record.nsPath);
      disableIpv6(core, record.nsPath);
      await ns.setUp('lo');
    }
    refreshSandboxFiles(core, record);
    await durable;
  } catch (error) {
    await undoSandbox(core, record).catch(() => undefined);
    await core.store.delete(`/libnetwork/intent/${intent.id}`);
    throw error;
  }
  await commit(core.store, intent.id, [putSandbox(record)]);
  core.sandboxes.set(id, record);
  core.events.next({ type: 'sandbox.create', time: now(), sandbox: sandboxEvent(record) });
  return record;
}

async function shareSandbox(core: Core, containerId: string, ref: string): Promise<SandboxRecord> {
  const target = findSandbox(core.sandboxes.values(), ref);
  const updated: SandboxRecord = { ...target, sharers: [...target.sharers, containerId] };
  await core.store.put(sandboxKey(updated.id), JSON.stringify(updated));
  core.sandboxes.set(updated.id, updated);
  return updated;
}

/** Removes the namespace and files; idempotent (rollback and restore use it too). */
export async function undoSandbox(core: Core, record: SandboxRecord): Promise<void> {
  if (record.mode === 'private' && record.nsName) {
    core.kernel.forget(record.nsPath);
    core.kernel.removeNamedNetns(record.nsName);
  }
  removeSandboxFiles(sandboxDir(core, record.id));
}

/**
 * A container leaves its sandbox. The sandbox is refcounted over the containers using it
 * (`container:<id>` sharing): only the last one out removes it, after disconnecting every endpoint.
 */
export async function releaseSandbox(
  core: Core,
  record: SandboxRecord,
  containerId: string | undefined,
  disconnectAll: (sandbox: SandboxRecord) => Promise<void>,
): Promise<boolean> {
  const users = [record.containerId, ...record.sharers];
  const leaving = containerId ?? record.containerId;
  if (!users.includes(leaving)) throw forbidden('ERR_SANDBOX_NOT_USED_BY', `container ${leaving} does not use sandbox ${record.id.slice(0, 12)}`);
  const rest = users.filter((u) => u !== leaving);
  if (rest.length > 0) {
    const updated: SandboxRecord = { ...record, containerId: rest[0]!, sharers: rest.slice(1) };
    await core.store.put(sandboxKey(updated.id), JSON.stringify(updated));
    core.sandboxes.set(updated.id, updated);
    return false;
  }
  await disconnectAll(record);
  const current = core.sandboxes.get(record.id) ?? record;
  const intent = { id: newId(), op: 'sandbox.delete' as const, sandboxId: record.id };
  await writeIntent(core.store, intent);
  await undoSandbox(core, current);
  await commit(core.store, intent.id, [del(sandboxKey(record.id))]);
  core.sandboxes.delete(record.id);
  core.events.next({ type: 'sandbox.delete', time: now(), sandbox: sandboxEvent(current) });
  return true;
}

/** The sandbox's endpoints in connect order, with their networks. */
export function sandboxEndpoints(core: Core, record: SandboxRecord) {
  return record.endpoints
    .map((id) => core.endpoints.get(id))
    .filter((e) => e !== undefined)
    .map((endpoint) => ({ endpoint, network: core.networks.get(endpoint.networkId)! }))
    .filter((x) => x.network !== undefined);
}

/** Rewrites hostname, hosts and resolv.conf from the sandbox's current endpoints. */
export function refreshSandboxFiles(core: Core, record: SandboxRecord): { files: SandboxFiles; resolv: ResolvConfResult } {
  const eps = sandboxEndpoints(core, record);
  const links: HostsRecord[] = [];
  for (const { endpoint, network } of eps) {
    if (hasEmbeddedDns(network)) continue;
    for (const link of endpoint.links) {
      const target = [...core.endpoints.values()].find((e) => e.networkId === network.id && (e.name === link.container || core.sandboxes.get(e.sandboxId)?.containerId === link.container));
      const sb = target ? core.sandboxes.get(target.sandboxId) : undefined;
      if (!target || !sb || !target.ipv4) continue;
      const names = [link.alias, sb.hostname];
      if (target.name && target.name !== link.alias) names.push(target.name);
      links.push({ ip: target.ipv4.split('/')[0]!, names: [...new Set(names)] });
    }
  }
  return writeSandboxFiles({
    dir: sandboxDir(core, record.id),
    hostMode: record.mode === 'host',
    hostname: record.hostname,
    domainname: record.domainname,
    addresses: eps.flatMap(({ endpoint }) => [endpoint.ipv4, endpoint.ipv6].filter(Boolean).map((a) => a.split('/')[0]!)),
    extraHosts: record.extraHosts,
    links,
    hostResolvConfPath: core.config.hostResolvConfPath,
    hostHostsPath: core.config.hostHostsPath,
    dns: record.dns.length ? record.dns : core.config.dns,
    dnsSearch: record.dnsSearch.length ? record.dnsSearch : core.config.dnsSearch,
    dnsOptions: record.dnsOptions.length ? record.dnsOptions : core.config.dnsOptions,
    ipv6: eps.some(({ endpoint }) => endpoint.ipv6 !== ''),
    embeddedDns: eps.some(({ network }) => hasEmbeddedDns(network)),
  });
}

/**
 * As Docker 20.10 (osl NewSandbox: "as starting point, disable IPv6 on all interfaces"): writing
 * `all` also sets `default` and every existing link (lo), so a veth made here later has no fe80::
 * and lo no ::1. An endpoint with an IPv6 address enables its own interface (bridge join), and lo
 * follows whether any endpoint has IPv6 (syncLoopbackIpv6, Docker's checkLoV6).
 */
function disableIpv6(core: Core, nsPath: string): void {
  try {
    core.kernel.writeSysctl(nsPath, 'net.ipv6.conf.all.disable_ipv6', '1');
  } catch {
    // A kernel without IPv6 has no such sysctl: nothing to disable (Docker only warns too).
  }
}

function syncLoopbackIpv6(core: Core, record: SandboxRecord, eps: ReturnType<typeof sandboxEndpoints>): void {
  const want = eps.some(({ endpoint }) => endpoint.ipv6 !== '') ? '0' : '1';
  try {
    core.kernel.writeSysctl(record.nsPath, 'net.ipv6.conf.lo.disable_ipv6', want);
  } catch {
    // no IPv6 in this kernel
  }
}

/**
 * The endpoint that provides the default gateway, as libnetwork's epHeap orders them: networks
 * that offer a gateway (bridge, not internal — current Docker's bridge Join sets no gateway for an
 * internal network's endpoint; 20.10 did) come first, then (equal priority: tsnet has no
 * gw-priority) the network whose *name* sorts first, so `network connect n1` onto a container on n2 moves the default route to n1.
 */
export function gatewayEndpoint(core: Core, record: SandboxRecord) {
  const candidates = sandboxEndpoints(core, record).filter(({ endpoint, network }) => (endpoint.ipv4 || endpoint.ipv6) && driverOf(core, network).providesGateway(network));
  candidates.sort((a, b) => (a.network.name < b.network.name ? -1 : a.network.name > b.network.name ? 1 : 0));
  return candidates[0];
}

/**
 * The default routes (v4 and v6) through the gateway endpoint; called after every connect and
 * disconnect (a route through a removed interface is already gone with it). Also keeps lo's IPv6
 * in step with the endpoints.
 */
export async function updateGateway(core: Core, record: SandboxRecord): Promise<void> {
  if (record.mode !== 'private') return;
  const eps = sandboxEndpoints(core, record);
  syncLoopbackIpv6(core, record, eps);
  const anyV6 = eps.some(({ endpoint }) => endpoint.ipv6 !== '');
  const gw = gatewayEndpoint(core, record);
  const ns = await core.kernel.ns(record.nsPath);
  for (const family of [4, 6] as const) {
    const dst = family === 4 ? 'default' : '::/0';
    const pool = gw?.network.pools.find((p) => p.family === family);
    const has = gw && (family === 4 ? gw.endpoint.ipv4 : gw.endpoint.ipv6);
    if (gw && has && pool?.gateway) await ns.ensureRoute({ dst, gateway: pool.gateway, dev: gw.endpoint.ifName });
    // (IPv6 stays disabled in a sandbox without IPv6 endpoints: no v6 route can exist there.)
    else if (family === 4 || anyV6) await ns.removeRoute({ dst }).catch(() => undefined);
  }
}
