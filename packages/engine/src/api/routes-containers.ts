import { conflict, invalid, isTsnetError } from '@tsnet/errors';
import { encodeFrame, type ContainerState } from '../runtime/index.js';
import { checkNetworkModeConflicts, createWarnings, parseLink, substituteHostGateway } from '../services/container-create.js';
import { createBodySchema, type ContainerRecord, type HostConfigBody } from '../services/container-types.js';
import { inspectContainer, summarizeContainer } from '../services/container-view.js';
import type { ApiServices, Route } from './context.js';
import { createdUntil, labelsMatch, portFilterKeys, regexMatch } from './filters.js';
import { API_VERSION, boolParam, hijack, intParam, parseFilters, readJson, readObject, sendEmpty, sendJson, type Ctx } from './http.js';

/** A Tty container's (or exec's) output goes raw; otherwise in stdout/stderr frames. */
const frame = (tty: boolean, stream: 'stdout' | 'stderr', data: Buffer | string): Buffer => (tty ? Buffer.from(data) : encodeFrame(stream, data));

const LIST_FILTERS = ['id', 'name', 'label', 'label!', 'status', 'network', 'exited', 'ancestor', 'volume', 'before', 'since', 'publish', 'expose', 'health', 'isolation', 'is-task'];

/** `before`/`since`: the creation time of the container they name (dockerd refuses an unknown one). */
function createdOf(s: ApiServices, refs: string[] | undefined): string[] {
  return (refs ?? []).map((ref) => s.containers.find(ref).created);
}

function listContainers(s: ApiServices, c: Ctx): Array<Record<string, unknown>> {
  const all = boolParam(c.query, 'all');
  const f = parseFilters(c.query, LIST_FILTERS);
  const some = (key: string, test: (v: string) => boolean): boolean => !f.has(key) || f.get(key)!.some(test);
  const before = createdOf(s, f.get('before'));
  const since = createdOf(s, f.get('since'));
  const publish = new Set((f.get('publish') ?? []).flatMap(portFilterKeys));
  const expose = new Set((f.get('expose') ?? []).flatMap(portFilterKeys));
  const rows: Array<{ r: ContainerRecord; st: ContainerState }> = [];
  for (const r of s.containers.records()) {
    const st = s.runtime.state(r.id);
    if (!all && !f.has('status') && !f.has('exited') && st.status !== 'running') continue;
    const nets = Object.keys(r.endpoints);
    const ok =
      some('id', (v) => r.id.startsWith(v)) &&
      // dockerd matches the pattern against the name with and without its leading '/'.
      some('name', (v) => regexMatch(v, r.name) || regexMatch(v, `/${r.name}`)) &&
      labelsMatch(r.labels, f) &&
      before.every((t) => r.created < t) &&
      since.every((t) => r.created > t) &&
      some('status', (v) => st.status === v) &&
      some('exited', (v) => st.status === 'exited' && st.exitCode === Number(v)) &&
      some('network', (v) => nets.includes(v) || s.controller.networks().some((n) => n.id.startsWith(v) && nets.includes(n.name))) &&
      some('ancestor', (v) => r.image === v || r.imageId === v || r.imageId.startsWith(`sha256:${v}`)) &&
      some('volume', (v) => r.mountPlan.mounts.some((m) => m.name === v || m.destination === v));
    if (ok) rows.push({ r, st });
  }
  const limit = intParam(c.query, 'limit');
  const out = rows.reverse().map(({ r, st }) => summarizeContainer(s.controller, r, st)).filter((row) => {
    const ports = (row.Ports ?? []) as Array<{ PrivatePort: number; PublicPort?: number; Type: string }>;
    // publish: the host side of a binding; expose: the container side (dockerd's list.go).
    return (publish.size === 0 || ports.some((p) => p.PublicPort !== undefined && publish.has(`${p.PublicPort}/${p.Type}`))) &&
      (expose.size === 0 || ports.some((p) => expose.has(`${p.PrivatePort}/${p.Type}`)));
  });
  return limit !== undefined && limit > 0 ? out.slice(0, limit) : out;
}

/** `docker logs`: json-file entries as multiplexed frames. */
async function logs(c: Ctx, s: ApiServices): Promise<void> {
  const r = s.containers.find(c.params.id!);
  const stdout = boolParam(c.query, 'stdout');
  const stderr = boolParam(c.query, 'stderr');
  if (!stdout && !stderr) throw invalid('ERR_BAD_PARAMETER', 'Bad parameters: you must choose at least one stream');
  const tailRaw = c.query.get('tail');
  const tail = tailRaw === null || tailRaw === '' || tailRaw === 'all' ? 'all' : Number(tailRaw);
  if (tail !== 'all' && !Number.isInteger(tail)) throw invalid('ERR_BAD_PARAMETER', `invalid tail value ${JSON.stringify(tailRaw)}`);
  const since = Number(c.query.get('since') ?? '0') || undefined;
  const until = Number(c.query.get('until') ?? '0') || undefined;
  const timestamps = boolParam(c.query, 'timestamps');
  const res = c.res!;
  res.writeHead(200, { 'Content-Type': r.config.Tty === true ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream', 'Api-Version': API_VERSION });
  res.flushHeaders();
  for await (const e of s.runtime.logs(r.id, { stdout, stderr, tail, follow: boolParam(c.query, 'follow'), signal: c.signal, ...(since ? { since } : {}), ...(until ? { until } : {}) })) {
    if (!res.writable) break;
    res.write(frame(r.config.Tty === true, e.stream, timestamps ? `${e.time} ${e.log}` : e.log));
  }
  res.end();
}

/**
 * Non-interactive attach (`docker run` without -d): output from now on, until the container
 * stops. The CLI attaches before it starts the container, so this waits for the next start.
 */
async function attach(c: Ctx, s: ApiServices): Promise<void> {
  const r = s.containers.find(c.params.id!);
  const stdout = boolParam(c.query, 'stdout');
  const stderr = boolParam(c.query, 'stderr');
  const replay = boolParam(c.query, 'logs');
  const stream = boolParam(c.query, 'stream');
  const attachedAt = Date.now();
  const tty = r.config.Tty === true;
  const out = hijack(c, tty ? 'application/vnd.docker.raw-stream' : undefined);
  const abort = new AbortController();
  void out.closed.then(() => abort.abort());
  const reading = (async () => {
    const initial = s.runtime.state(r.id);
    if (stream && initial.status !== 'running') {
      while (!abort.signal.aborted) {
        const st = s.runtime.has(r.id) ? s.runtime.state(r.id) : undefined;
        if (!st || (st.status !== 'created' && Date.parse(st.startedAt) >= attachedAt - 1000 && st.startedAt !== initial.startedAt)) break;
        await new Promise((res) => setTimeout(res, 15));
      }
    }
    if (!s.runtime.has(r.id) || (!stdout && !stderr)) return;
    const since = replay ? undefined : attachedAt / 1000 - 1;
    for await (const e of s.runtime.logs(r.id, { stdout, stderr, follow: stream, signal: abort.signal, ...(since !== undefined && initial.status !== 'running' ? { since } : {}), ...(initial.status === 'running' && !replay ? { tail: 0 } : {}) })) {
      out.write(frame(tty, e.stream, e.log));
    }
  })();
  s.containers.holdOutput(r.id, reading);
  try {
    await reading;
  } finally {
    out.end();
  }
}

async function execStart(c: Ctx, s: ApiServices): Promise<void> {
  const body = await readObject(c);
  const record = s.execs.get(c.params.id!);
  if (body.Detach === true) {
    const h = s.execs.start(record.id);
    h.stdout.resume();
    h.stderr.resume();
    sendEmpty(c, 200);
    return;
  }
  // Refusals are plain HTTP errors, before the connection is taken over.
  if (record.running || record.exitCode !== null) throw conflict('ERR_EXEC_STARTED', `Error: Exec command ${record.id} has already run`);
  if (s.runtime.state(record.containerId).status !== 'running') throw conflict('ERR_CONTAINER_NOT_RUNNING', `Container ${record.containerId} is not running`);
  const out = hijack(c, record.tty ? 'application/vnd.docker.raw-stream' : undefined);
  const stdin = record.attachStdin && c.upgrade ? await out.input() : undefined;
  let handle;
  try {
    handle = s.execs.start(record.id, stdin);
  } catch (error) {
    out.write(frame(record.tty, 'stderr', `${(error as Error).message}\n`));
    out.end();
    return;
  }
  const pipe = (stream: NodeJS.ReadableStream, name: 'stdout' | 'stderr', wanted: boolean) =>
    new Promise<void>((resolve) => {
      stream.on('data', (chunk: Buffer) => wanted && out.write(frame(record.tty, name, chunk)));
      stream.once('end', () => resolve());
      stream.once('close', () => resolve());
    });
  await Promise.all([pipe(handle.stdout, 'stdout', record.attachStdout), pipe(handle.stderr, 'stderr', record.attachStderr), handle.exitCode.catch(() => 126)]);
  await new Promise((res) => setTimeout(res, 0)); // exit code recorded before the client asks for it
  out.end();
}

/**
 * What dockerd checks or rewrites in a create body before the container exists: network-mode
 * conflicts (400 with its messages) and `host-gateway` in ExtraHosts (the daemon's
 * `host-gateway-ip`, else the default bridge's gateway, as dockerd).
 */
function prepareCreate(s: ApiServices, body: unknown): HostConfigBody | undefined {
  // A body of the wrong shape is refused by the container service with the field named (400).
  if (body === null || typeof body !== 'object' || Array.isArray(body) || !createBodySchema.safeParse(body).success) return undefined;
  const b = body as Record<string, unknown> & { HostConfig?: HostConfigBody | null };
  if (!b.HostConfig) return undefined;
  checkNetworkModeConflicts(b as Parameters<typeof checkNetworkModeConflicts>[0]);
  const ip = s.config.file.ip;
  if (ip && b.HostConfig.PortBindings && !bindingIpOfNetwork(s, b.HostConfig.NetworkMode)) {
    // daemon.json `ip`: the default host address of -p without one, as dockerd's bridge driver.
    for (const list of Object.values(b.HostConfig.PortBindings)) for (const pb of list ?? []) if (!pb.HostIp) pb.HostIp = ip;
  }
  const hosts = b.HostConfig.ExtraHosts;
  if (Array.isArray(hosts) && hosts.some((h) => typeof h === 'string' && h.endsWith(':host-gateway'))) {
    b.HostConfig.ExtraHosts = substituteHostGateway(hosts, s.config.file['host-gateway-ip'] ?? defaultGateway(s));
  }
  return b.HostConfig;
}

/** The network's own host_binding_ipv4 (it wins over daemon.json `ip`); '' for none or no such network. */
function bindingIpOfNetwork(s: ApiServices, mode: string | undefined): string {
  const name = !mode || mode === 'default' ? 'bridge' : mode;
  try {
    return s.controller.network(name).options['com.docker.network.bridge.host_binding_ipv4'] ?? '';
  } catch {
    return '';
  }
}

function defaultGateway(s: ApiServices): string | undefined {
  try {
    return s.controller.network('bridge').pools.find((p) => p.family === 4)?.gateway?.split('/')[0];
  } catch {
    return undefined;
  }
}

/**
 * The docker CLI takes any 404 from create for a missing image and tries to pull it, hiding the
 * real cause: a missing network, `container:` target, `--volumes-from` or `--link` target is a
 * 400 naming it (dockerd answers those with 400 too, or accepts them and fails at start).
 */
function referenceError(error: unknown, hc: HostConfigBody | undefined): unknown {
  if (!isTsnetError(error) || error.kind !== 'not-found' || error.code === 'ERR_IMAGE_NOT_FOUND') return error;
  const ref = typeof error.details.ref === 'string' ? error.details.ref : undefined;
  const isLink = ref !== undefined && (hc?.Links ?? []).some((l) => {
    try {
      return parseLink(l).container === ref.replace(/^\//, '');
    } catch {
      return false;
    }
  });
  const message = isLink ? `could not get container for ${ref}: ${error.message}` : error.code === 'ERR_NETWORK_NOT_FOUND' && ref ? `network ${ref} not found` : error.message;
  return invalid(error.code, message, { cause: error, details: error.details });
}

export const containerRoutes: Route[] = [
  { method: 'GET', path: '/containers/json', handler: async (c, s) => sendJson(c, 200, listContainers(s, c)) },
  {
    method: 'POST',
    path: '/containers/create',
    handler: async (c, s) => {
      const name = c.query.get('name') ?? undefined;
      const body = await readJson(c);
      const hc = prepareCreate(s, body);
      const created = await s.containers.create(name, body).catch((error: unknown) => {
        throw referenceError(error, hc);
      });
      sendJson(c, 201, { ...created, Warnings: [...created.Warnings, ...createWarnings(hc)] });
    },
  },
  {
    method: 'GET',
    path: '/containers/:id/json',
    handler: async (c, s) => {
      const r = s.containers.find(c.params.id!);
      sendJson(c, 200, inspectContainer(s.controller, r, s.runtime.state(r.id)));
    },
  },
  {
    method: 'POST',
    path: '/containers/:id/start',
    handler: async (c, s) => sendEmpty(c, (await s.containers.start(c.params.id!)) === 'already' ? 304 : 204),
  },
  {
    method: 'POST',
    path: '/containers/:id/stop',
    handler: async (c, s) => {
      const t = intParam(c.query, 't') ?? intParam(c.query, 'timeout');
      sendEmpty(c, (await s.containers.stop(c.params.id!, t, c.query.get('signal') ?? undefined)) === 'already' ? 304 : 204);
    },
  },
  {
    method: 'POST',
    path: '/containers/:id/restart',
    handler: async (c, s) => {
      await s.containers.stop(c.params.id!, intParam(c.query, 't'));
      await s.containers.start(c.params.id!);
      sendEmpty(c, 204);
    },
  },
  {
    method: 'POST',
    path: '/containers/:id/kill',
    handler: async (c, s) => {
      await s.containers.kill(c.params.id!, c.query.get('signal') ?? undefined);
      sendEmpty(c, 204);
    },
  },
  {
    method: 'POST',
    path: '/containers/:id/wait',
    handler: async (c, s) => {
      const cond = c.query.get('condition') || 'not-running';
      if (!['not-running', 'next-exit', 'removed'].includes(cond)) throw invalid('ERR_BAD_PARAMETER', `invalid condition: "${cond}"`);
      const { done } = s.containers.wait(c.params.id!, cond as 'not-running', c.signal);
      // The CLI's wait returns once headers arrive: the waiter is registered before they go.
      const res = c.res!;
      res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': API_VERSION });
      res.flushHeaders();
      const result = await done.catch((error: unknown) => ({ StatusCode: -1, Error: { Message: String(error) } }));
      res.end(`${JSON.stringify(result)}\n`);
    },
  },
  {
    method: 'DELETE',
    path: '/containers/:id',
    handler: async (c, s) => {
      await s.containers.remove(c.params.id!, { force: boolParam(c.query, 'force'), volumes: boolParam(c.query, 'v') });
      sendEmpty(c, 204);
    },
  },
  {
    method: 'POST',
    path: '/containers/:id/rename',
    handler: async (c, s) => {
      await s.containers.rename(c.params.id!, c.query.get('name') ?? '');
      sendEmpty(c, 204);
    },
  },
  { method: 'GET', path: '/containers/:id/logs', handler: logs },
  { method: 'POST', path: '/containers/:id/attach', handler: attach },
  {
    method: 'POST',
    path: '/containers/:id/exec',
    handler: async (c, s) => sendJson(c, 201, { Id: s.execs.create(c.params.id!, await readObject(c)).id }),
  },
  { method: 'POST', path: '/exec/:id/start', handler: execStart },
  { method: 'GET', path: '/exec/:id/json', handler: async (c, s) => sendJson(c, 200, s.execs.inspect(c.params.id!)) },
  {
    method: 'POST',
    path: '/containers/prune',
    handler: async (c, s) => {
      const filters = parseFilters(c.query, ['label', 'label!', 'until']);
      const now = Date.now();
      const deleted: string[] = [];
      for (const r of s.containers.records()) {
        if (s.runtime.state(r.id).status === 'running' || !labelsMatch(r.labels, filters) || !createdUntil(r.created, filters, now)) continue;
        await s.containers.remove(r.id);
        deleted.push(r.id);
      }
      sendJson(c, 200, { ContainersDeleted: deleted, SpaceReclaimed: 0 });
    },
  },
];
