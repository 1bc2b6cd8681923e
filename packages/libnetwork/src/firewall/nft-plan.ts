import { chainOrder } from './render-iptables.js';
import { NFT_FAMILY, SKELETON_CHAINS, SKELETON_SETS, addElement, commentOf, elementId, nftTable, tableSkeleton, type NftElement, type NftRender, type NftRule } from './render-nft.js';
import type { Listing } from './nft-parse.js';
import type { DriftEntry } from './types.js';

/**
 * Turns (desired rendering, what the kernel holds) into one `nft -f` script. The "what the kernel
 * holds" is either a fresh listing (startup, after drift(), after a failure) or the view the last
 * successful apply left, so the hot path costs one nft process and sends only the delta.
 */

export interface ViewRule {
  text: string;
  handle: number;
}

export interface View {
  /** `${family}/${table}` → its chains and sets */
  tables: Map<string, { chains: Set<string>; sets: Set<string> }>;
  /** `${family}/${table}/${chain}` → rules */
  rules: Map<string, ViewRule[]>;
  /** elementId → value and comment */
  elements: Map<string, { value: string | undefined; comment: string | undefined }>;
}

export interface Plan {
  script: string[];
  /** Chains holding rules to delete whose handles are not known yet (added since the last listing). */
  needHandles: Set<string>;
  /** Rules the script adds, in script order: their handles come back in nft's echo. */
  adds: Array<{ chainKey: string; text: string }>;
  next: View;
}

const TABLES = ['nat', 'filter'] as const;
/** Rules in TSNET-USER belong to the user: never compared, never removed by apply. */
const USER_CHAIN = 'TSNET-USER';

export function emptyView(): View {
  return { tables: new Map(), rules: new Map(), elements: new Map() };
}

export function viewFromListing(l: Listing): View {
  const v = emptyView();
  for (const t of l.tables) v.tables.set(`${t.family}/${t.table.replace(/^tsnet-/, '')}`, { chains: new Set(t.chains), sets: new Set(t.sets) });
  for (const r of l.rules) {
    const key = `${r.family}/${r.table.replace(/^tsnet-/, '')}/${r.chain}`;
    const list = v.rules.get(key) ?? [];
    list.push({ text: r.text, handle: r.handle });
    v.rules.set(key, list);
  }
  for (const e of l.elements) {
    v.elements.set(elementId({ family: e.family, table: e.table.replace(/^tsnet-/, ''), set: e.set, key: e.key }), { value: e.value, comment: e.comment });
  }
  return v;
}

function cloneView(v: View): View {
  return { tables: new Map(v.tables), rules: new Map(v.rules), elements: new Map(v.elements) };
}

function dropTable(v: View, tk: string): void {
  v.tables.delete(tk);
  for (const k of [...v.rules.keys()]) if (k.startsWith(`${tk}/`)) v.rules.delete(k);
  for (const k of [...v.elements.keys()]) if (k.startsWith(`${tk}/`)) v.elements.delete(k);
}

function isComplete(t: { chains: Set<string>; sets: Set<string> } | undefined, table: 'nat' | 'filter'): boolean {
  return t !== undefined && SKELETON_CHAINS[table].every((c) => t.chains.has(c)) && SKELETON_SETS[table].every((s) => t.sets.has(s));
}

function planChain(p: Plan, prefix: string, chainKey: string, want: NftRule[], fresh: boolean): void {
  const have = fresh ? [] : (p.next.rules.get(chainKey) ?? []);
  const wantTexts = new Set(want.map((r) => r.text));
  const haveTexts = new Set(have.map((r) => r.text));
  const missing = want.filter((r) => !haveTexts.has(r.text));
  const extra = have.filter((r) => !wantTexts.has(r.text));
  if (missing.length === 0 && extra.length === 0) return;
  const kept = have.filter((r) => wantTexts.has(r.text));
  // A fixed head rule (FORWARD's jumps) inserted now could land above rules it must precede
  // differently: rebuild the chain. Per-network head rules commute, so they are just inserted.
  if (missing.some((r) => r.pos === 'head' && r.owner.kind === 'global') && kept.length > 0) {
    p.script.push(`flush chain ${prefix}`);
    for (const r of want) {
      p.script.push(`add rule ${prefix} ${r.text}`);
      p.adds.push({ chainKey, text: r.text });
    }
    p.next.rules.set(chainKey, []);
    return;
  }
  for (const r of extra) {
    if (r.handle < 0) p.needHandles.add(chainKey);
    p.script.push(`delete rule ${prefix} handle ${r.handle}`);
  }
  for (const r of [...missing.filter((x) => x.pos === 'tail'), ...missing.filter((x) => x.pos === 'head').reverse()]) {
    p.script.push(`${r.pos === 'head' ? 'insert' : 'add'} rule ${prefix} ${r.text}`);
    p.adds.push({ chainKey, text: r.text });
  }
  p.next.rules.set(chainKey, kept);
}

/** One command per set and verb (`add element ... { a, b, c }`): nft parses a batch of 3,000 elements this way in a fraction of the time. */
function groupElements(verb: 'add' | 'delete', els: NftElement[]): string[] {
  const bySet = new Map<string, string[]>();
  for (const e of els) {
    const head = `${verb} element ${NFT_FAMILY[e.family]} ${nftTable(e.table)} ${e.set}`;
    const body = verb === 'delete' ? e.key : `${e.key} comment "${commentOf(e)}"${e.value === undefined ? '' : ` : ${e.value}`}`;
    const list = bySet.get(head);
    if (list) list.push(body);
    else bySet.set(head, [body]);
  }
  return [...bySet].map(([head, bodies]) => `${head} { ${bodies.join(', ')} }`);
}

function planElements(p: Plan, tk: string, want: NftElement[], fresh: boolean): void {
  const wanted = new Set<string>();
  const adds: NftElement[] = [];
  const dels: NftElement[] = [];
  for (const e of want) {
    const id = elementId(e);
    wanted.add(id);
    const comment = commentOf(e);
    const cur = fresh ? undefined : p.next.elements.get(id);
    if (cur && cur.value === e.value && cur.comment === comment) continue;
    if (cur) dels.push(e);
    adds.push(e);
    p.next.elements.set(id, { value: e.value, comment });
  }
  if (!fresh) {
    for (const id of [...p.next.elements.keys()]) {
      if (!id.startsWith(`${tk}/`) || wanted.has(id)) continue;
      const [family, table, set, ...key] = id.split('/');
      dels.push({ family: Number(family) as 4 | 6, table: table as 'nat', set: set!, key: key.join('/'), owner: { kind: 'global' } });
      p.next.elements.delete(id);
    }
  }
  p.script.push(...groupElements('delete', dels), ...groupElements('add', adds));
}

export function planNft(desired: NftRender, current: View): Plan {
  const p: Plan = { script: [], needHandles: new Set(), adds: [], next: cloneView(current) };
  for (const family of [4, 6] as const) {
    for (const table of TABLES) {
      const tk = `${family}/${table}`;
      const head = `${NFT_FAMILY[family]} ${nftTable(table)}`;
      const have = current.tables.get(tk);
      if (!desired.families.includes(family)) {
        if (have) p.script.push(`delete table ${head}`);
        dropTable(p.next, tk);
        continue;
      }
      const fresh = !isComplete(have, table);
      if (fresh) {
        if (have) p.script.push(`delete table ${head}`);
        dropTable(p.next, tk);
        p.script.push(...tableSkeleton(family, table));
        p.next.tables.set(tk, { chains: new Set(SKELETON_CHAINS[table]), sets: new Set(SKELETON_SETS[table]) });
      }
      for (const chain of SKELETON_CHAINS[table]) {
        if (chain === USER_CHAIN) continue;
        const want = chainOrder(desired.rules.filter((r) => r.family === family && r.table === table && r.chain === chain));
        planChain(p, `${head} ${chain}`, `${tk}/${chain}`, want, fresh);
      }
      planElements(p, tk, desired.elements.filter((e) => e.family === family && e.table === table), fresh);
    }
  }
  return p;
}

/**
 * Records the rules the plan added. Their handles stay unknown (-1): asking nft to echo them
 * makes it load every set element, which costs more than listing a chain on the rare delete.
 */
export function recordAdds(p: Plan): void {
  for (const a of p.adds) {
    const list = p.next.rules.get(a.chainKey) ?? [];
    list.push({ text: a.text, handle: -1 });
    p.next.rules.set(a.chainKey, list);
  }
}

/** Fills in handles from a listing of some chains (rules matched by text). */
export function learnHandles(v: View, listing: Listing): void {
  for (const r of listing.rules) {
    const key = `${r.family}/${r.table.replace(/^tsnet-/, '')}/${r.chain}`;
    const rule = v.rules.get(key)?.find((x) => x.text === r.text && x.handle < 0);
    if (rule) rule.handle = r.handle;
  }
}

/** Wanted vs listed, entry by entry (rules in TSNET-USER are the user's and never count). */
export function nftDrift(desired: NftRender, v: View): { missing: DriftEntry[]; extra: DriftEntry[] } {
  const missing: DriftEntry[] = [];
  const extra: DriftEntry[] = [];
  const split = (k: string) => {
    const [f, table, chain] = k.split('/');
    return { family: Number(f) as 4 | 6, table: table!, chain: chain! };
  };
  const wantRules = new Map<string, Set<string>>();
  for (const r of desired.rules) {
    const k = `${r.family}/${r.table}/${r.chain}`;
    wantRules.set(k, (wantRules.get(k) ?? new Set()).add(r.text));
    if (!(v.rules.get(k) ?? []).some((x) => x.text === r.text)) missing.push({ family: r.family, table: r.table, chain: r.chain, text: r.text });
  }
  for (const [k, list] of v.rules) {
    if (k.endsWith(`/${USER_CHAIN}`)) continue;
    for (const r of list) if (!wantRules.get(k)?.has(r.text)) extra.push({ ...split(k), text: r.text });
  }
  const wantEls = new Map(desired.elements.map((e) => [elementId(e), e]));
  for (const [id, e] of wantEls) {
    const cur = v.elements.get(id);
    const text = addElement(e);
    if (!cur || cur.value !== e.value || cur.comment !== commentOf(e)) missing.push({ family: e.family, table: e.table, chain: e.set, text });
  }
  for (const [id, cur] of v.elements) {
    const want = wantEls.get(id);
    if (want && cur.value === want.value && cur.comment === commentOf(want)) continue;
    const [f, table, set, ...key] = id.split('/');
    extra.push({ family: Number(f) as 4 | 6, table: table!, chain: set!, text: `${key.join('/')}${cur.value ? ` : ${cur.value}` : ''}` });
  }
  return { missing, extra };
}
