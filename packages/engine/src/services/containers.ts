import { randomBytes } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import { conflict, forbidden, invalid, notFound, runAll } from '@tsnet/errors';
import type { Controller, Sandbox } from '@tsnet/libnetwork';
import type { Store } from '@tsnet/store';
import { MountPlan, type PreparedMounts, type VolumeService } from '@tsnet/volumes';
import type { ImageStore } from '../images/index.js';
import type { ContainerState, Runtime } from '../runtime/index.js';
import { buildContainer, type BuildDeps } from './container-build.js';
import { createBodySchema, type ContainerRecord } from './container-types.js';
import { generateName, parseContainerName, parseNetworkMode } from './container-create.js';
import type { DnsGlue } from './dns.js';
import type { EventBus } from './events.js';
import { connectEndpoint } from './network-join.js';
import { networkDown, networkUp, portsOf, type NetDeps } from './container-network.js';
import { restartDelayMs, shouldRestart, shouldRestartAtBoot } from './restart-policy.js';

const PREFIX = '/engine/containers/';

/** `--stop-timeout` (Config.StopTimeout), when the container was given one. */
const stopTimeoutOf = (r: ContainerRecord): number | undefined => (typeof r.config.StopTimeout === 'number' ? r.config.StopTimeout : undefined);

export interface ContainerServiceOptions {
  store: Store;
  controller: Controller;
  runtime: Runtime;
  images: ImageStore;
  volumes: VolumeService;
  dns: DnsGlue;
  events: EventBus;
  defaultShmSize: number;
  log?: (m: string) => void;
}

/**
 * Containers: the glue that makes one from an image, a sandbox (libnetwork), mounts (volumes),
 * DNS and a runc bundle (runtime). Records persist in the store; runtime state comes from the
 * runtime (which adopts running containers after a restart). As in Docker, the sandbox (addresses,
 * host ports, DNS names) lives from start to stop/exit: a stopped container holds none of them.
 */
export class ContainerService {
  readonly #o: ContainerServiceOptions;
  readonly #records = new Map<string, ContainerRecord>();
  readonly #prepared = new Map<string, PreparedMounts>();
  readonly #removing = new Map<string, Promise<void>>();
  readonly #removedWaiters = new Map<string, Set<() => void>>();
  readonly #log: (m: string) => void;

  constructor(options: ContainerServiceOptions) {
    this.#o = options;
    this.#log = options.log ?? (() => {});
  }

  /**
   * Loads records, drops those whose bundle vanished, releases the network of every container that
   * is not running (it exited while no daemon watched, or a crash interrupted its start), removes
   * sandboxes nobody running owns, reattaches DNS, follows runtime exits.
   */
  async open(): Promise<void> {
    for (const entry of await this.#o.store.list(PREFIX)) {
      const record = JSON.parse(entry.value) as ContainerRecord;
      if (!this.#o.runtime.has(record.id)) {
        this.#log(`container ${record.id.slice(0, 12)}: bundle missing, cleaning up its record`);
        await this.#releaseResources(record, false).catch((e: unknown) => this.#log(String(e)));
        await this.#o.store.delete(PREFIX + record.id);
        continue;
      }
      this.#records.set(record.id, record);
    }
    await this.#sweepOrphans();
    await this.#o.volumes.retainRefs(this.#records.keys());
    for (const r of this.#records.values()) {
      if (r.sandboxId) await this.#o.dns.attach(r.sandboxId).catch((e: unknown) => this.#log(`dns attach ${r.id.slice(0, 12)}: ${String(e)}`));
    }
    // `--rm` containers that exited while no daemon was watching go now, as dockerd does at start.
    for (const r of [...this.#records.values()]) {
      if (r.autoRemove && this.#o.runtime.state(r.id).status === 'exited') await this.remove(r.id, { force: true, volumes: true }).catch((e: unknown) => this.#log(String(e)));
    }
    this.#o.runtime.events.subscribe((e) => {
      if (e.type !== 'exit') return;
      const r = this.#records.get(e.id);
      if (!r) return;
      this.#o.events.emit('container', 'die', r.id, { ...this.#attrs(r), exitCode: String(e.exitCode) });
      void this.#afterExit(r.id, e.exitCode);
    });
    // Restart policies at daemon start: what was running (or exited on failure) comes back.
    for (const r of this.records()) {
      const st = this.#o.runtime.state(r.id);
      if (st.status !== 'exited' || r.autoRemove || !shouldRestartAtBoot(r, st.exitCode)) continue;
      // A fresh restart manager, as dockerd's at boot: `always` keeps restarting even if it was stopped by hand.
      Object.assign(r, { manuallyStopped: false, restartCount: 0 });
      await this.#locked(r.id, () => this.#start(r)).catch((e: unknown) => this.#log(`restart ${r.id.slice(0, 12)}: ${String(e)}`));
    }
  }

  /** A process that ended (by itself or by stop/kill) gives its network back; `--rm` removes it. */
  async #afterExit(id: string, exitCode: number): Promise<void> {
    await this.#locked(id, async () => {
      const r = this.#records.get(id);
      if (r && this.#o.runtime.has(id) && this.#o.runtime.state(id).status !== 'running') await this.#releaseNetwork(r);
    }).catch((e: unknown) => this.#log(`release network of ${id.slice(0, 12)}: ${String(e)}`));
    const r = this.#records.get(id);
    if (r?.autoRemove) await this.#autoRemove(id);
    else if (r && !this.#shuttingDown && shouldRestart(r, exitCode)) this.#scheduleRestart(r);
  }

  #shuttingDown = false;

  /** The restart policy's next try, after moby's back-off; skipped if stopped or removed meanwhile. */
  #scheduleRestart(r: ContainerRecord): void {
    const count = r.restartCount ?? 0;
    const timer = setTimeout(() => {
      void this.#locked(r.id, async () => {
        if (!this.#records.has(r.id) || this.#shuttingDown || r.manuallyStopped || this.#o.runtime.state(r.id).status === 'running') return;
        r.restartCount = count + 1;
        this.#o.events.emit('container', 'restart', r.id, this.#attrs(r));
        await this.#start(r);
      }).catch((e: unknown) => this.#log(`restart ${r.id.slice(0, 12)}: ${String(e)}`));
    }, restartDelayMs(count));
    timer.unref();
  }

  /**
   * No running container, no sandbox (Docker's rule since the network lives from start to stop):
   * sandboxes of containers that are not running, or that have no record (a create or start cut
   * short by a crash), go with their endpoints, ports and rules.
   */
  async #sweepOrphans(): Promise<void> {
    for (const st of this.#o.runtime.list()) {
      if (this.#records.has(st.id)) continue;
      this.#log(`container ${st.id.slice(0, 12)}: no record (interrupted create), removing its bundle`);
      await this.#o.runtime.delete(st.id, { force: true }).catch((e: unknown) => this.#log(String(e)));
    }
    const running = (id: string) => this.#records.has(id) && this.#o.runtime.state(id).status === 'running';
    for (const r of this.#records.values()) {
      if (!r.sandboxId || running(r.id)) continue;
      this.#log(`container ${r.id.slice(0, 12)}: not running, releasing its network`);
      await this.#releaseNetwork(r).catch((e: unknown) => this.#log(String(e)));
    }
    for (const sb of this.#o.controller.sandboxes()) {
      const users = [sb.record.containerId, ...sb.record.sharers];
      for (const user of users.filter((u) => !running(u))) {
        this.#log(`sandbox ${sb.id.slice(0, 12)}: container ${user.slice(0, 12)} is not running, releasing it`);
        await this.#o.controller.deleteSandbox(sb.id, user).catch((e: unknown) => this.#log(String(e)));
      }
    }
  }

  readonly #locks = new Map<string, Promise<unknown>>();

  /** Start, stop, exit handling and connect of one container run one at a time. */
  #locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.#locks.set(id, tail);
    void tail.then(() => {
      if (this.#locks.get(id) === tail) this.#locks.delete(id);
    });
    return next;
  }

  #netDeps(): NetDeps {
    return { controller: this.#o.controller, runtime: this.#o.runtime, dns: this.#o.dns, find: (ref) => this.find(ref), log: this.#log };
  }

  /** Releases the container's sandbox (if any) and persists that it has none. */
  async #releaseNetwork(r: ContainerRecord): Promise<void> {
    if (!r.sandboxId) return;
    await networkDown(this.#netDeps(), r);
    if (this.#records.has(r.id)) await this.#o.store.put(PREFIX + r.id, JSON.stringify(r));
  }

  readonly #outputHolds = new Map<string, Set<Promise<unknown>>>();

  /** An attach stream still reading the container's output: `--rm` waits for it (at most 10 s). */
  holdOutput(id: string, reading: Promise<unknown>): void {
    const set = this.#outputHolds.get(id) ?? new Set();
    set.add(reading);
    this.#outputHolds.set(id, set);
    void reading.finally(() => set.delete(reading)).catch(() => undefined);
  }

  async #autoRemove(id: string): Promise<void> {
    const holds = [...(this.#outputHolds.get(id) ?? [])];
    if (holds.length) await Promise.race([Promise.allSettled(holds), new Promise((r) => setTimeout(r, 10_000))]);
    await this.remove(id, { force: true, volumes: true }).catch((err: unknown) => this.#log(`auto-remove ${id.slice(0, 12)}: ${String(err)}`));
  }

  #attrs(r: ContainerRecord): Record<string, string> {
    return { name: r.name, image: r.image, ...r.labels };
  }

  records(): ContainerRecord[] {
    return [...this.#records.values()].sort((a, b) => a.created.localeCompare(b.created));
  }

  /** By full id, name (with or without '/'), or unique id prefix — Docker's lookup order. */
  find(ref: string): ContainerRecord {
    const name = ref.replace(/^\//, '');
    const exact = this.#records.get(ref) ?? [...this.#records.values()].find((r) => r.name === name);
    if (exact) return exact;
    const byPrefix = /^[0-9a-f]+$/.test(ref) ? [...this.#records.values()].filter((r) => r.id.startsWith(ref)) : [];
    if (byPrefix.length === 1) return byPrefix[0]!;
    if (byPrefix.length > 1) throw invalid('ERR_CONTAINER_AMBIGUOUS', `multiple IDs found with provided prefix: ${ref}`);
    throw notFound('ERR_CONTAINER_NOT_FOUND', `No such container: ${ref}`, { details: { ref } });
  }

  state(id: string): ContainerState {
    return this.#o.runtime.state(id);
  }

  sandboxOf(record: ContainerRecord): Sandbox | undefined {
    try {
      return this.#o.controller.sandbox(record.sandboxId);
    } catch {
      return undefined;
    }
  }

  /** `POST /containers/create`: validates everything, then builds; any failure undoes it all. */
  async create(name: string | undefined, rawBody: unknown): Promise<{ Id: string; Warnings: string[] }> {
    const parsed = createBodySchema.safeParse(rawBody ?? {});
    if (!parsed.success) throw invalid('ERR_CONTAINER_CONFIG', `invalid container config: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const body = parsed.data;
    const finalName = name !== undefined && name !== '' ? parseContainerName(name) : this.#freshName();
    const holder = [...this.#records.values()].find((r) => r.name === finalName);
    if (this.#pendingNames.has(finalName)) throw conflict('ERR_CONTAINER_NAME_IN_USE', `Conflict. The container name "/${finalName}" is being created by another request.`);
    if (holder) {
      throw conflict('ERR_CONTAINER_NAME_IN_USE', `Conflict. The container name "/${finalName}" is already in use by container "${holder.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    const id = randomBytes(32).toString('hex');
    const deps: BuildDeps = { ...this.#o, find: (ref) => this.find(ref), log: this.#log };
    // The name is taken from here on: two concurrent creates must not both pass the check above.
    this.#pendingNames.add(finalName);
    const built = await buildContainer(deps, id, finalName, body).finally(() => this.#pendingNames.delete(finalName));
    const { record, prepared } = built;
    this.#prepared.set(id, prepared);
    this.#records.set(id, record);
    try {
      await this.#o.store.put(PREFIX + id, JSON.stringify(record));
    } catch (error) {
      this.#records.delete(id);
      await this.#releaseResources(record, true).catch(() => undefined);
      throw error;
    }
    this.#o.events.emit('container', 'create', id, this.#attrs(record));
    return { Id: id, Warnings: [] };
  }

  #freshName(): string {
    for (let i = 0; ; i++) {
      const n = generateName(i);
      if (!this.#pendingNames.has(n) && ![...this.#records.values()].some((r) => r.name === n)) return n;
    }
  }

  async save(record: ContainerRecord): Promise<void> {
    this.#records.set(record.id, record);
    await this.#o.store.put(PREFIX + record.id, JSON.stringify(record));
  }

  #saving: Promise<unknown> = Promise.resolve();

  /**
   * Persists a record behind the answer: the controller already committed the endpoint itself, the
   * record only keeps what was asked (IPAMConfig, aliases for inspect). Writes stay in order.
   */
  #saveLater(r: ContainerRecord): void {
    this.#saving = this.#saving.then(() => (this.#records.has(r.id) ? this.#o.store.put(PREFIX + r.id, JSON.stringify(r)) : undefined)).catch((e: unknown) => this.#log(`save ${r.id.slice(0, 12)}: ${String(e)}`));
  }

  /**
   * `docker start`: mounts, then the network (sandbox, endpoints, ports, DNS — Docker's
   * initializeNetworking), then the process. A failure gives the network back and leaves the
   * reason in State.Error; an `--rm` container is then removed, as dockerd does.
   */
  async start(ref: string): Promise<'started' | 'already'> {
    const r = this.find(ref);
    r.manuallyStopped = false;
    r.restartCount = 0;
    try {
      return await this.#locked(r.id, () => this.#start(r));
    } catch (error) {
      if (r.autoRemove && this.#records.has(r.id)) await this.remove(r.id, { force: true, volumes: true }).catch((e: unknown) => this.#log(`auto-remove ${r.id.slice(0, 12)}: ${String(e)}`));
      throw error;
    }
  }

  async #start(r: ContainerRecord): Promise<'started' | 'already'> {
    if (this.#o.runtime.state(r.id).status === 'running') return 'already';
    try {
      if (!this.#prepared.has(r.id)) {
        const image = this.#o.images.get(r.imageId);
        this.#prepared.set(r.id, await MountPlan.restore(r.mountPlan).prepare(this.#o.volumes, { imageRootfs: image.rootfsPath }));
      }
      await this.#releaseNetwork(r); // a sandbox left by an exit not yet handled
      await networkUp(this.#netDeps(), r);
      delete r.startError;
      await this.save(r);
      await this.#o.runtime.start(r.id);
    } catch (error) {
      await this.#releaseNetwork(r).catch((e: unknown) => this.#log(`release network of ${r.id.slice(0, 12)}: ${String(e)}`));
      r.startError = (error as Error).message;
      if (this.#records.has(r.id)) await this.save(r).catch(() => undefined);
      throw error;
    }
    this.#o.events.emit('container', 'start', r.id, this.#attrs(r));
    return 'started';
  }

  async stop(ref: string, timeoutSeconds?: number, signal?: string): Promise<'stopped' | 'already'> {
    const r = this.find(ref);
    // Also between two tries of a restart policy: the pending restart is cancelled (moby's rm.Cancel).
    if (!r.manuallyStopped) {
      r.manuallyStopped = true;
      this.#saveLater(r);
    }
    if (this.#o.runtime.state(r.id).status !== 'running') return 'already';
    const timeout = timeoutSeconds ?? stopTimeoutOf(r);
    await this.#locked(r.id, async () => {
      await this.#o.runtime.stop(r.id, { ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}), ...(signal ? { signal } : {}) });
      if (this.#o.runtime.state(r.id).status !== 'running') await this.#releaseNetwork(r);
    });
    this.#o.events.emit('container', 'stop', r.id, this.#attrs(r));
    return 'stopped';
  }

  async kill(ref: string, signal?: string): Promise<void> {
    const r = this.find(ref);
    // dockerd's killWithSignal marks the container manually stopped: no restart policy after it.
    r.manuallyStopped = true;
    await this.#o.runtime.kill(r.id, signal || 'SIGKILL');
    this.#saveLater(r);
    this.#o.events.emit('container', 'kill', r.id, { ...this.#attrs(r), signal: signal || 'SIGKILL' });
  }

  /** `POST /containers/{id}/wait`: `ready` resolves once the waiter is registered (headers may go). */
  wait(ref: string, condition: 'not-running' | 'next-exit' | 'removed', signal: AbortSignal): { ready: Promise<void>; done: Promise<{ StatusCode: number; Error: { Message: string } | null }> } {
    const r = this.find(ref);
    const result = () => {
      const st = this.#o.runtime.has(r.id) ? this.#o.runtime.state(r.id) : undefined;
      return { StatusCode: st?.exitCode ?? this.#lastExit.get(r.id) ?? 0, Error: st?.error ? { Message: st.error } : null };
    };
    if (condition === 'removed') {
      let resolve!: () => void;
      const removed = new Promise<void>((res) => (resolve = res));
      const set = this.#removedWaiters.get(r.id) ?? new Set();
      set.add(resolve);
      this.#removedWaiters.set(r.id, set);
      const onAbort = () => set.delete(resolve);
      signal.addEventListener('abort', onAbort, { once: true });
      return { ready: Promise.resolve(), done: removed.then(() => ({ StatusCode: this.#lastExit.get(r.id) ?? 0, Error: null })) };
    }
    const done = this.#o.runtime.wait(r.id, { condition, signal }).then(() => result());
    return { ready: Promise.resolve(), done };
  }

  readonly #lastExit = new Map<string, number>();
  readonly #pendingNames = new Set<string>();

  /** `DELETE /containers/{id}?force&v`: the bundle, the network, the volume references. */
  remove(ref: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const r = this.find(ref);
    const running = this.#removing.get(r.id);
    if (running) return running;
    const st = this.#o.runtime.state(r.id);
    if (st.status === 'running' && !opts.force) {
      return Promise.reject(conflict('ERR_CONTAINER_RUNNING', `cannot remove container "/${r.name}": container is running: stop the container before removing or force remove`));
    }
    const sharers = [...this.#records.values()].filter((o) => o.id !== r.id && o.networkMode === `container:${r.id}` && this.#o.runtime.state(o.id).status === 'running');
    if (sharers.length > 0 && !opts.force) {
      return Promise.reject(conflict('ERR_CONTAINER_IN_USE', `cannot remove container "/${r.name}": its network namespace is used by ${sharers.map((s) => s.name).join(', ')}`));
    }
    // Under the container's lock: an exit being handled must not write the record back after rm.
    const run = this.#locked(r.id, async () => {
      this.#lastExit.set(r.id, st.exitCode);
      await this.#o.runtime.delete(r.id, { force: true });
      await this.#releaseResources(r, opts.volumes ?? false);
      this.#records.delete(r.id);
      await this.#saving; // a queued save must not bring the record back
      await this.#o.store.delete(PREFIX + r.id);
      this.#o.events.emit('container', 'destroy', r.id, this.#attrs(r));
      for (const w of this.#removedWaiters.get(r.id) ?? []) w();
      this.#removedWaiters.delete(r.id);
    }).finally(() => this.#removing.delete(r.id));
    this.#removing.set(r.id, run);
    return run;
  }

  /** Network, mounts and volume references of a container; every step runs even if one fails. */
  async #releaseResources(r: ContainerRecord, removeAnonymous: boolean): Promise<void> {
    const prepared = this.#prepared.get(r.id);
    this.#prepared.delete(r.id);
    await runAll(`release container ${r.id.slice(0, 12)}`, [
      () => networkDown(this.#netDeps(), r),
      () => prepared?.release(),
      () => MountPlan.restore(r.mountPlan).unregister(this.#o.volumes, { removeAnonymous }),
    ]);
  }

  /**
   * `POST /networks/{id}/connect`. A running container joins at once; a created or stopped one
   * only has it recorded and joins at its next start (Docker allows both).
   */
  async connect(networkRef: string, containerRef: string, opts: { aliases?: string[]; ipv4Address?: string; ipv6Address?: string; links?: string[] }): Promise<void> {
    const r = this.find(containerRef);
    const network = this.#o.controller.network(networkRef);
    const req = { aliases: opts.aliases ?? [], links: opts.links ?? [], ...(opts.ipv4Address ? { ipv4Address: opts.ipv4Address } : {}), ...(opts.ipv6Address ? { ipv6Address: opts.ipv6Address } : {}) };
    await this.#locked(r.id, async () => {
      if (this.#o.runtime.state(r.id).status !== 'running' || !r.sandboxId) {
        const mode = parseNetworkMode(r.networkMode).kind;
        if (mode === 'container' || mode === 'host') throw invalid('ERR_NETWORK_MODE', `container sharing network namespace with another container or host cannot be connected to any other network`);
        if (r.endpoints[network.name]) throw conflict('ERR_ENDPOINT_EXISTS', `endpoint with name ${r.name} already exists in network ${network.name}`);
        r.endpoints[network.name] = req;
        await this.save(r);
        return;
      }
      const deps = this.#netDeps();
      // Published ports ride on an endpoint: when none carries them (their network was
      // disconnected), this one does, so `-p` survives a disconnect and reconnect.
      const carried = this.sandboxOf(r)?.endpoints().some((e) => e.ports.length > 0) ?? false;
      const ports = portsOf(r);
      const t0 = performance.now();
      await connectEndpoint(deps, r, network.name, req, !carried, carried ? { exposed: ports.exposed } : ports);
      const t1 = performance.now();
      await this.#o.dns.attach(r.sandboxId);
      // The record is what the next start joins: it is durable before the answer (a SIGKILL right after must not lose it).
      await this.save(r);
      if (process.env.TSNET_API_TRACE) this.#log(`connect: controller ${(t1 - t0).toFixed(1)}ms, dns ${(performance.now() - t1).toFixed(1)}ms`);
    });
  }

  /**
   * `POST /networks/{id}/disconnect`. With force, a container unknown to the engine (its record
   * lost to a crash) still has its endpoint removed, as dockerd's ForceEndpointDelete.
   */
  async disconnect(networkRef: string, containerRef: string, force: boolean): Promise<void> {
    const network = this.#o.controller.network(networkRef);
    let r: ContainerRecord | undefined;
    try {
      r = this.find(containerRef);
    } catch (error) {
      if (!force) throw error;
    }
    if (!r) {
      await this.#o.controller.disconnect(network.id, containerRef);
      return;
    }
    const rec = r;
    await this.#locked(rec.id, async () => {
      if (!rec.sandboxId || this.#o.runtime.state(rec.id).status !== 'running') {
        if (!rec.endpoints[network.name]) throw forbidden('ERR_NOT_CONNECTED', `container ${rec.id} is not connected to network ${network.name}`);
        delete rec.endpoints[network.name];
        await this.save(rec);
        return;
      }
      await this.#o.controller.disconnect(network.id, rec.sandboxId);
      delete rec.endpoints[network.name];
      await this.save(rec);
    });
  }

  /**
   * `docker rename` (POST /containers/{id}/rename): the record's name. A running container's DNS
   * name follows at its next start (libnetwork keeps the name its endpoints joined with).
   */
  async rename(ref: string, newName: string): Promise<void> {
    const r = this.find(ref);
    const name = parseContainerName(newName);
    if (name === r.name) throw invalid('ERR_CONTAINER_RENAME', `Renaming a container with the same name as its current name`);
    const holder = [...this.#records.values()].find((o) => o.name === name);
    if (holder || this.#pendingNames.has(name)) {
      throw conflict('ERR_CONTAINER_NAME_IN_USE', `Conflict. The container name "/${name}" is already in use by container "${holder?.id ?? ''}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    const old = r.name;
    r.name = name;
    await this.save(r);
    this.#o.events.emit('container', 'rename', r.id, { ...this.#attrs(r), oldName: `/${old}` });
  }

  /** Daemon shutdown: stop containers (and give their networks back) unless live-restore keeps them running. */
  async shutdown(keepRunning: boolean): Promise<void> {
    this.#shuttingDown = true;
    if (keepRunning) return;
    await Promise.all(this.records().map((r) => this.#locked(r.id, async () => {
      await this.#o.runtime.stop(r.id, { timeoutSeconds: stopTimeoutOf(r) ?? 10 }).catch(() => undefined);
      if (this.#o.runtime.state(r.id).status !== 'running') await this.#releaseNetwork(r);
    }).catch((e: unknown) => this.#log(`shutdown ${r.id.slice(0, 12)}: ${String(e)}`))));
  }

  hostname(): string {
    return osHostname();
  }
}
