import { z } from 'zod';
import { invalid, isTsnetError, notFound } from '@tsnet/errors';
import type { NetworkInspect } from '@tsnet/libnetwork';
import type { ApiServices, Route } from './context.js';
import { createdUntil, labelsMatch } from './filters.js';
import { parseFilters, readObject, sendEmpty, sendJson } from './http.js';
import { zodProblem } from './validate.js';

const strMap = z.record(z.string(), z.string()).nullish();

const createSchema = z
  .object({
    Name: z.string().min(1, 'network name is required'),
    CheckDuplicate: z.boolean().optional(),
    Driver: z.string().optional(),
    Scope: z.string().optional(),
    Internal: z.boolean().optional(),
    Attachable: z.boolean().optional(),
    Ingress: z.boolean().optional(),
    EnableIPv6: z.boolean().nullish(),
    EnableIPv4: z.boolean().nullish(),
    ConfigOnly: z.boolean().optional(),
    IPAM: z
      .object({
        Driver: z.string().optional(),
        Config: z.array(z.object({ Subnet: z.string().optional(), IPRange: z.string().optional(), Gateway: z.string().optional(), AuxiliaryAddresses: strMap }).loose()).nullish(),
        Options: strMap,
      })
      .loose()
      .nullish(),
    Options: strMap,
    Labels: strMap,
  })
  .loose();

const connectSchema = z
  .object({
    Container: z.string().min(1, 'container is required'),
    EndpointConfig: z
      .object({
        IPAMConfig: z.object({ IPv4Address: z.string().optional(), IPv6Address: z.string().optional() }).loose().nullish(),
        Aliases: z.array(z.string()).nullish(),
        Links: z.array(z.string()).nullish(),
      })
      .loose()
      .nullish(),
  })
  .loose();

const disconnectSchema = z.object({ Container: z.string().min(1, 'container is required'), Force: z.boolean().optional() }).loose();

const matchText = (pattern: string, text: string): boolean => {
  try {
    return new RegExp(pattern).test(text);
  } catch {
    return text.includes(pattern);
  }
};

function labelMatch(labels: Record<string, string>, wanted: string): boolean {
  const eq = wanted.indexOf('=');
  return eq < 0 ? wanted in labels : labels[wanted.slice(0, eq)] === wanted.slice(eq + 1);
}

/** dockerd shows `IPAM.Options: {}` for user-defined networks (null only for the predefined ones). */
function dockerShape(predefined: boolean, i: NetworkInspect): NetworkInspect {
  return predefined || i.IPAM.Options ? i : { ...i, IPAM: { ...i.IPAM, Options: {} } };
}

function inspectOne(s: ApiServices, ref: string): NetworkInspect {
  return dockerShape(s.controller.network(ref).predefined, s.controller.inspectNetwork(ref));
}

function listNetworks(s: ApiServices, filters: Map<string, string[]>): NetworkInspect[] {
  const some = (key: string, test: (v: string) => boolean): boolean => !filters.has(key) || filters.get(key)!.some(test);
  return s.controller.networks().map((n) => ({ n, i: dockerShape(n.predefined, s.controller.inspectNetwork(n.id)) })).filter(({ n, i }) =>
    some('name', (v) => matchText(v, n.name)) &&
    some('id', (v) => n.id.startsWith(v)) &&
    some('driver', (v) => n.driver === v) &&
    (!filters.has('label') || filters.get('label')!.every((v) => labelMatch(n.labels, v))) &&
    some('type', (v) => (v === 'custom' ? !n.predefined : v === 'builtin' ? n.predefined : (() => { throw invalid('ERR_BAD_FILTERS', `invalid filter: 'type'='${v}'`); })())) &&
    some('scope', (v) => n.scope === v) &&
    some('dangling', (v) => {
      const dangling = ['true', '1'].includes(v);
      if (!dangling && !['false', '0'].includes(v)) throw invalid('ERR_BAD_FILTERS', `invalid filter 'dangling=${v}'`);
      return dangling === (!n.predefined && Object.keys(i.Containers).length === 0);
    }),
  ).map(({ i }) => i);
}

function containerExists(s: ApiServices, ref: string): boolean {
  try {
    s.containers.find(ref);
    return true;
  } catch (error) {
    if (isTsnetError(error, 'ERR_CONTAINER_NOT_FOUND')) return false;
    throw error;
  }
}

/**
 * `disconnect -f` naming no container: dockerd's ForceEndpointDelete — the network's endpoint of
 * that name goes (one left behind by a container that no longer exists), else "endpoint X not found".
 */
async function forceEndpointDelete(s: ApiServices, networkRef: string, name: string): Promise<void> {
  const network = s.controller.network(networkRef);
  const endpoint = s.controller.endpoints().find((e) => e.networkId === network.id && e.name === name.replace(/^\//, ''));
  if (!endpoint) throw notFound('ERR_ENDPOINT_NOT_FOUND', `endpoint ${name} not found`);
  await s.controller.disconnect(network.id, endpoint.sandboxId);
}

export const networkRoutes: Route[] = [
  {
    method: 'GET',
    path: '/networks',
    handler: async (c, s) => sendJson(c, 200, listNetworks(s, parseFilters(c.query, ['name', 'id', 'driver', 'label', 'type', 'dangling', 'scope']))),
  },
  {
    method: 'GET',
    path: '/networks/:id',
    handler: async (c, s) => sendJson(c, 200, inspectOne(s, c.params.id!)),
  },
  {
    method: 'POST',
    path: '/networks/create',
    handler: async (c, s) => {
      const parsed = createSchema.safeParse(await readObject(c));
      if (!parsed.success) throw invalid('ERR_NETWORK_CONFIG', zodProblem(parsed.error));
      const b = parsed.data;
      const ipamConfig = (b.IPAM?.Config ?? []).map((x) => ({
        ...(x.Subnet ? { subnet: x.Subnet } : {}),
        ...(x.IPRange ? { ipRange: x.IPRange } : {}),
        ...(x.Gateway ? { gateway: x.Gateway } : {}),
        ...(x.AuxiliaryAddresses ? { auxAddresses: x.AuxiliaryAddresses } : {}),
      }));
      const record = await s.controller.createNetwork({
        name: b.Name,
        ...(b.Driver ? { driver: b.Driver } : {}),
        options: b.Options ?? {},
        labels: b.Labels ?? {},
        internal: b.Internal ?? false,
        attachable: b.Attachable ?? false,
        enableIPv6: b.EnableIPv6 ?? false,
        ipam: { ...(b.IPAM?.Driver ? { driver: b.IPAM.Driver } : {}), options: b.IPAM?.Options ?? {}, config: ipamConfig },
      });
      s.events.emit('network', 'create', record.id, { name: record.name, type: record.driver });
      sendJson(c, 201, { Id: record.id, Warning: '' });
    },
  },
  {
    method: 'DELETE',
    path: '/networks/:id',
    handler: async (c, s) => {
      const record = await s.controller.deleteNetwork(c.params.id!);
      s.events.emit('network', 'destroy', record.id, { name: record.name, type: record.driver });
      sendEmpty(c, 204);
    },
  },
  {
    method: 'POST',
    path: '/networks/:id/connect',
    handler: async (c, s) => {
      const parsed = connectSchema.safeParse(await readObject(c));
      if (!parsed.success) throw invalid('ERR_NETWORK_CONNECT', zodProblem(parsed.error));
      const ec = parsed.data.EndpointConfig;
      await s.containers.connect(c.params.id!, parsed.data.Container, {
        aliases: ec?.Aliases ?? [],
        links: ec?.Links ?? [],
        ...(ec?.IPAMConfig?.IPv4Address ? { ipv4Address: ec.IPAMConfig.IPv4Address } : {}),
        ...(ec?.IPAMConfig?.IPv6Address ? { ipv6Address: ec.IPAMConfig.IPv6Address } : {}),
      });
      sendEmpty(c, 200);
    },
  },
  {
    method: 'POST',
    path: '/networks/:id/disconnect',
    handler: async (c, s) => {
      const parsed = disconnectSchema.safeParse(await readObject(c));
      if (!parsed.success) throw invalid('ERR_NETWORK_DISCONNECT', zodProblem(parsed.error));
      const { Container: ref, Force: force = false } = parsed.data;
      if (force && !containerExists(s, ref)) await forceEndpointDelete(s, c.params.id!, ref);
      else await s.containers.disconnect(c.params.id!, ref, force);
      sendEmpty(c, 200);
    },
  },
  {
    method: 'POST',
    path: '/networks/prune',
    handler: async (c, s) => sendJson(c, 200, { NetworksDeleted: await pruneNetworks(s, parseFilters(c.query, ['label', 'label!', 'until'])) }),
  },
];

/**
 * `network prune`: every user-defined network without endpoints that passes `label`, `label!` and
 * `until` (created before it), as dockerd. One that gained an endpoint meanwhile is skipped.
 */
async function pruneNetworks(s: ApiServices, filters: Map<string, string[]>): Promise<string[]> {
  const now = Date.now();
  const used = new Set(s.controller.endpoints().map((e) => e.networkId));
  const removed: string[] = [];
  for (const n of s.controller.networks()) {
    if (n.predefined || used.has(n.id) || !labelsMatch(n.labels, filters) || !createdUntil(n.created, filters, now)) continue;
    try {
      await s.controller.deleteNetwork(n.id);
    } catch (error) {
      if (isTsnetError(error) && (error.kind === 'conflict' || error.kind === 'not-found')) continue;
      throw error;
    }
    s.events.emit('network', 'destroy', n.id, { name: n.name, type: n.driver });
    removed.push(n.name);
  }
  return removed;
}
