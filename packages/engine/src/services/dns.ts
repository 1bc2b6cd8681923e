import { DnsServer, RecordTable, type DnsListener } from '@tsnet/dns';
import type { Controller, ControllerEvent, EndpointView } from '@tsnet/libnetwork';
import type { Subscription } from 'rxjs';

/**
 * The glue between libnetwork and the embedded DNS server (the two never import each other).
 * Records follow the controller's events alone: every endpoint joined to a network with embedded
 * DNS is a holder in that network's scope, named by container name, aliases, 12-char id and
 * `name.network` (PTR answers `name.network`, as Docker). Listeners are opened explicitly by the
 * container service (`attach`) before a container starts, so its first query already has an
 * answer; their scopes follow the sandbox's networks live.
 */
export class DnsGlue {
  readonly table = new RecordTable();
  readonly server = new DnsServer({ table: this.table });
  readonly #controller: Controller;
  readonly #listeners = new Map<string, DnsListener>();
  readonly #pending = new Map<string, Promise<void>>();
  /** sandbox id → network ids (with embedded DNS) it is joined to. */
  readonly #scopes = new Map<string, Set<string>>();
  #subscription: Subscription | undefined;
  readonly #log: (m: string) => void;

  constructor(controller: Controller, log: (m: string) => void = () => {}) {
    this.#controller = controller;
    this.#log = log;
  }

  /** Loads the current endpoints, then follows the event stream. */
  start(): void {
    for (const view of this.#controller.endpointViews()) this.#join(view);
    this.#subscription = this.#controller.events.subscribe((e) => this.#onEvent(e));
  }

  #onEvent(e: ControllerEvent): void {
    try {
      if (e.type === 'endpoint.join') this.#join(e);
      else if (e.type === 'endpoint.leave') this.#leave(e);
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
    this.#listeners.get(sandbox.id)?.setScopes([...set]);
  }

  #leave({ network, endpoint, sandbox }: EndpointView): void {
    if (!network.embeddedDns) return;
    this.table.removeHolder(network.id, endpoint.id);
    const set = this.#scopes.get(sandbox.id);
    set?.delete(network.id);
    this.#listeners.get(sandbox.id)?.setScopes([...(set ?? [])]);
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
        scopes: [...(this.#scopes.get(sandboxId) ?? [])],
        upstreams: sockets.upstreams.map((address) => ({ address })),
      });
      this.#listeners.set(sandboxId, listener);
    })().finally(() => this.#pending.delete(sandboxId));
    this.#pending.set(sandboxId, run);
    return run;
  }

  async detach(sandboxId: string): Promise<void> {
    this.#scopes.delete(sandboxId);
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
