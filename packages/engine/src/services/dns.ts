import { DnsServer, RecordTable, type DnsListener, type HolderRecord } from '@tsnet/dns';
import type { Controller, ControllerEvent, EndpointView, NetworkRecord } from '@tsnet/libnetwork';
import type { Subscription } from 'rxjs';

/**
 * The glue between libnetwork and the embedded DNS server (the two never import each other).
 * Records follow the controller's events alone: every endpoint joined to a network with embedded
 * DNS is a holder in that network's scope, named by container name, aliases, 12-char id and
 * `name.network` (PTR answers `name.network`, as Docker). Listeners are opened explicitly by the
 * container service (`attach`) before a container starts, so its first query already has an
 * answer; their scopes follow the sandbox's networks live.
 *
 * `--link target:alias` on a user-defined network is, as in Docker, a DNS alias only the linking
 * container sees: each such sandbox has a private scope (`links/<sandbox id>`) holding its aliases
 * with the target's current addresses on the shared network, added to its listener's scopes.
 */
export class DnsGlue {
  readonly table = new RecordTable();
  readonly server = new DnsServer({ table: this.table });
  readonly #controller: Controller;
  readonly #listeners = new Map<string, DnsListener>();
  readonly #pending = new Map<string, Promise<void>>();
  /** sandbox id → network ids (with embedded DNS) it is joined to. */
  readonly #scopes = new Map<string, Set<string>>();
  /** Sandboxes that currently have a private scope of link aliases. */
  readonly #linkScopes = new Set<string>();
  #subscription: Subscription | undefined;
  readonly #log: (m: string) => void;

  constructor(controller: Controller, log: (m: string) => void = () => {}) {
    this.#controller = controller;
    this.#log = log;
  }

  /** Loads the current endpoints, then follows the event stream. */
  start(): void {
    for (const view of this.#controller.endpointViews()) this.#join(view);
    this.#refreshLinks();
    this.#subscription = this.#controller.events.subscribe((e) => this.#onEvent(e));
  }

  #onEvent(e: ControllerEvent): void {
    try {
      if (e.type === 'endpoint.join') {
        this.#join(e);
        this.#refreshLinks();
      } else if (e.type === 'endpoint.leave') {
        this.#leave(e);
        this.#refreshLinks();
      }
      else if (e.type === 'network.delete') this.table.removeScope(e.network.id);
      else if (e.type === 'sandbox.delete') void this.detach(e.sandbox.id);
    } catch (error) {
      this.#log(`dns: ${e.type}: ${(error as Error).message}`);
    }
  }

  #join({ network, endpoint, sandbox }: EndpointView): void {
    if (!network.embeddedDns) return;
    const name = endpoint.name || sandbox.containerName;
    const names = [...new Set([name, ...endpoint.aliases, sandbox.containerId.slice(0, 12)].filter(Boolean))];
    if (name) names.push(`${name}.${network.name}`);
    const addresses = [endpoint.ipv4, endpoint.ipv6].filter(Boolean);
    if (addresses.length > 0 && names.length > 0) {
      this.table.setHolder(network.id, endpoint.id, { names, addresses, ...(name ? { ptrName: `${name}.${network.name}` } : {}) });
    }
    const set = this.#scopes.get(sandbox.id) ?? new Set<string>();
    set.add(network.id);
    this.#scopes.set(sandbox.id, set);
    this.#listeners.get(sandbox.id)?.setScopes(this.#scopesOf(sandbox.id));
  }

  /** What a sandbox's listener may see: its networks, plus its own link aliases. */
  #scopesOf(sandboxId: string): string[] {
    const nets = [...(this.#scopes.get(sandboxId) ?? [])];
    return this.#linkScopes.has(sandboxId) ? [...nets, linkScope(sandboxId)] : nets;
  }

  /**
   * Rebuilds the link-alias scopes from the controller's endpoints (cheap: skipped while no
   * endpoint has links). A target that left or was re-addressed is reflected at once.
   */
  #refreshLinks(): void {
    const endpoints = this.#controller.endpoints();
    if (this.#linkScopes.size === 0 && !endpoints.some((e) => e.links.length > 0)) return;
    const networks = new Map<string, NetworkRecord>(this.#controller.networks().map((n) => [n.id, n]));
    const owners = new Map(this.#controller.sandboxes().map((sb) => [sb.id, sb.record.containerId]));
    const wanted = new Map<string, HolderRecord[]>();
    for (const e of endpoints) {
      const network = networks.get(e.networkId);
      if (e.links.length === 0 || !network || network.predefined || network.driver === 'host' || network.driver === 'null') continue;
      for (const link of e.links) {
        const target = endpoints.find((t) => t.networkId === e.networkId && (t.name === link.container || owners.get(t.sandboxId) === link.container));
        const addresses = target ? [target.ipv4, target.ipv6].filter(Boolean).map((a) => a.split('/')[0]!) : [];
        if (addresses.length === 0) continue;
        const list = wanted.get(e.sandboxId) ?? [];
        list.push({ names: [link.alias], addresses, ptrName: null });
        wanted.set(e.sandboxId, list);
      }
    }
    for (const sandboxId of new Set([...this.#linkScopes, ...wanted.keys()])) {
      this.table.removeScope(linkScope(sandboxId));
      const records = wanted.get(sandboxId) ?? [];
      records.forEach((r, i) => this.table.setHolder(linkScope(sandboxId), `link${i}`, r));
      if (records.length) this.#linkScopes.add(sandboxId);
      else this.#linkScopes.delete(sandboxId);
      this.#listeners.get(sandboxId)?.setScopes(this.#scopesOf(sandboxId));
    }
  }

  #leave({ network, endpoint, sandbox }: EndpointView): void {
    if (!network.embeddedDns) return;
    this.table.removeHolder(network.id, endpoint.id);
    const set = this.#scopes.get(sandbox.id);
    set?.delete(network.id);
    this.#listeners.get(sandbox.id)?.setScopes(this.#scopesOf(sandbox.id));
  }

  /** Opens the sandbox's listener at 127.0.0.11 if it is on a network with embedded DNS. */
  attach(sandboxId: string): Promise<void> {
    const scopes = this.#scopes.get(sandboxId);
    if (!scopes || scopes.size === 0 || this.#listeners.has(sandboxId)) return Promise.resolve();
    const pending = this.#pending.get(sandboxId);
    if (pending) return pending;
    const run = (async () => {
      const sandbox = this.#controller.sandbox(sandboxId);
      if (sandbox.record.mode !== 'private') return;
      const sockets = await sandbox.enableEmbeddedResolver();
      const listener = await this.server.listen({
        udpFd: sockets.udpFd,
        tcpFd: sockets.tcpFd,
        scopes: this.#scopesOf(sandboxId),
        upstreams: sockets.upstreams.map((address) => ({ address })),
      });
      this.#listeners.set(sandboxId, listener);
    })().finally(() => this.#pending.delete(sandboxId));
    this.#pending.set(sandboxId, run);
    return run;
  }

  async detach(sandboxId: string): Promise<void> {
    this.#scopes.delete(sandboxId);
    if (this.#linkScopes.delete(sandboxId)) this.table.removeScope(linkScope(sandboxId));
    const listener = this.#listeners.get(sandboxId);
    this.#listeners.delete(sandboxId);
    await listener?.close().catch(() => undefined);
  }

  hasListener(sandboxId: string): boolean {
    return this.#listeners.has(sandboxId);
  }

  async close(): Promise<void> {
    this.#subscription?.unsubscribe();
    await this.server.close();
    this.#listeners.clear();
  }
}

const linkScope = (sandboxId: string): string => `links/${sandboxId}`;
