import { readFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { conflict, isTsnetError, runAll } from '@tsnet/errors';
import type { Controller } from '@tsnet/libnetwork';
import type { Runtime } from '../runtime/index.js';
import { writeJsonAtomic } from '../runtime/files.js';
import { exposedPorts, list, parseNetworkMode, portRequests } from './container-create.js';
import type { ContainerRecord } from './container-types.js';
import type { DnsGlue } from './dns.js';
import { connectEndpoint } from './network-join.js';

/**
 * A container's network lives while it runs, as in Docker (daemon.initializeNetworking at start,
 * releaseNetwork at stop/exit): start makes the sandbox, joins the networks recorded at create
 * (and by later connects) with the published ports, opens the DNS listener and points the runc
 * bundle at that namespace and its resolver files; stop and exit take all of it away, so a stopped
 * container holds no address, host port, DNAT rule or DNS name.
 */
export interface NetDeps {
  controller: Controller;
  runtime: Runtime;
  dns: DnsGlue;
  find(ref: string): ContainerRecord;
  log: (m: string) => void;
}

/** Where a bundle's resolver files are bind-mounted; their sources are rewritten at every start. */
export const RESOLVER_FILES = ['/etc/resolv.conf', '/etc/hostname', '/etc/hosts'] as const;
/** Placeholder netns path of a created container's bundle (replaced at start). */
export const PENDING_NETNS = '/run/netns/tsnet-pending';

/** The published ports of a container: on the first network it joins (Docker's gateway endpoint). */
export function portsOf(r: ContainerRecord) {
  const mode = parseNetworkMode(r.networkMode);
  const hc = r.hostConfig as { PortBindings?: Parameters<typeof portRequests>[0]; PublishAllPorts?: boolean };
  const bindings = mode.kind === 'default' || mode.kind === 'network' ? portRequests(hc.PortBindings) : [];
  return { bindings, exposed: exposedPorts(r.config.ExposedPorts as Record<string, unknown> | undefined), publishAll: hc.PublishAllPorts ?? false };
}

/** Rewrites a network-carrying port error as dockerd words it (`docker run` users grep for this). */
function dockerPortError(error: unknown, r: ContainerRecord): unknown {
  if (!isTsnetError(error) || error.code !== 'ERR_PORT_IN_USE') return error;
  const m = /Bind for (\S+?)(?:\/\w+)? failed: port is already allocated/.exec(error.message);
  if (!m) return error;
  return conflict('ERR_PORT_IN_USE', `driver failed programming external connectivity on endpoint ${r.name}: Bind for ${m[1]} failed: port is already allocated`, { cause: error });
}

/** Start: sandbox → endpoints (ports on the first) → DNS listener; undone entirely on failure. */
export async function networkUp(deps: NetDeps, r: ContainerRecord): Promise<void> {
  const mode = parseNetworkMode(r.networkMode);
  const hc = r.hostConfig as Record<string, unknown>;
  let shareWith: string | undefined;
  if (mode.kind === 'container') {
    const other = deps.find(mode.ref);
    if (deps.runtime.state(other.id).status !== 'running' || !other.sandboxId) {
      throw conflict('ERR_CONTAINER_NOT_RUNNING', `cannot join network of a non running container: ${other.id}`);
    }
    shareWith = other.sandboxId;
  }
  const sandbox = await deps.controller.createSandbox({
    containerId: r.id,
    containerName: r.name,
    hostname: mode.kind === 'host' ? osHostname() : String(r.config.Hostname || r.id.slice(0, 12)),
    ...(r.config.Domainname ? { domainname: String(r.config.Domainname) } : {}),
    ...(mode.kind === 'host' ? { mode: 'host' as const } : {}),
    ...(shareWith ? { shareWith } : {}),
    dns: list(hc.Dns as string[] | undefined),
    dnsSearch: list(hc.DnsSearch as string[] | undefined),
    dnsOptions: list(hc.DnsOptions as string[] | undefined),
    extraHosts: list(hc.ExtraHosts as string[] | undefined),
  });
  r.sandboxId = sandbox.id;
  try {
    if (!shareWith) {
      const ports = portsOf(r);
      let first = true;
      for (const [net, req] of Object.entries(r.endpoints)) {
        await connectEndpoint(deps, r, net, req, first, first ? ports : { exposed: ports.exposed }).catch((e: unknown) => {
          throw dockerPortError(e, r);
        });
        first = false;
      }
      await deps.dns.attach(sandbox.id);
    }
    await pointBundle(deps.runtime, r.id, mode.kind === 'host' ? undefined : sandbox.nsPath, sandbox.files);
  } catch (error) {
    await networkDown(deps, r).catch((e: unknown) => deps.log(`release network of ${r.id.slice(0, 12)}: ${String(e)}`));
    throw error;
  }
}

/** Stop/exit/rm: the container leaves its sandbox (the last user removes it, endpoints and all). */
export async function networkDown(deps: NetDeps, r: ContainerRecord): Promise<void> {
  if (!r.sandboxId) return;
  const sandboxId = r.sandboxId;
  await runAll(`release network of ${r.id.slice(0, 12)}`, [
    async () => {
      try {
        await deps.controller.deleteSandbox(sandboxId, r.id);
      } catch (error) {
        if (!isTsnetError(error) || (error.kind !== 'not-found' && error.kind !== 'forbidden')) throw error;
      }
    },
  ]);
  r.sandboxId = '';
}

/**
 * The bundle's config.json names the network namespace and the resolver files' sources, which
 * belong to a sandbox made at this start: both are rewritten before `runc run` reads them.
 */
async function pointBundle(runtime: Runtime, id: string, nsPath: string | undefined, files: { resolvConf: string; hostname: string; hosts: string }): Promise<void> {
  const path = join(runtime.state(id).bundle, 'config.json');
  const config = JSON.parse(await readFile(path, 'utf8')) as {
    mounts?: Array<{ destination: string; source: string }>;
    linux?: { namespaces?: Array<{ type: string; path?: string }> };
  };
  const sources: Record<string, string> = { '/etc/resolv.conf': files.resolvConf, '/etc/hostname': files.hostname, '/etc/hosts': files.hosts };
  for (const m of config.mounts ?? []) if (sources[m.destination] !== undefined) m.source = sources[m.destination]!;
  for (const ns of config.linux?.namespaces ?? []) if (ns.type === 'network' && nsPath !== undefined) ns.path = nsPath;
  await writeJsonAtomic(path, config);
}
