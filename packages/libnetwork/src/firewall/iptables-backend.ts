import { MARK, parseComment } from './comment.js';
import { commentOf, normSpec, parseIptablesSave, type SavedTables } from './iptables-parse.js';
import { BUILTIN, chainOrder, ownChains, renderIptables, type IptRule } from './render-iptables.js';
import { netnsRunner, runChecked, type Runner } from './runner.js';
import type { AnnotatedRule, Drift, DriftEntry, Firewall, FirewallState, ResolverPorts } from './types.js';

/**
 * The iptables backend: the same layout in iptables chains, applied in whole batches with
 * `iptables-restore --noflush` (never a process per rule), in the flavour the namespace already
 * uses (legacy or nf_tables, never both). Like nftables it keeps the last applied view and sends
 * only the delta; the kernel is read (iptables-save) at the first apply, on drift() and after a
 * failed batch. In the built-in chains it shares with other software, a rule is tsnet's when its
 * comment says so; every rule in a TSNET chain is tsnet's except the user's in TSNET-USER.
 */

export type Flavour = 'nft' | 'legacy';
type Family = 4 | 6;
type Table = 'nat' | 'filter';
const TABLES: Table[] = ['nat', 'filter'];
const USER = 'TSNET-USER';

/** family → table → chain → normalised specs (only tsnet's, except TSNET-USER: everything) */
type View = Map<Family, { chains: Map<Table, Set<string>>; rules: Map<string, string[]> }>;

const cmd = (family: Family, flavour: Flavour, what: 'save' | 'restore'): string =>
  `${family === 6 ? 'ip6tables' : 'iptables'}-${flavour}-${what}`;

function isOurs(chain: string, spec: string): boolean {
  if (!BUILTIN.has(chain)) return chain.startsWith('TSNET');
  const c = commentOf(spec);
  return c === MARK || (c?.startsWith(`${MARK} `) ?? false);
}

function viewOf(saved: SavedTables): { chains: Map<Table, Set<string>>; rules: Map<string, string[]> } {
  const chains = new Map<Table, Set<string>>(TABLES.map((t) => [t, saved.chains.get(t) ?? new Set()]));
  const rules = new Map<string, string[]>();
  for (const r of saved.rules) {
    if (!TABLES.includes(r.table as Table) || !isOurs(r.chain, r.spec)) continue;
    const k = `${r.table}/${r.chain}`;
    rules.set(k, [...(rules.get(k) ?? []), r.spec]);
  }
  return { chains, rules };
}

/** restore lines for one table of one family; mutates `v` to what the kernel will hold after. */
function planTable(v: { chains: Map<Table, Set<string>>; rules: Map<string, string[]> }, table: Table, want: IptRule[], remove: boolean): string[] {
  const have = v.chains.get(table) ?? new Set<string>();
  const own = ownChains()[table];
  const create: string[] = [];
  const del: string[] = [];
  const add: string[] = [];
  const chains = new Set<string>([...own, ...want.map((r) => r.chain), ...[...v.rules.keys()].filter((k) => k.startsWith(`${table}/`)).map((k) => k.slice(table.length + 1))]);
  for (const chain of chains) {
    const k = `${table}/${chain}`;
    const cur = v.rules.get(k) ?? [];
    const exists = have.has(chain) || BUILTIN.has(chain);
    if (chain === USER && !remove) {
      // The user's chain: created with its closing RETURN, then never touched again.
      if (!exists) {
        const specs = want.filter((r) => r.chain === USER).map((r) => normSpec(r.spec));
        create.push(`:${chain} - [0:0]`);
        add.push(...specs.map((s) => `-A ${chain} ${s}`));
        v.rules.set(k, specs);
        have.add(chain);
      }
      continue;
    }
    const wanted = remove ? [] : chainOrder(want.filter((r) => r.chain === chain)).map((r) => ({ ...r, spec: normSpec(r.spec) }));
    const needed = !remove && (wanted.length > 0 || own.includes(chain));
    if (!exists && needed) create.push(`:${chain} - [0:0]`);
    const wantSet = new Set(wanted.map((r) => r.spec));
    const curSet = new Set(cur);
    let missing = wanted.filter((r) => !curSet.has(r.spec));
    let extra = cur.filter((s) => !wantSet.has(s));
    if (missing.some((r) => r.pos === 'head' && r.owner.kind === 'global') && cur.some((s) => wantSet.has(s))) {
      // A fixed head rule (FORWARD's jumps) inserted now would land in the wrong place: rewrite
      // the chain's tsnet rules. Per-network head rules commute, so they are just inserted.
      extra = cur;
      missing = wanted;
    }
    if (!BUILTIN.has(chain) && exists && remove) del.push(`-F ${chain}`);
    else for (const s of extra) del.push(`-D ${chain} ${s}`);
    for (const r of missing.filter((x) => x.pos === 'tail')) add.push(`-A ${chain} ${r.spec}`);
    for (const r of missing.filter((x) => x.pos === 'head').reverse()) add.push(`-I ${chain} 1 ${r.spec}`);
    const kept = cur.filter((s) => wantSet.has(s) && !extra.includes(s));
    v.rules.set(k, [...missing.filter((x) => x.pos === 'head').map((x) => x.spec), ...kept, ...missing.filter((x) => x.pos === 'tail').map((x) => x.spec)]);
    if (!exists && needed) have.add(chain);
  }
  const drop: string[] = [];
  if (remove) {
    for (const chain of own) if (have.has(chain)) drop.push(`-X ${chain}`), have.delete(chain), v.rules.delete(`${table}/${chain}`);
  }
  v.chains.set(table, have);
  const body = [...create, ...del, ...add, ...drop];
  return body.length === 0 ? [] : [`*${table}`, ...body, 'COMMIT'];
}

export class IptablesFirewall implements Firewall {
  readonly backend = 'iptables' as const;
  readonly #runner: Runner;
  #flavour: Flavour | undefined;
  #view: View | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(nsPath: string | undefined, flavour?: Flavour, runnerFor: (nsPath: string | undefined) => Runner = netnsRunner) {
    this.#runner = runnerFor(nsPath);
    this.#runnerFor = runnerFor;
    this.#flavour = flavour;
  }

  readonly #runnerFor: (nsPath: string | undefined) => Runner;

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** The host's flavour: the one that already holds rules, else what `iptables` itself is. */
  async flavour(): Promise<Flavour> {
    if (this.#flavour) return this.#flavour;
    const count = async (f: Flavour) => {
      const r = await this.#runner.run(cmd(4, f, 'save'), []);
      return r.status === 0 ? r.stdout.split('\n').filter((l) => l.startsWith('-A ')).length : 0;
    };
    const [legacy, nft] = await Promise.all([count('legacy'), count('nft')]);
    if (legacy > 0 && nft === 0) return (this.#flavour = 'legacy');
    if (nft > 0) return (this.#flavour = 'nft');
    const version = await this.#runner.run('iptables', ['--version']);
    return (this.#flavour = version.stdout.includes('legacy') ? 'legacy' : 'nft');
  }

  async #save(family: Family, counters = false): Promise<SavedTables> {
    const out = await runChecked(this.#runner, cmd(family, await this.flavour(), 'save'), counters ? ['-c'] : []);
    return parseIptablesSave(out);
  }

  async #read(): Promise<View> {
    const view: View = new Map();
    for (const f of [4, 6] as const) view.set(f, viewOf(await this.#save(f)));
    return view;
  }

  async #applyOnce(rules: IptRule[], view: View, removeAll: boolean): Promise<void> {
    const families = new Set(rules.map((r) => r.family));
    for (const family of [4, 6] as const) {
      const v = view.get(family) ?? { chains: new Map(), rules: new Map() };
      const remove = removeAll || !families.has(family);
      const lines = TABLES.flatMap((t) => planTable(v, t, rules.filter((r) => r.family === family && r.table === t), remove));
      if (lines.length > 0) {
        await runChecked(this.#runner, cmd(family, await this.flavour(), 'restore'), ['--noflush'], lines.join('\n') + '\n');
      }
      view.set(family, v);
    }
    this.#view = view;
  }

  #reconcile(rules: IptRule[], removeAll: boolean): Promise<void> {
    return this.#serial(async () => {
      const cached = this.#view;
      try {
        await this.#applyOnce(rules, cached ? structuredClone(cached) : await this.#read(), removeAll);
      } catch (error) {
        this.#view = undefined;
        if (!cached) throw error;
        await this.#applyOnce(rules, await this.#read(), removeAll);
      }
    });
  }

  async apply(state: FirewallState): Promise<void> {
    return this.#reconcile(renderIptables(state), false);
  }

  teardown(): Promise<void> {
    return this.#reconcile([], true);
  }

  list(): Promise<AnnotatedRule[]> {
    return this.#serial(async () => {
      const out: AnnotatedRule[] = [];
      for (const family of [4, 6] as const) {
        for (const r of (await this.#save(family, true)).rules) {
          if (!TABLES.includes(r.table as Table) || !isOurs(r.chain, r.spec)) continue;
          const owner = r.chain === USER ? { kind: 'user' as const } : parseComment(commentOf(r.spec));
          out.push({ family, table: r.table, chain: r.chain, kind: 'rule', text: `-A ${r.chain} ${r.spec}`, owner, packets: r.packets, bytes: r.bytes });
        }
      }
      return out;
    });
  }

  async drift(state: FirewallState): Promise<Drift> {
    const rules = renderIptables(state);
    return this.#serial(async () => {
      const view = await this.#read();
      this.#view = view;
      const missing: DriftEntry[] = [];
      const extra: DriftEntry[] = [];
      const want = new Set(rules.map((r) => `${r.family}/${r.table}/${r.chain}/${normSpec(r.spec)}`));
      for (const r of rules) {
        if (!(view.get(r.family)?.rules.get(`${r.table}/${r.chain}`) ?? []).includes(normSpec(r.spec))) {
          missing.push({ family: r.family, table: r.table, chain: r.chain, text: `-A ${r.chain} ${r.spec}` });
        }
      }
      for (const [family, v] of view) {
        for (const [k, specs] of v.rules) {
          const [table, chain] = k.split('/') as [string, string];
          if (chain === USER) continue;
          for (const s of specs) if (!want.has(`${family}/${k}/${s}`)) extra.push({ family, table, chain, text: `-A ${chain} ${s}` });
        }
      }
      return { missing, extra };
    });
  }

  async applySandboxResolver(nsPath: string, ports: ResolverPorts): Promise<void> {
    const runner = this.#runnerFor(nsPath);
    const flavour = await this.flavour();
    const saved = parseIptablesSave(await runChecked(runner, cmd(4, flavour, 'save'), ['-t', 'nat']));
    await runChecked(runner, cmd(4, flavour, 'restore'), ['--noflush'], resolverRestore(ports, saved));
  }

  async removeSandboxResolver(nsPath: string): Promise<void> {
    const runner = this.#runnerFor(nsPath);
    const flavour = await this.flavour();
    const saved = parseIptablesSave(await runChecked(runner, cmd(4, flavour, 'save'), ['-t', 'nat']));
    const chains = saved.chains.get('nat') ?? new Set();
    const lines = ['*nat'];
    for (const [builtin, chain] of RESOLVER_JUMPS) {
      if (saved.rules.some((r) => r.chain === builtin && r.spec === normSpec(jumpSpec(chain)))) lines.push(`-D ${builtin} ${jumpSpec(chain)}`);
    }
    for (const [, chain] of RESOLVER_JUMPS) if (chains.has(chain)) lines.push(`-F ${chain}`, `-X ${chain}`);
    if (lines.length > 1) await runChecked(runner, cmd(4, flavour, 'restore'), ['--noflush'], [...lines, 'COMMIT'].join('\n') + '\n');
  }
}

const RESOLVER_JUMPS = [['OUTPUT', 'TSNET_OUTPUT'], ['POSTROUTING', 'TSNET_POSTROUTING']] as const;
const jumpSpec = (chain: string): string => `-d 127.0.0.11/32 -m comment --comment "${MARK} resolver" -j ${chain}`;

/** Docker's DOCKER_OUTPUT / DOCKER_POSTROUTING under tsnet names; declaring the chains flushes them. */
export function resolverRestore(p: ResolverPorts, saved?: SavedTables): string {
  for (const port of [p.udpPort, p.tcpPort]) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`invalid resolver port ${port}`);
  }
  const lines = ['*nat', ':TSNET_OUTPUT - [0:0]', ':TSNET_POSTROUTING - [0:0]'];
  for (const [builtin, chain] of RESOLVER_JUMPS) {
    if (!saved?.rules.some((r) => r.chain === builtin && r.spec === normSpec(jumpSpec(chain)))) lines.push(`-A ${builtin} ${jumpSpec(chain)}`);
  }
  for (const [proto, port] of [['tcp', p.tcpPort], ['udp', p.udpPort]] as const) {
    lines.push(`-A TSNET_OUTPUT -d 127.0.0.11/32 -p ${proto} -m ${proto} --dport 53 -j DNAT --to-destination 127.0.0.11:${port}`);
    lines.push(`-A TSNET_POSTROUTING -s 127.0.0.11/32 -p ${proto} -m ${proto} --sport ${port} -j SNAT --to-source :53`);
  }
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}
