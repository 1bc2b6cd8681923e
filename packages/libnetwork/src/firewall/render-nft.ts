import { ownerComment } from './comment.js';
import { checkMappings, networkLayout, portOwner, type Neg, type Rule } from './layout.js';
import type { FirewallState, RuleOwner } from './types.js';
import { normalizeState, type NormalizedMapping } from './validate.js';

/**
 * The nftables rendering. Per family, two tables mirror iptables' nat and filter tables
 * (`ip tsnet-nat`, `ip tsnet-filter`; `ip6 ...` likewise), so every chain keeps Docker's name:
 * base chains FORWARD / PREROUTING / OUTPUT / POSTROUTING hook where iptables' built-ins do,
 * regular chains TSNET, TSNET-USER, TSNET-ISOLATION-STAGE-1/2. Published ports are elements of
 * four sets/maps instead of three rules each, so publishing 1,000 ports adds 3,000 elements
 * (one cheap transaction) and never grows a chain. Rule text is written the way `nft list`
 * prints it, so wanted and listed rules compare as strings.
 */

export interface NftRule {
  family: 4 | 6;
  table: 'filter' | 'nat';
  chain: string;
  pos: 'head' | 'tail';
  text: string;
  owner: RuleOwner;
}

export interface NftElement {
  family: 4 | 6;
  table: 'filter' | 'nat';
  set: string;
  /** Key as `nft list` prints it, e.g. `tcp . 8080`. */
  key: string;
  /** Map value, e.g. `10.0.0.2 . 80`. */
  value?: string;
  owner: RuleOwner;
  /** Precomputed once (publishing 1,000 ports means 3,000 elements per apply): elementId and comment. */
  id?: string;
  comment?: string;
}

export interface NftRender {
  families: Array<4 | 6>;
  rules: NftRule[];
  elements: NftElement[];
}

export const NFT_FAMILY = { 4: 'ip', 6: 'ip6' } as const;
export const nftTable = (table: 'filter' | 'nat'): string => `tsnet-${table}`;

const ADDR = { 4: 'ipv4_addr', 6: 'ipv6_addr' } as const;

/** The fixed part of each table: chains (base chains with hooks) and sets, as one-line nft commands. */
export function tableSkeleton(family: 4 | 6, table: 'filter' | 'nat'): string[] {
  const t = `${NFT_FAMILY[family]} ${nftTable(table)}`;
  const a = ADDR[family];
  const out = [`add table ${t}`];
  if (table === 'nat') {
    out.push(`add map ${t} TSNET-DNAT { type inet_proto . inet_service : ${a} . inet_service; counter; }`);
    out.push(`add map ${t} TSNET-DNAT-ADDR { type ${a} . inet_proto . inet_service : ${a} . inet_service; counter; }`);
    out.push(`add set ${t} TSNET-HAIRPIN { type ${a} . ${a} . inet_proto . inet_service; counter; }`);
    out.push(`add chain ${t} TSNET`);
    out.push(`add chain ${t} PREROUTING { type nat hook prerouting priority dstnat; policy accept; }`);
    out.push(`add chain ${t} OUTPUT { type nat hook output priority -100; policy accept; }`);
    out.push(`add chain ${t} POSTROUTING { type nat hook postrouting priority srcnat; policy accept; }`);
  } else {
    out.push(`add set ${t} TSNET-PUBLISHED { type ${a} . inet_proto . inet_service; counter; }`);
    for (const c of ['TSNET', 'TSNET-USER', 'TSNET-ISOLATION-STAGE-1', 'TSNET-ISOLATION-STAGE-2']) out.push(`add chain ${t} ${c}`);
    out.push(`add chain ${t} FORWARD { type filter hook forward priority filter; policy accept; }`);
  }
  return out;
}

export const SKELETON_CHAINS = {
  nat: ['TSNET', 'PREROUTING', 'OUTPUT', 'POSTROUTING'],
  filter: ['TSNET', 'TSNET-USER', 'TSNET-ISOLATION-STAGE-1', 'TSNET-ISOLATION-STAGE-2', 'FORWARD'],
} as const;
export const SKELETON_SETS = { nat: ['TSNET-DNAT', 'TSNET-DNAT-ADDR', 'TSNET-HAIRPIN'], filter: ['TSNET-PUBLISHED'] } as const;

/** nft lists a host address without its /32 or /128. */
function addr(cidr: string): string {
  const host = cidr.includes(':') ? '/128' : '/32';
  return cidr.endsWith(host) ? cidr.slice(0, -host.length) : cidr;
}

function iface(key: string, n: Neg | undefined): string[] {
  return n === undefined ? [] : [key, ...(n.neg ? ['!='] : []), `"${n.value}"`];
}

function ipMatch(family: 4 | 6, field: string, n: Neg | undefined): string[] {
  return n === undefined ? [] : [NFT_FAMILY[family], field, ...(n.neg ? ['!='] : []), addr(n.value)];
}

export function ruleText(r: Rule, comment: string): string {
  const parts = [...iface('iifname', r.iif), ...iface('oifname', r.oif), ...ipMatch(r.family, 'saddr', r.src), ...ipMatch(r.family, 'daddr', r.dst)];
  if (r.proto) parts.push(...(r.dport === undefined ? ['meta', 'l4proto', r.proto] : [r.proto, 'dport', String(r.dport)]));
  if (r.established) parts.push('ct', 'state', 'established,related');
  if (r.ctDnat) parts.push('ct', 'status', 'dnat');
  if (r.dstLocal) parts.push('fib', 'daddr', 'type', 'local');
  if (r.srcLocal) parts.push('fib', 'saddr', 'type', 'local');
  parts.push('counter');
  const v = r.verdict;
  if (v.k === 'jump') parts.push('jump', v.chain);
  else if (v.k === 'dnat') parts.push('dnat', NFT_FAMILY[r.family], 'to', r.family === 6 ? `[${v.addr}]:${v.port}` : `${v.addr}:${v.port}`);
  else parts.push(v.k);
  if (comment !== '') parts.push('comment', `"${comment}"`);
  return parts.join(' ');
}

/** The rules that read the port sets: fixed, one per set, owned by tsnet as a whole. */
function setRules(family: 4 | 6): NftRule[] {
  const fam = NFT_FAMILY[family];
  const owner: RuleOwner = { kind: 'global' };
  const c = `comment "${ownerComment(owner)}"`;
  const key = `meta l4proto . th dport`;
  return [
    { family, table: 'nat', chain: 'TSNET', pos: 'tail', owner, text: `counter dnat ${fam} to ${fam} daddr . ${key} map @TSNET-DNAT-ADDR ${c}` },
    { family, table: 'nat', chain: 'TSNET', pos: 'tail', owner, text: `counter dnat ${fam} to ${key} map @TSNET-DNAT ${c}` },
    { family, table: 'nat', chain: 'POSTROUTING', pos: 'tail', owner, text: `${fam} saddr . ${fam} daddr . ${key} @TSNET-HAIRPIN counter masquerade ${c}` },
    { family, table: 'filter', chain: 'TSNET', pos: 'tail', owner, text: `${fam} daddr . ${key} @TSNET-PUBLISHED counter accept ${c}` },
  ];
}

export function portElements(m: NormalizedMapping): NftElement[] {
  const owner = portOwner(m);
  const comment = ownerComment(owner);
  const family = m.family;
  const to = `${m.containerIp} . ${m.containerPort}`;
  // Built literally, one shape, with `id` from the start: publishing 1,000 ports makes 3,000 of
  // these per apply, and spreads plus a property added afterwards cost ~10x more here.
  const el = (table: 'filter' | 'nat', set: string, key: string, value: string | undefined): NftElement =>
    value === undefined
      ? { family, table, set, key, owner, id: `${family}/${table}/${set}/${key}`, comment }
      : { family, table, set, key, value, owner, id: `${family}/${table}/${set}/${key}`, comment };
  return [
    m.hostIp === ''
      ? el('nat', 'TSNET-DNAT', `${m.proto} . ${m.hostPort}`, to)
      : el('nat', 'TSNET-DNAT-ADDR', `${m.hostIp} . ${m.proto} . ${m.hostPort}`, to),
    el('filter', 'TSNET-PUBLISHED', `${m.containerIp} . ${m.proto} . ${m.containerPort}`, undefined),
    el('nat', 'TSNET-HAIRPIN', `${m.containerIp} . ${m.containerIp} . ${m.proto} . ${m.containerPort}`, undefined),
  ];
}

export function commentOf(e: NftElement): string {
  return e.comment ?? ownerComment(e.owner);
}

export function elementId(e: { family: 4 | 6; table: string; set: string; key: string; id?: string }): string {
  return e.id ?? `${e.family}/${e.table}/${e.set}/${e.key}`;
}

export function renderNft(state: FirewallState): NftRender {
  const s = normalizeState(state);
  checkMappings(s.portMappings);
  const layout = networkLayout(s).filter((r) => r.only !== 'iptables');
  const families = [...new Set([...layout.map((r) => r.family), ...s.portMappings.map((m) => m.family)])].sort();
  const rules: NftRule[] = layout.map((r) => ({
    family: r.family,
    table: r.table,
    chain: r.chain,
    pos: r.pos,
    owner: r.owner,
    text: ruleText(r, ownerComment(r.owner)),
  }));
  for (const f of families) rules.push(...setRules(f));
  // Two mappings to one container port share its PUBLISHED / HAIRPIN element: keep the first.
  const elements = new Map<string, NftElement>();
  for (const m of s.portMappings) {
    for (const e of portElements(m)) {
      const id = elementId(e);
      if (!elements.has(id)) elements.set(id, e);
    }
  }
  return { families, rules, elements: [...elements.values()] };
}

/** `nft -f` text creating the whole state on an empty kernel (for display, docs and snapshots). */
export function nftScript(r: NftRender): string {
  const out: string[] = [];
  for (const family of r.families) {
    for (const table of ['nat', 'filter'] as const) {
      out.push(...tableSkeleton(family, table));
      const mine = r.rules.filter((x) => x.family === family && x.table === table);
      for (const x of [...mine.filter((y) => y.pos === 'tail'), ...mine.filter((y) => y.pos === 'head').reverse()]) {
        out.push(`${x.pos === 'head' ? 'insert' : 'add'} rule ${NFT_FAMILY[family]} ${nftTable(table)} ${x.chain} ${x.text}`);
      }
      for (const e of r.elements.filter((x) => x.family === family && x.table === table)) out.push(addElement(e));
    }
  }
  return out.join('\n') + (out.length ? '\n' : '');
}

export function addElement(e: NftElement, verb: 'add' | 'delete' = 'add'): string {
  const body = verb === 'delete' ? e.key : `${e.key} comment "${commentOf(e)}"${e.value === undefined ? '' : ` : ${e.value}`}`;
  return `${verb} element ${NFT_FAMILY[e.family]} ${nftTable(e.table)} ${e.set} { ${body} }`;
}
