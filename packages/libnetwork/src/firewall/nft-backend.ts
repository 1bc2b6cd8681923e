import { parseComment } from './comment.js';
import { parseNftListing, type Listing } from './nft-parse.js';
import { emptyView, learnHandles, nftDrift, planNft, recordAdds, viewFromListing, type View } from './nft-plan.js';
import { NftSession } from './nft-session.js';
import { NFT_FAMILY, renderNft } from './render-nft.js';
import { netnsRunner, runChecked, type Runner } from './runner.js';
import type { AnnotatedRule, Drift, Firewall, FirewallState, ResolverPorts } from './types.js';

/**
 * The nftables backend. Every operation is one `nft -f -` transaction (atomic: a half-applied rule
 * set never exists). The view the last apply left is kept in memory, so an apply sends only the
 * delta; the kernel is listed at the first apply, on drift() and after a failed transaction.
 */

const OUR_TABLE = /^tsnet-(nat|filter)$/;
const RESOLVER_TABLE = 'tsnet-resolver';

export class NftFirewall implements Firewall {
  readonly backend = 'nftables' as const;
  readonly #session: NftSession;
  readonly #runner: Runner;
  readonly #runnerFor: (nsPath: string) => Runner;
  #view: View | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(nsPath: string | undefined, runnerFor: (nsPath: string | undefined) => Runner = netnsRunner) {
    this.#runner = runnerFor(nsPath);
    this.#session = new NftSession(nsPath, this.#runner);
    this.#runnerFor = runnerFor;
  }

  /** Serialises operations: two applies must not plan against the same view. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #listing(): Promise<Listing> {
    // A one-shot process: the interactive reader is slow to print thousands of set elements.
    const text = await runChecked(this.#runner, 'nft', ['-a', 'list', 'ruleset']);
    return parseNftListing(text, (t) => OUR_TABLE.test(t));
  }

  async apply(state: FirewallState): Promise<void> {
    const desired = renderNft(state);
    return this.#serial(async () => {
      const fromCache = this.#view !== undefined;
      try {
        await this.#applyOnce(desired, this.#view ?? viewFromListing(await this.#listing()));
      } catch (error) {
        this.#view = undefined;
        // The cached view may be stale (someone changed the kernel): list and try once more.
        if (!fromCache) throw error;
        await this.#applyOnce(desired, viewFromListing(await this.#listing()));
      }
    });
  }

  async #applyOnce(desired: ReturnType<typeof renderNft>, current: View): Promise<void> {
    let plan = planNft(desired, current);
    if (plan.needHandles.size > 0) {
      await this.#learnHandles(current, plan.needHandles);
      plan = planNft(desired, current);
    }
    await this.#session.run(plan.script);
    recordAdds(plan);
    this.#view = plan.next;
    // Rules are deleted by handle; the handles of rules added here are learnt lazily, by the
    // apply that first deletes one (planNft's needHandles). Looking them up in the background
    // right after each apply made the *next* apply (a connect after a create) wait ~10 ms for it.
  }

  async #learnHandles(view: View, chains: Set<string>): Promise<void> {
    const lists = [...chains].map((k) => {
      const [family, table, chain] = k.split('/');
      return `list chain ${NFT_FAMILY[Number(family) as 4 | 6]} tsnet-${table} ${chain}`;
    });
    // One line each: nft 1.0.6 cannot run two `list` commands in one batch.
    let text = '';
    for (const l of lists) text += await this.#session.run([l]);
    learnHandles(view, parseNftListing(text, (t) => OUR_TABLE.test(t)));
  }

  /** Ends the nft coprocess. */
  close(): void {
    this.#session.close();
  }

  list(): Promise<AnnotatedRule[]> {
    return this.#serial(async () => {
      const l = await this.#listing();
      const rules: AnnotatedRule[] = l.rules.map((r) => ({
        family: r.family,
        table: r.table.replace(/^tsnet-/, ''),
        chain: r.chain,
        kind: 'rule',
        text: r.text,
        owner: r.chain === 'TSNET-USER' ? { kind: 'user' } : parseComment(r.comment),
        packets: r.packets,
        bytes: r.bytes,
      }));
      for (const e of l.elements) {
        rules.push({
          family: e.family,
          table: e.table.replace(/^tsnet-/, ''),
          chain: e.set,
          kind: 'element',
          text: e.value === undefined ? e.key : `${e.key} : ${e.value}`,
          owner: parseComment(e.comment),
          packets: e.packets,
          bytes: e.bytes,
        });
      }
      return rules;
    });
  }

  async drift(state: FirewallState): Promise<Drift> {
    const desired = renderNft(state);
    return this.#serial(async () => {
      const view = viewFromListing(await this.#listing());
      this.#view = view;
      return nftDrift(desired, view);
    });
  }

  teardown(): Promise<void> {
    return this.#serial(async () => {
      // `add` then `delete` in one transaction: removes the table whether or not it exists.
      await this.#session.run(['ip', 'ip6'].flatMap((f) => ['nat', 'filter'].flatMap((t) => [`add table ${f} tsnet-${t}`, `delete table ${f} tsnet-${t}`])));
      this.#view = emptyView();
    });
  }

  async applySandboxResolver(nsPath: string, ports: ResolverPorts): Promise<void> {
    await runChecked(this.#runnerFor(nsPath), 'nft', ['-f', '-'], resolverScript(ports));
  }

  async removeSandboxResolver(nsPath: string): Promise<void> {
    await runChecked(this.#runnerFor(nsPath), 'nft', ['-f', '-'], `add table ip ${RESOLVER_TABLE}\ndelete table ip ${RESOLVER_TABLE}\n`);
  }
}

/**
 * Docker's DOCKER_OUTPUT / DOCKER_POSTROUTING inside a sandbox, as one replaced table: queries to
 * 127.0.0.11:53 go to the embedded server's real ports, replies leave as if from :53.
 */
export function resolverScript(p: ResolverPorts): string {
  for (const port of [p.udpPort, p.tcpPort]) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`invalid resolver port ${port}`);
  }
  const c = 'comment "tsnet resolver"';
  return [
    `add table ip ${RESOLVER_TABLE}`,
    `delete table ip ${RESOLVER_TABLE}`,
    `table ip ${RESOLVER_TABLE} {`,
    '\tchain OUTPUT {',
    '\t\ttype nat hook output priority -100; policy accept;',
    `\t\tip daddr 127.0.0.11 udp dport 53 counter dnat ip to 127.0.0.11:${p.udpPort} ${c}`,
    `\t\tip daddr 127.0.0.11 tcp dport 53 counter dnat ip to 127.0.0.11:${p.tcpPort} ${c}`,
    '\t}',
    '\tchain POSTROUTING {',
    '\t\ttype nat hook postrouting priority srcnat; policy accept;',
    `\t\tip saddr 127.0.0.11 udp sport ${p.udpPort} counter snat ip to 127.0.0.11:53 ${c}`,
    `\t\tip saddr 127.0.0.11 tcp sport ${p.tcpPort} counter snat ip to 127.0.0.11:53 ${c}`,
    '\t}',
    '}',
  ].join('\n') + '\n';
}
