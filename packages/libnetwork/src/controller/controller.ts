import { Subject, type Observable } from 'rxjs';
import { runAll, unavailable } from '@tsnet/errors';
import type { Store } from '@tsnet/store';
import type { Driver, DriverContext } from '../drivers/types.js';
import type { Firewall } from '../firewall/types.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../model/types.js';
import type { Kernel } from '../system/types.js';
import { type ControllerConfig, type ControllerConfigInput, loadControllerConfig } from './config.js';
import { type Core, endpointEvent, networkEvent, sandboxEvent } from './core.js';
import { connect, disconnect, type ConnectOptions, removeEndpoint } from './endpoints.js';
import type { ControllerEvent, EndpointView } from './events.js';
import { desiredFirewallState } from './firewall-state.js';
import { inspectNetwork, type NetworkInspect } from './inspect.js';
import type { IpamLike } from './ipam.js';
import { findNetwork, findSandbox } from './lookup.js';
import { createNetwork, deleteNetwork, pruneNetworks, type CreateNetworkOptions } from './networks.js';
import { MemoryPortReserver, PortBook, type PortReserverLike } from './ports.js';
import { ensurePredefined } from './predefined.js';
import { LinkReaper } from './reaper.js';
import { restore } from './restore.js';
import { createSandbox, releaseSandbox, type CreateSandboxOptions } from './sandboxes.js';
import { Sandbox } from './sandbox.js';

export interface ControllerOptions {
  store: Store;
  ipam: IpamLike;
  drivers: Driver[];
  firewall: Firewall;
  /** The namespace acting as the host (tests: a fresh test namespace); default the process's own. */
  hostNsPath?: string;
  /** Per-sandbox files live in `<dataDir>/sandboxes/<id>/`. */
  dataDir: string;
  config?: ControllerConfigInput;
  /** The kernel layer; default the real one (netns addon + netlink + sysctl) targeting hostNsPath. */
  kernel?: Kernel;
  /** Holds published host ports; default portmapper's PortReserver in hostNsPath. */
  portReserver?: PortReserverLike;
  log?: (message: string) => void;
}

/**
 * The CNM controller: owns drivers, networks, endpoints and sandboxes, persists every object,
 * and emits an event per committed change. Built explicitly (no registries); `start()` restores
 * from the store and reconciles the kernel before anything else may run. Mutations are serialised:
 * each is a few milliseconds, and one at a time keeps intents, ipam and the firewall state simple.
 */
export class Controller {
  readonly config: ControllerConfig;
  readonly #core: Core;
  readonly #log: (message: string) => void;
  readonly #kernelFactory: (() => Promise<Kernel>) | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #started = false;

  constructor(opts: ControllerOptions) {
    this.config = loadControllerConfig(opts.config);
    this.#log = opts.log ?? (() => {});
    const drivers = new Map(opts.drivers.map((d) => [d.name, d]));
    this.#kernelFactory = opts.kernel ? undefined : async () => (await import('../system/real.js')).realKernel(opts.hostNsPath);
    this.#core = {
      store: opts.store,
      ipam: opts.ipam,
      firewall: opts.firewall,
      kernel: opts.kernel as Kernel,
      config: this.config,
      drivers,
      hostNsPath: opts.hostNsPath,
      dataDir: opts.dataDir,
      networks: new Map(),
      endpoints: new Map(),
      sandboxes: new Map(),
      events: new Subject<ControllerEvent>(),
      ports: new PortBook(opts.portReserver ?? new MemoryPortReserver()),
      ctx: undefined as unknown as DriverContext,
      reaper: undefined as unknown as LinkReaper,
    };
    this.#defaultReserver = opts.portReserver === undefined;
  }

  readonly #defaultReserver: boolean;

  /** Every committed change, in order. Hot: subscribe before acting to see your own changes. */
  get events(): Observable<ControllerEvent> {
    return this.#core.events.asObservable();
  }

  /** Restores from the store, completes or rolls back interrupted operations, reconciles the kernel. */
  async start(): Promise<void> {
    await this.#serial(async () => {
      const core = this.#core as { -readonly [K in keyof Core]: Core[K] };
      if (this.#kernelFactory) core.kernel = await this.#kernelFactory();
      if (this.#defaultReserver && this.#kernelFactory) {
        const { defaultPortReserver } = await import('../system/real.js');
        core.ports = new PortBook(defaultPortReserver(core.hostNsPath, { dualStack: core.config.userlandProxy }));
      }
      const host = await core.kernel.ns(core.hostNsPath);
      const reaper = new LinkReaper(core.kernel, core.hostNsPath, this.#log);
      core.reaper = reaper;
      core.ctx = {
        hostNsPath: core.hostNsPath,
        kernel: core.kernel,
        host,
        config: this.config,
        firewallBackend: this.config.iptables ? core.firewall.backend : 'none',
        retireLink: (name) => reaper.retire(host, name),
      };
      await restore(core, this.#log);
      await ensurePredefined(core, this.#log);
      this.#started = true;
    });
  }

  /** Stops serving (live restore: the kernel state stays for the next start). */
  async stop(): Promise<void> {
    await this.#serial(async () => {
      this.#core.ports.releaseAll();
      await this.#core.reaper?.drain();
      this.#started = false;
    });
    this.#core.events.complete();
  }

  // --- networks -------------------------------------------------------------------------------

  createNetwork(opts: CreateNetworkOptions): Promise<NetworkRecord> {
    return this.#mutate(() => createNetwork(this.#core, { ...opts, predefined: false }));
  }

  deleteNetwork(ref: string): Promise<NetworkRecord> {
    return this.#mutate(() => deleteNetwork(this.#core, ref));
  }

  pruneNetworks(filter?: { labels?: Record<string, string | undefined> }): Promise<string[]> {
    return this.#mutate(() => pruneNetworks(this.#core, filter));
  }

  /** By name, full id or unique id prefix (ERR_NETWORK_AMBIGUOUS / ERR_NETWORK_NOT_FOUND). */
  network(ref: string): NetworkRecord {
    return findNetwork(this.#core.networks.values(), ref);
  }

  networks(): NetworkRecord[] {
    return [...this.#core.networks.values()].sort((a, b) => a.created.localeCompare(b.created));
  }

  inspectNetwork(ref: string): NetworkInspect {
    return inspectNetwork(this.#core, this.network(ref));
  }

  // --- sandboxes and endpoints ----------------------------------------------------------------

  async createSandbox(opts: CreateSandboxOptions): Promise<Sandbox> {
    const record = await this.#mutate(() => createSandbox(this.#core, opts));
    return new Sandbox(this, this.#core, record.id);
  }

  /** A sandbox by id, unique id prefix, or the id/name of a container using it. */
  sandbox(ref: string): Sandbox {
    return new Sandbox(this, this.#core, findSandbox(this.#core.sandboxes.values(), ref).id);
  }

  sandboxes(): Sandbox[] {
    return [...this.#core.sandboxes.keys()].map((id) => new Sandbox(this, this.#core, id));
  }

  /**
   * A container stops using its sandbox. The last user removes it: every endpoint is disconnected,
   * the namespace and files go. Returns true when the sandbox was removed.
   */
  deleteSandbox(ref: string, containerId?: string): Promise<boolean> {
    return this.#mutate(async () => {
      const record = findSandbox(this.#core.sandboxes.values(), ref);
      return releaseSandbox(this.#core, record, containerId, async (sb: SandboxRecord) => {
        for (const id of [...sb.endpoints].reverse()) {
          const ep = this.#core.endpoints.get(id);
          if (ep) await removeEndpoint(this.#core, ep);
        }
      });
    });
  }

  connect(networkRef: string, sandboxRef: string, opts?: ConnectOptions): Promise<EndpointRecord> {
    return this.#mutate(() => connect(this.#core, networkRef, sandboxRef, opts));
  }

  disconnect(networkRef: string, sandboxRef: string): Promise<EndpointRecord> {
    return this.#mutate(() => disconnect(this.#core, networkRef, sandboxRef));
  }

  endpoints(): EndpointRecord[] {
    return [...this.#core.endpoints.values()];
  }

  /** Every endpoint with its network and sandbox: what the DNS glue starts from before following events. */
  endpointViews(): EndpointView[] {
    const out: EndpointView[] = [];
    for (const e of this.#core.endpoints.values()) {
      const network = this.#core.networks.get(e.networkId);
      const sandbox = this.#core.sandboxes.get(e.sandboxId);
      if (network && sandbox) out.push({ network: networkEvent(network), endpoint: endpointEvent(e), sandbox: sandboxEvent(sandbox) });
    }
    return out;
  }

  /** The firewall state the controller wants (for `tsnet debug` and drift checks). */
  firewallState() {
    return desiredFirewallState(this.#core);
  }

  /**
   * Resolves once links retired by earlier operations are deleted from the kernel (disconnect and
   * network delete return when the link is out of service; its deletion finishes in the background).
   */
  settle(): Promise<void> {
    return this.#core.reaper.drain();
  }

  /** Test and lab helper: removes every sandbox and user network, then the firewall rules. */
  async destroyAll(): Promise<void> {
    // Best effort: every step runs, and every failure is reported together at the end.
    await runAll('destroying the network state', [
      // A shared sandbox goes when its last user does: release it for each of them.
      ...this.sandboxes().flatMap((sb) => [sb.record.containerId, ...sb.record.sharers].map((user) => () => this.deleteSandbox(sb.id, user))),
      ...this.networks()
        .filter((n) => n.name !== 'host' && n.name !== 'none')
        .map((n) => () => this.#mutate(() => deleteNetwork(this.#core, n.id, { force: true }))),
      () => (this.config.iptables ? this.#mutate(() => this.#core.firewall.teardown()) : undefined),
      () => this.#core.reaper.drain(),
    ]);
  }

  /** @internal Runs a mutation of the sandbox handle under the controller's queue. */
  mutate<T>(fn: () => Promise<T>): Promise<T> {
    return this.#mutate(fn);
  }

  #mutate<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.#started) return Promise.reject(unavailable('ERR_CONTROLLER_NOT_STARTED', 'the network controller is not started'));
    return this.#serial(fn);
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
