/**
 * "Why can't A reach B": the path from a container (or a named namespace) to a container or an
 * address, hop by hop — the route in FROM's sandbox, the bridge and its port, forwarding in the
 * daemon's namespace, DNAT for a published port, the FORWARD verdict (icc, isolation between
 * networks, internal networks) — and then a live probe from inside FROM's namespace (busybox ping
 * or nc) with the firewall counters read before and after, so the rules the packets actually hit
 * are shown beside the prediction.
 */
import { isIP } from 'node:net';
import { createFirewall, type AnnotatedRule } from '@tsnet/libnetwork';
import { countersMoved, detectBackend } from './firewall.js';
import { inNs, type Where } from './kernel.js';
import { findContainer, type ContainerView, type EndpointView, type Model, type NetView } from './model.js';

export type Verdict = 'pass' | 'drop' | 'info';

export interface Hop {
  step: string;
  detail: string;
  verdict: Verdict;
}

export interface TraceReport {
  from: string;
  to: string;
  target: string;
  proto: 'tcp' | 'udp' | 'icmp';
  port?: number;
  hops: Hop[];
  predicted: 'reachable' | 'blocked';
  probe: { command: string; ok: boolean; output: string };
  counters: Array<{ table: string; chain: string; packets: number; rule: string }>;
}

export interface TraceOptions {
  port?: number;
  proto?: 'tcp' | 'udp';
}

interface Endpoint {
  label: string;
  nsPath: string;
  container?: ContainerView;
}

function resolveFrom(model: Model, ref: string): Endpoint {
  const c = findContainer(model, ref);
  if (c) {
    if (!c.running || !c.sandboxKey) throw new Error(`container "${c.name}" is not running: nothing to trace from`);
    return { label: c.name, nsPath: c.sandboxKey, container: c };
  }
  if (/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(ref)) return { label: `netns ${ref}`, nsPath: `/run/netns/${ref}` };
  throw new Error(`"${ref}" is neither a container nor a network namespace`);
}

/** The address to aim at: on a network both share if there is one (that is what DNS would answer). */
function resolveTarget(model: Model, from: Endpoint, ref: string): { ip: string; container?: ContainerView; shared?: EndpointView } {
  if (isIP(ref)) {
    const owner = model.containers.find((c) => c.endpoints.some((e) => e.ip === ref));
    return owner ? { ip: ref, container: owner } : { ip: ref };
  }
  const c = findContainer(model, ref);
  if (!c) throw new Error(`no container "${ref}" (give a container name or an IP address)`);
  const mine = new Set(from.container?.endpoints.map((e) => e.networkId) ?? []);
  const shared = c.endpoints.find((e) => mine.has(e.networkId));
  const first = shared ?? c.endpoints.find((e) => e.ip);
  if (!first?.ip) throw new Error(`container "${c.name}" has no IPv4 address (network mode ${c.networkMode})`);
  return shared ? { ip: first.ip, container: c, shared } : { ip: first.ip, container: c };
}

function routeGet(nsPath: string | undefined, dst: string, extra: string[] = []): { dev?: string; gateway?: string; prefsrc?: string; type?: string; error?: string } {
  const r = inNs(nsPath, ['ip', '-j', 'route', 'get', dst, ...extra]);
  if (r.status !== 0) return { error: r.stderr.trim() || `exit ${r.status}` };
  const [route] = JSON.parse(r.stdout) as Array<{ dev?: string; gateway?: string; prefsrc?: string; type?: string }>;
  return route ?? { error: 'no route' };
}

function sysctl(nsPath: string | undefined, key: string): string {
  return inNs(nsPath, ['sysctl', '-n', key]).stdout.trim();
}

function netOfEndpoint(model: Model, e: EndpointView | undefined): NetView | undefined {
  return e && model.networks.find((n) => n.id === e.networkId);
}

type Target = ReturnType<typeof resolveTarget>;
type RouteInfo = ReturnType<typeof routeGet>;

/** The prediction from model + kernel state, one hop at a time; stops at the first drop. */
function predict(model: Model, where: Where, from: Endpoint, target: Target, opts: TraceOptions): Hop[] {
  const hops: Hop[] = [];
  const route = routeGet(from.nsPath, target.ip);
  if (route.error) {
    hops.push({ step: `route in ${from.label}`, detail: `no route to ${target.ip}: ${route.error} (internal network, --network none, or not connected)`, verdict: 'drop' });
    return hops;
  }
  hops.push({ step: `route in ${from.label}`, detail: `${target.ip} via ${route.gateway ?? 'direct (on-link)'} dev ${route.dev} src ${route.prefsrc ?? '?'}`, verdict: 'pass' });
  if (route.type === 'local' || route.dev === 'lo') {
    hops.push({ step: 'loopback', detail: 'the target is this namespace itself', verdict: 'pass' });
    return hops;
  }
  const srcNet = netOfEndpoint(model, from.container?.endpoints.find((e) => e.ip === route.prefsrc));
  if (srcNet) hops.push({ step: 'bridge', detail: `${from.label}'s ${route.dev} is a port of ${srcNet.bridge ?? srcNet.driver} (network ${srcNet.name}, ${srcNet.subnets.join(' ')})`, verdict: 'pass' });
  const dstNet = netOfEndpoint(model, target.container?.endpoints.find((e) => e.ip === target.ip));
  // The gateway (or any address of the daemon's namespace) is on-link but ends in the host: DNAT.
  if (!target.container && routeGet(where.nsPath, target.ip).type === 'local') return [...hops, ...localTarget(model, where, target, opts)];
  return [...hops, ...(route.gateway ? routed(model, where, route, { from: from.label, srcNet, dstNet }, target, opts) : sameSegment(srcNet, dstNet, target))];
}

/** Same L2 segment: the bridge switches it; with br_netfilter the frame still passes FORWARD. */
function sameSegment(srcNet: NetView | undefined, dstNet: NetView | undefined, target: Target): Hop[] {
  const hops: Hop[] = [];
  if (srcNet && dstNet && srcNet.id === dstNet.id) {
    if (!srcNet.icc) return [{ step: 'FORWARD (icc)', detail: `enable_icc=false on ${srcNet.name}: -i ${srcNet.bridge} -o ${srcNet.bridge} -j DROP`, verdict: 'drop' }];
    hops.push({ step: 'FORWARD (icc)', detail: `${srcNet.bridge} → ${srcNet.bridge}: inter-container traffic allowed (icc)`, verdict: 'pass' });
  }
  hops.push({ step: 'deliver', detail: `${target.container?.name ?? target.ip} (${target.ip}) on the same bridge`, verdict: 'pass' });
  return hops;
}

/** Through the gateway into the daemon's namespace: a local address (DNAT) or forwarding. */
function routed(model: Model, where: Where, route: RouteInfo, path: { from: string; srcNet: NetView | undefined; dstNet: NetView | undefined }, target: Target, opts: TraceOptions): Hop[] {
  const { srcNet, dstNet } = path;
  const inbound = srcNet?.bridge;
  const hostRoute = routeGet(where.nsPath, target.ip, route.prefsrc && inbound ? ['from', route.prefsrc, 'iif', inbound] : []);
  if (hostRoute.type === 'local' || (hostRoute.error === undefined && hostRoute.dev === 'lo')) return localTarget(model, where, target, opts);
  const forwarding = sysctl(where.nsPath, 'net.ipv4.ip_forward');
  if (forwarding !== '1') return [{ step: `${where.label}: forwarding`, detail: `net.ipv4.ip_forward=${forwarding || '?'}: routed traffic is dropped`, verdict: 'drop' }];
  const hops: Hop[] = [{ step: `${where.label}: route`, detail: hostRoute.error ? `no route: ${hostRoute.error}` : `${target.ip} dev ${hostRoute.dev}${hostRoute.gateway ? ` via ${hostRoute.gateway}` : ''}`, verdict: hostRoute.error ? 'drop' : 'pass' }];
  if (hostRoute.error) return hops;
  if (srcNet?.internal || dstNet?.internal) {
    const n = srcNet?.internal ? srcNet : dstNet!;
    return [...hops, { step: 'FORWARD (internal)', detail: `network ${n.name} is internal: nothing is forwarded in or out of ${n.bridge}`, verdict: 'drop' }];
  }
  if (srcNet && dstNet && srcNet.id !== dstNet.id) {
    return [...hops, { step: 'FORWARD → TSNET-ISOLATION-STAGE-1/2', detail: `${srcNet.bridge} (${srcNet.name}) → ${dstNet.bridge} (${dstNet.name}): networks are isolated from each other; \`network connect ${dstNet.name} ${path.from}\` would join them`, verdict: 'drop' }];
  }
  if (dstNet && !srcNet) return [...hops, intoBridge(dstNet, target, opts)];
  return [...hops, { step: 'FORWARD', detail: `${inbound ?? '?'} → ${hostRoute.dev}: accepted${srcNet?.masquerade ? `, masqueraded (outgoing from ${srcNet.subnets.join(' ')})` : ''}`, verdict: 'pass' }];
}

/**
 * New connections routed into a bridge from elsewhere pass only to a published container port
 * (filter TSNET); everything else meets the bridge's `! -i br -o br` drop, as in Docker.
 */
function intoBridge(dstNet: NetView, target: Target, opts: TraceOptions): Hop {
  const proto = opts.proto ?? 'tcp';
  const published = opts.port !== undefined
    && target.container?.ports.some((p) => p.containerPort === opts.port && p.proto === proto);
  return published
    ? { step: 'FORWARD → TSNET', detail: `${proto}/${opts.port} is published by ${target.container?.name}: accepted into ${dstNet.bridge}`, verdict: 'pass' }
    : { step: 'FORWARD (drop)', detail: `! -i ${dstNet.bridge} -o ${dstNet.bridge}: only published ports may enter ${dstNet.name} from outside`, verdict: 'drop' };
}

function localTarget(model: Model, where: Where, target: Target, opts: TraceOptions): Hop[] {
  const hops: Hop[] = [{ step: `${where.label}: local address`, detail: `${target.ip} belongs to the host side${opts.port ? `; DNAT decides where :${opts.port} goes` : ''}`, verdict: 'pass' }];
  if (!opts.port) return hops;
  const proto = opts.proto ?? 'tcp';
  const owner = model.containers.find((c) => c.ports.some((p) => p.hostPort === opts.port && p.proto === proto));
  const mapped = owner?.ports.find((p) => p.hostPort === opts.port);
  hops.push(owner
    ? { step: 'nat PREROUTING → TSNET (DNAT)', detail: `${proto}/${opts.port} is published by ${owner.name}: DNAT to ${owner.endpoints[0]?.ip}:${mapped?.containerPort}`, verdict: 'pass' }
    : { step: 'nat PREROUTING → TSNET (DNAT)', detail: `nothing publishes ${proto}/${opts.port}: the host itself must be listening`, verdict: 'info' });
  return hops;
}

function probe(from: Endpoint, ip: string, opts: TraceOptions): { command: string; ok: boolean; output: string } {
  const argv = opts.port === undefined
    ? ['busybox', 'ping', '-c', '1', '-W', '2', ip]
    : opts.proto === 'udp'
      ? ['sh', '-c', `echo probe | busybox nc -u -w 1 ${ip} ${opts.port}`]
      : ['sh', '-c', `busybox nc -w 2 ${ip} ${opts.port} </dev/null`];
  const r = inNs(from.nsPath, argv, 8000);
  const output = `${r.stdout}${r.stderr}`.trim();
  return { command: `nsenter --net=${from.nsPath} ${argv.join(' ')}`, ok: r.status === 0, output };
}

export async function trace(model: Model, where: Where, fromRef: string, toRef: string, opts: TraceOptions = {}): Promise<TraceReport> {
  const from = resolveFrom(model, fromRef);
  const target = resolveTarget(model, from, toRef);
  const hops = predict(model, where, from, target, opts);
  const backend = detectBackend(where);
  const fw = createFirewall({ backend, ...(where.nsPath ? { nsPath: where.nsPath } : {}) });
  let before: AnnotatedRule[] = [];
  let after: AnnotatedRule[] = [];
  let result: TraceReport['probe'];
  try {
    before = await fw.list().catch(() => []);
    result = probe(from, target.ip, opts);
    after = await fw.list().catch(() => []);
  } finally {
    fw.close?.();
  }
  const report: TraceReport = {
    from: from.label,
    to: target.container?.name ?? toRef,
    target: target.ip,
    proto: opts.port === undefined ? 'icmp' : (opts.proto ?? 'tcp'),
    hops,
    predicted: hops.some((h) => h.verdict === 'drop') ? 'blocked' : 'reachable',
    probe: result,
    counters: countersMoved(before, after).map((r) => ({ table: r.table, chain: r.chain, packets: r.delta, rule: r.text })),
  };
  if (opts.port !== undefined) report.port = opts.port;
  return report;
}
