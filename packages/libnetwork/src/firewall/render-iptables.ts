import { ownerComment } from './comment.js';
import { checkMappings, networkLayout, portRules, type ChainName, type Neg, type Rule } from './layout.js';
import type { FirewallState, RuleOwner } from './types.js';
import { normalizeState } from './validate.js';

/**
 * The iptables rendering: rules in iptables-save syntax (the exact text `iptables-save` prints
 * back, so wanted and listed rules compare as strings). With `prefix: 'DOCKER'` and no comments
 * it is what Docker 20.10 would have written for the same state (`tsnet debug firewall`).
 */

export interface IptRule {
  family: 4 | 6;
  table: 'filter' | 'nat';
  chain: string;
  pos: 'head' | 'tail';
  /** Everything after `-A <chain> `, as iptables-save prints it. */
  spec: string;
  owner: RuleOwner;
}

export interface IptRenderOptions {
  /** Chain prefix: `TSNET` (default) or `DOCKER` for the side-by-side view. */
  prefix?: string;
  /** Owner comments (default true; Docker writes none). */
  comments?: boolean;
}

export const BUILTIN: ReadonlySet<string> = new Set(['FORWARD', 'PREROUTING', 'OUTPUT', 'POSTROUTING', 'INPUT']);

/** User chains of each table, in creation order. */
export function ownChains(prefix = 'TSNET'): Record<'filter' | 'nat', string[]> {
  return {
    filter: [prefix, `${prefix}-USER`, `${prefix}-ISOLATION-STAGE-1`, `${prefix}-ISOLATION-STAGE-2`],
    nat: [prefix],
  };
}

export function chainName(chain: ChainName, prefix: string): string {
  return chain.startsWith('TSNET') ? prefix + chain.slice('TSNET'.length) : chain;
}

function neg(flag: string, n: Neg | undefined): string[] {
  return n === undefined ? [] : n.neg ? ['!', flag, n.value] : [flag, n.value];
}

/** iptables-save quotes a comment only when it needs to; we always do and compare token-wise. */
export function quote(text: string): string {
  return `"${text}"`;
}

export function ruleSpec(r: Rule, prefix: string, comments: boolean): string {
  const parts: string[] = [...neg('-s', r.src), ...neg('-d', r.dst), ...neg('-i', r.iif), ...neg('-o', r.oif)];
  if (r.proto) parts.push('-p', r.proto);
  if (r.proto && r.dport !== undefined) parts.push('-m', r.proto, '--dport', String(r.dport));
  if (r.srcLocal) parts.push('-m', 'addrtype', '--src-type', 'LOCAL');
  if (r.dstLocal) parts.push('-m', 'addrtype', '--dst-type', 'LOCAL');
  if (r.established) parts.push('-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED');
  if (r.ctDnat) parts.push('-m', 'conntrack', '--ctstate', 'DNAT');
  const comment = ownerComment(r.owner);
  if (comments && comment !== '') parts.push('-m', 'comment', '--comment', quote(comment));
  const v = r.verdict;
  if (v.k === 'jump') parts.push('-j', chainName(v.chain, prefix));
  else if (v.k === 'dnat') parts.push('-j', 'DNAT', '--to-destination', r.family === 6 ? `[${v.addr}]:${v.port}` : `${v.addr}:${v.port}`);
  else parts.push('-j', v.k.toUpperCase());
  return parts.join(' ');
}

export function renderIptables(state: FirewallState, options: IptRenderOptions = {}): IptRule[] {
  const prefix = options.prefix ?? 'TSNET';
  const comments = options.comments ?? true;
  const s = normalizeState(state);
  checkMappings(s.portMappings);
  const rules = [...networkLayout(s, { docker: prefix !== 'TSNET' }), ...s.portMappings.flatMap((m) => portRules(m, s.userlandProxy))];
  return rules
    .filter((r) => r.only !== 'nftables')
    .map((r) => ({
      family: r.family,
      table: r.table,
      chain: chainName(r.chain, prefix),
      pos: r.pos,
      spec: ruleSpec(r, prefix, comments),
      owner: r.owner,
    }));
}

/** Orders a chain's rules as the kernel will hold them: head rules (in order) before tail rules. */
export function chainOrder<T extends { pos: 'head' | 'tail' }>(rules: T[]): T[] {
  return [...rules.filter((r) => r.pos === 'head'), ...rules.filter((r) => r.pos === 'tail')];
}

/** iptables-save-style text of one family (what a fresh kernel would list), for display and docs. */
export function iptablesSaveText(rules: IptRule[], family: 4 | 6, prefix = 'TSNET'): string {
  const out: string[] = [];
  for (const table of ['nat', 'filter'] as const) {
    const mine = rules.filter((r) => r.family === family && r.table === table);
    if (mine.length === 0) continue;
    out.push(`*${table}`);
    for (const c of ownChains(prefix)[table]) out.push(`:${c} - [0:0]`);
    const chains = [...new Set(mine.map((r) => r.chain))];
    for (const chain of chains) {
      for (const r of chainOrder(mine.filter((x) => x.chain === chain))) out.push(`-A ${chain} ${r.spec}`);
    }
    out.push('COMMIT');
  }
  return out.join('\n') + (out.length ? '\n' : '');
}

/** What Docker 20.10 would have written for this state, with Docker's chain names (pure). */
export function renderDockerIptables(state: FirewallState): { v4: string; v6: string } {
  const rules = renderIptables(state, { prefix: 'DOCKER', comments: false });
  return { v4: iptablesSaveText(rules, 4, 'DOCKER'), v6: iptablesSaveText(rules, 6, 'DOCKER') };
}
