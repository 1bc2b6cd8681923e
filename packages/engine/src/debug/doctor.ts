/**
 * Checks what makes container networking fail in ways that are hard to see: forwarding off,
 * br_netfilter missing (bridged traffic then skips FORWARD, so icc and isolation rules do
 * nothing), which iptables flavour the host uses, subnets that collide with routes the host
 * already has, and objects left behind: veths whose far end is no sandbox, tsnet namespaces no
 * container owns, rules whose owner no longer exists.
 */
import { existsSync } from 'node:fs';
import { createFirewall, type Link } from '@tsnet/libnetwork';
import { detectBackend } from './firewall.js';
import { inNs, readBridges, type Where } from './kernel.js';
import { findNetwork, type Model } from './model.js';

interface Range4 {
  first: number;
  last: number;
}

/** IPv4 CIDR → numeric range (doctor only compares IPv4 pools with IPv4 routes). */
function parseCidr(cidr: string, _what: string): Range4 {
  const [ip = '', bits = '32'] = cidr.split('/');
  const n = ip.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
  const size = 2 ** (32 - Number(bits));
  const first = n - (n % size);
  return { first, last: first + size - 1 };
}

function cidrContains(outer: Range4, inner: Range4): boolean {
  return inner.first >= outer.first && inner.last <= outer.last;
}

export interface Finding {
  check: string;
  status: 'ok' | 'warn' | 'fail' | 'info';
  detail: string;
}

function sysctl(where: Where, key: string): string | undefined {
  const r = inNs(where.nsPath, ['sysctl', '-n', key]);
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function basics(where: Where): Finding[] {
  const out: Finding[] = [];
  const fwd = sysctl(where, 'net.ipv4.ip_forward');
  out.push({ check: 'ip_forward', status: fwd === '1' ? 'ok' : 'fail', detail: `net.ipv4.ip_forward=${fwd ?? '?'} in ${where.label}${fwd === '1' ? '' : ': containers cannot reach other networks or the outside'}` });
  const call = sysctl(where, 'net.bridge.bridge-nf-call-iptables');
  // Built into the kernel there is no /sys/module entry, but its sysctls exist.
  const brnf = existsSync('/sys/module/br_netfilter') || call !== undefined;
  out.push({
    check: 'br_netfilter',
    status: brnf && call === '1' ? 'ok' : 'warn',
    detail: brnf ? `loaded; bridge-nf-call-iptables=${call ?? '?'}` : 'not loaded (modprobe br_netfilter): bridged traffic skips FORWARD, so icc=false is not enforced',
  });
  const version = inNs(undefined, ['iptables', '--version']).stdout.trim();
  out.push({ check: 'iptables flavour', status: 'info', detail: `${version || 'iptables not installed'}; tsnet's active backend here: ${detectBackend(where)}` });
  return out;
}

async function conflicts(where: Where, model: Model): Promise<Finding[]> {
  const r = inNs(where.nsPath, ['ip', '-j', '-4', 'route', 'show', 'table', 'all']);
  const routes = (r.stdout.trim() ? (JSON.parse(r.stdout) as Array<{ dst: string; dev?: string; type?: string }>) : []).filter((x) => x.dst !== 'default' && x.type !== 'local' && x.type !== 'broadcast');
  const out: Finding[] = [];
  const v4 = model.networks.flatMap((n) => n.subnets.filter((s) => s.includes('.')).map((s) => ({ n, s, c: parseCidr(s, 'subnet') })));
  for (const { n, s, c } of v4) {
    for (const route of routes) {
      const dst = route.dst.includes('/') ? route.dst : `${route.dst}/32`;
      if (!/^[\d.]+\/\d+$/.test(dst) || route.dev === n.bridge) continue;
      const rc = parseCidr(dst, 'route');
      if (cidrContains(rc, c) || cidrContains(c, rc)) out.push({ check: 'pool/route conflict', status: 'fail', detail: `network ${n.name} (${s}) overlaps route ${route.dst} dev ${route.dev ?? '?'}` });
    }
  }
  for (let i = 0; i < v4.length; i++) {
    for (const other of v4.slice(i + 1)) {
      const a = v4[i]!;
      if (cidrContains(a.c, other.c) || cidrContains(other.c, a.c)) out.push({ check: 'pool overlap', status: 'fail', detail: `${a.n.name} (${a.s}) overlaps ${other.n.name} (${other.s})` });
    }
  }
  if (out.length === 0) out.push({ check: 'pool/route conflicts', status: 'ok', detail: `${v4.length} subnet(s), no overlap with each other or with routes in ${where.label}` });
  return out;
}

async function leaks(where: Where, model: Model): Promise<Finding[]> {
  const out: Finding[] = [];
  const { links, ids } = await readBridges(where);
  const sandboxes = new Set(model.containers.flatMap((c) => (c.sandboxKey ? [c.sandboxKey] : [])));
  const bridgeNames = new Set(model.networks.flatMap((n) => (n.bridge ? [n.bridge] : [])));
  const byIndex = new Map(links.map((l) => [l.index, l] as [number, Link]));
  for (const l of links.filter((x) => x.kind === 'veth' && x.linkNetnsId !== undefined)) {
    const ns = ids.get(l.linkNetnsId!);
    const master = l.masterIndex === undefined ? undefined : byIndex.get(l.masterIndex)?.name;
    if (!master || !bridgeNames.has(master)) continue;
    if (!ns || !sandboxes.has(`/run/netns/${ns}`)) out.push({ check: 'leaked veth', status: 'warn', detail: `${l.name} on ${master}: far end in ${ns ?? `netnsid ${l.linkNetnsId}`}, which is no container's sandbox` });
  }
  // Our namespaces are the ones linked to this one (they have a netnsid here).
  for (const ns of ids.values()) {
    if (/^tsnet-[0-9a-f]{12}$/.test(ns) && !sandboxes.has(`/run/netns/${ns}`)) out.push({ check: 'leaked namespace', status: 'warn', detail: `${ns} is linked to ${where.label} but no container's sandbox` });
  }
  const backend = detectBackend(where);
  if (backend !== 'none') {
    const fw = createFirewall({ backend, ...(where.nsPath ? { nsPath: where.nsPath } : {}) });
    try {
      for (const rule of await fw.list()) {
        const o = rule.owner;
        const net = o.kind === 'network' || o.kind === 'port' ? findNetwork(model, o.network) : undefined;
        const gone = (o.kind === 'network' || o.kind === 'port') && !net;
        const ctrGone = o.kind === 'port' && !model.containers.some((c) => c.running && c.id.startsWith(o.container));
        if (gone || ctrGone) out.push({ check: 'rule without owner', status: 'warn', detail: `${rule.table}/${rule.chain}: ${rule.text}` });
      }
    } finally {
      fw.close?.();
    }
  }
  if (out.length === 0) out.push({ check: 'leaked objects', status: 'ok', detail: 'no stray veths, namespaces or rules' });
  return out;
}

export async function doctor(where: Where, model: Model): Promise<Finding[]> {
  return [...basics(where), ...(await conflicts(where, model)), ...(await leaks(where, model))];
}
