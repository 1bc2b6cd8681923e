/**
 * tsnet's rules as the kernel holds them (nftables or iptables, whichever is active in the
 * namespace), each with its owner and packet counter, the drift against what tsnet wants, and
 * what Docker 20.10 would have written for the same state.
 */
import { createFirewall, renderIptables, type AnnotatedRule, type BackendName, type Drift, type FirewallState, type RuleOwner } from '@tsnet/libnetwork';
import { inNs, type Where } from './kernel.js';
import { findNetwork, wantedState, type DebugApi, type Model } from './model.js';

export interface FirewallRow {
  family: 4 | 6;
  table: string;
  chain: string;
  owner: string;
  packets: number;
  rule: string;
}

export interface FirewallReport {
  where: string;
  backend: BackendName;
  rules: FirewallRow[];
  drift: Drift;
  wantedFrom: 'daemon' | 'api';
  docker: { v4: string; v6: string };
}

/**
 * What Docker 20.10 would have written (DOCKER-* chains, no comments), as iptables-save lines.
 * (libnetwork's renderDockerIptables does this too but is not on the package's surface.)
 */
export function dockerRules(state: FirewallState): { v4: string; v6: string } {
  const rules = renderIptables(state, { prefix: 'DOCKER', comments: false });
  const text = (family: 4 | 6): string =>
    (['nat', 'filter'] as const)
      .flatMap((table) => {
        const mine = rules.filter((r) => r.family === family && r.table === table);
        return mine.length ? [`*${table}`, ...mine.map((r) => `-A ${r.chain} ${r.spec}`)] : [];
      })
      .join('\n');
  return { v4: text(4), v6: text(6) };
}

/** The active backend is the one whose tables hold tsnet's chains in that namespace. */
export function detectBackend(where: Where): BackendName {
  const nft = inNs(where.nsPath, ['nft', 'list', 'tables']);
  if (/\btsnet-(nat|filter)\b/.test(nft.stdout)) return 'nftables';
  for (const save of ['iptables-save', 'iptables-legacy-save']) {
    const r = inNs(where.nsPath, [save]);
    if (r.status === 0 && /^:TSNET\b/m.test(r.stdout)) return 'iptables';
  }
  return 'none';
}

function ownerText(owner: RuleOwner, model: Model): string {
  const netName = (ref: string): string => findNetwork(model, ref)?.name ?? ref;
  switch (owner.kind) {
    case 'network':
      return `network ${netName(owner.network)}`;
    case 'port': {
      const c = model.containers.find((x) => x.id.startsWith(owner.container));
      return `port ${owner.port} → ${c?.name ?? owner.container} (${netName(owner.network)})`;
    }
    default:
      return owner.kind;
  }
}

function ownedBy(rule: AnnotatedRule, model: Model, network: string | undefined): boolean {
  if (!network) return true;
  const net = findNetwork(model, network);
  if (!net) throw new Error(`network "${network}" not found`);
  const o = rule.owner;
  if ((o.kind === 'network' || o.kind === 'port') && (o.network === net.name || net.id.startsWith(o.network))) return true;
  return net.bridge !== undefined && rule.text.includes(`"${net.bridge}"`);
}

/** The daemon's own wanted state when it serves one (GET /tsnet/firewall), else rebuilt from the API. */
async function wanted(api: DebugApi, model: Model): Promise<{ state: FirewallState; from: 'daemon' | 'api' }> {
  try {
    const res = await api.json<{ state?: FirewallState }>('GET', '/tsnet/firewall');
    if (res?.state) return { state: res.state, from: 'daemon' };
  } catch {
    // not served: fall back to the API's view
  }
  return { state: wantedState(model), from: 'api' };
}

export async function firewallReport(api: DebugApi, model: Model, where: Where, network?: string): Promise<FirewallReport> {
  const backend = detectBackend(where);
  const fw = createFirewall({ backend, ...(where.nsPath ? { nsPath: where.nsPath } : {}) });
  try {
    const listed = await fw.list();
    const { state, from } = await wanted(api, model);
    const drift = backend === 'none' ? { missing: [], extra: [] } : await fw.drift(state);
    const net = network ? findNetwork(model, network) : undefined;
    const keep = (text: string): boolean => !net?.bridge || !network || text.includes(net.bridge) || (net.subnets.some((s) => text.includes(s)));
    return {
      where: where.label,
      backend,
      rules: listed
        .filter((r) => ownedBy(r, model, network))
        .map((r) => ({ family: r.family, table: r.table, chain: r.chain, owner: ownerText(r.owner, model), packets: r.packets, rule: r.text })),
      drift: { missing: drift.missing.filter((d) => keep(d.text)), extra: drift.extra.filter((d) => keep(d.text)) },
      wantedFrom: from,
      docker: dockerRules(net ? { ...state, networks: state.networks.filter((n) => n.id === net.id), portMappings: state.portMappings.filter((p) => p.networkId === net.id) } : state),
    };
  } finally {
    fw.close?.();
  }
}

/** Rules whose packet counter moved between two listings: what a probe actually went through. */
export function countersMoved(before: AnnotatedRule[], after: AnnotatedRule[]): Array<AnnotatedRule & { delta: number }> {
  const key = (r: AnnotatedRule): string => `${r.family}|${r.table}|${r.chain}|${r.text}`;
  const old = new Map(before.map((r) => [key(r), r.packets]));
  return after.flatMap((r) => {
    const delta = r.packets - (old.get(key(r)) ?? 0);
    return delta > 0 ? [{ ...r, delta }] : [];
  });
}
