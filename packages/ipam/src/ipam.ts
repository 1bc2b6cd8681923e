import { conflict, internal, invalid, isTsnetError, notFound, unavailable } from '@tsnet/errors';
import type { Store } from '@tsnet/store';
import { type Cidr, endOf, formatAddress, formatCidr, parseAddress } from './addr.js';
import { IpamErrorCode } from './errors.js';
import { DOCKER_DEFAULT_POOLS, type DefaultPool, findOverlap, type ParsedDefaultPool, parseDefaultPools, pickSubnet } from './picker.js';
import { PoolState, type PoolRecord } from './pool.js';
import {
  GLOBAL_SPACE, LOCAL_SPACE, type ParsedPoolRequest, parseAddressRequest, parsePoolId, parsePoolRequest,
  type RequestAddressRequest, type RequestPoolRequest, SERIAL_OPTION,
} from './requests.js';
import { apply, backoff, contention, MAX_ATTEMPTS, type Pending, settle, STORE_CONFLICT } from './batch.js';
import { poolKey, SpaceIndex, spaceKey } from './space.js';

export interface IpamOptions {
  store: Store;
  /** Key prefix in the store; default `/ipam/`. */
  prefix?: string;
  /** daemon.json `default-address-pools`; default Docker's built-in list. */
  defaultPools?: DefaultPool[];
}

export interface RequestPoolResult {
  poolId: string;
  /** Canonical CIDR of the subnet. */
  pool: string;
  data: Record<string, string>;
}

export interface PoolInfo {
  poolId: string;
  addressSpace: string;
  pool: string;
  subPool?: string;
  v6: boolean;
  serial: boolean;
  /** Addresses held by callers (not counting network, broadcast and auxiliary addresses). */
  held: number;
  /** Every allocated address, auxiliary ones included, ascending. */
  addresses: string[];
  aux: string[];
}

/** One pool as this instance sees it: a cached state, its store revision, and a queue of work. */
interface Slot {
  id: string;
  space: string;
  pool: Cidr;
  key: string;
  state: PoolState | undefined;
  revision: number;
  queue: Pending[];
  running: boolean;
}


/**
 * Docker's IPAM (ipamapi.Ipam) over a Store. Each pool is one record written with compare-and-set
 * on its modRevision; a conflict means another instance (or process) changed it, so the record is
 * reloaded and the work redone. Requests for one pool that arrive while a write is in flight are
 * applied together and committed in one write, so concurrent callers share a commit (and the file
 * store's fsync) instead of queueing behind each other.
 */
export class Ipam {
  readonly #store: Store;
  readonly #prefix: string;
  readonly #defaults: readonly ParsedDefaultPool[];
  readonly #slots = new Map<string, Slot>();
  readonly #spaces = new Map<string, SpaceIndex>();
  readonly #spaceLocks = new Map<string, Promise<unknown>>();

  private constructor(store: Store, prefix: string, defaults: readonly ParsedDefaultPool[]) {
    this.#store = store;
    this.#prefix = prefix;
    this.#defaults = defaults;
  }

  static async open(options: IpamOptions): Promise<Ipam> {
    const prefix = options.prefix ?? '/ipam/';
    if (typeof prefix !== 'string' || !prefix.startsWith('/')) {
      throw invalid(IpamErrorCode.invalidRequest, `ipam store prefix ${JSON.stringify(prefix)} must start with "/"`, { details: { value: prefix } });
    }
    const defaults = parseDefaultPools(options.defaultPools ?? DOCKER_DEFAULT_POOLS);
    const ipam = new Ipam(options.store, prefix.endsWith('/') ? prefix : `${prefix}/`, defaults);
    // Read both indexes now so a store this version cannot read fails at open, not mid-request.
    await ipam.#space(LOCAL_SPACE);
    await ipam.#space(GLOBAL_SPACE);
    return ipam;
  }

  defaultAddressSpaces(): { local: 'LocalDefault'; global: 'GlobalDefault' } {
    return { local: LOCAL_SPACE, global: GLOBAL_SPACE };
  }

  async requestPool(req: RequestPoolRequest = {}): Promise<RequestPoolResult> {
    const parsed = parsePoolRequest(req);
    return this.#withSpaceLock(parsed.space, () => this.#createPool(parsed));
  }

  async releasePool(poolId: string): Promise<void> {
    const slot = this.#slotFor(poolId);
    return new Promise((resolve, reject) => this.#enqueue(slot, { kind: 'releasePool', resolve, reject }));
  }

  async requestAddress(poolId: string, req?: RequestAddressRequest): Promise<{ address: string }> {
    const slot = this.#slotFor(poolId);
    const parsed = parseAddressRequest(req);
    const value = await new Promise<bigint>((resolve, reject) =>
      this.#enqueue(slot, { kind: 'request', req: parsed, resolve, reject }));
    return { address: `${formatAddress(value, slot.pool.v6)}/${slot.pool.prefix}` };
  }

  async releaseAddress(poolId: string, address: string): Promise<void> {
    const slot = this.#slotFor(poolId);
    const parsed = parseAddress(address);
    return new Promise((resolve, reject) => this.#enqueue(slot, { kind: 'release', address: parsed, resolve, reject }));
  }

  /** Every pool of both address spaces, read from the store (not from this instance's cache). */
  async pools(): Promise<PoolInfo[]> {
    const out: PoolInfo[] = [];
    for (const space of [LOCAL_SPACE, GLOBAL_SPACE]) {
      const index = await this.#readSpace(space);
      for (const entry of index.entries) out.push(await this.poolInfo(entry.id));
    }
    return out;
  }

  /** One pool as the store has it now. */
  async poolInfo(poolId: string): Promise<PoolInfo> {
    const { space, pool } = parsePoolId(poolId);
    const key = poolKey(this.#prefix, space, pool);
    const { state } = await this.#readPool(key, poolId);
    const record = state.toRecord();
    return {
      poolId, addressSpace: space, pool: record.pool, ...(record.subPool === undefined ? {} : { subPool: record.subPool }),
      v6: state.v6, serial: record.serial, held: state.held(), addresses: [...state.addresses()], aux: record.aux,
    };
  }

  // ---- pools ---------------------------------------------------------------------------------

  async #createPool(p: ParsedPoolRequest): Promise<RequestPoolResult> {
    for (let attempt = 0; ; attempt += 1) {
      const cached = this.#spaces.has(p.space);
      const index = await this.#space(p.space);
      let cidr: Cidr;
      try {
        cidr = p.pool ?? this.#pick(p, index);
        if (p.pool !== undefined) this.#checkOverlap(p.pool, index);
      } catch (error) {
        // Refused from a cached index: another writer may have released pools since; re-check.
        if (!cached) throw error;
        this.#spaces.delete(p.space);
        continue;
      }
      const state = new PoolState({
        space: p.space, pool: cidr, ...(p.subPool === undefined ? {} : { subPool: p.subPool }),
        serial: p.options[SERIAL_OPTION] === 'true', options: p.options,
      });
      for (const address of p.aux) state.allocate({ address, reserve: true });
      const key = poolKey(this.#prefix, p.space, cidr);
      const entry = { id: state.id, pool: formatCidr(cidr), ...(p.subPool === undefined ? {} : { subPool: formatCidr(p.subPool) }) };
      const next = index.added(entry, cidr);
      const result = await this.#store.txn({
        compare: [{ key: spaceKey(this.#prefix, p.space), modRevision: index.revision }, { key, modRevision: 0 }],
        success: [
          { op: 'put', key: spaceKey(this.#prefix, p.space), value: next.encode() },
          { op: 'put', key, value: JSON.stringify(state.toRecord()) },
        ],
      });
      if (result.succeeded) {
        // One transaction, one revision: both keys now carry result.revision (etcd semantics).
        this.#spaces.set(p.space, next.at(result.revision));
        const slot = this.#slots.get(state.id);
        if (slot !== undefined && !slot.running && slot.queue.length === 0) slot.state = undefined;
        return { poolId: state.id, pool: formatCidr(cidr), data: {} };
      }
      this.#spaces.delete(p.space);
      await backoff(attempt, `address space ${p.space}`);
    }
  }

  #pick(p: ParsedPoolRequest, index: SpaceIndex): Cidr {
    const picked = pickSubnet(this.#defaults, p.v6, index.merged(p.v6), p.exclude);
    if (picked === undefined) {
      const family = p.v6 ? 'IPv6' : 'IPv4';
      throw unavailable(IpamErrorCode.noAvailablePool,
        `could not find an available, non-overlapping ${family} address pool among the defaults to assign to the network`,
        { details: { v6: p.v6 } });
    }
    return picked;
  }

  #checkOverlap(pool: Cidr, index: SpaceIndex): void {
    const hit = findOverlap(index.taken(pool.v6), pool.base, endOf(pool));
    if (hit !== undefined) {
      throw conflict(IpamErrorCode.poolOverlap, `subnet ${formatCidr(pool)} overlaps pool ${hit.id}`,
        { details: { value: formatCidr(pool), poolId: hit.id } });
    }
  }

  async #releasePool(slot: Slot): Promise<void> {
    await this.#withSpaceLock(slot.space, async () => {
      for (let attempt = 0; ; attempt += 1) {
        // Always from the store: a cached count may be behind another writer's releases.
        slot.state = undefined;
        const state = await this.#load(slot);
        const held = state.held();
        if (held > 0) {
          throw conflict(IpamErrorCode.poolInUse, `pool ${slot.id} has ${held} address(es) in use`,
            { details: { poolId: slot.id, held } });
        }
        const index = await this.#space(slot.space);
        const next = index.removed(slot.id);
        const result = await this.#store.txn({
          compare: [{ key: slot.key, modRevision: slot.revision }, { key: spaceKey(this.#prefix, slot.space), modRevision: index.revision }],
          success: [{ op: 'delete', key: slot.key }, { op: 'put', key: spaceKey(this.#prefix, slot.space), value: next.encode() }],
        });
        if (result.succeeded) {
          this.#spaces.set(slot.space, next.at(result.revision));
          slot.state = undefined;
          if (this.#slots.get(slot.id) === slot) this.#slots.delete(slot.id);
          return;
        }
        slot.state = undefined;
        this.#spaces.delete(slot.space);
        await backoff(attempt, `pool ${slot.id}`);
      }
    });
  }

  // ---- addresses -----------------------------------------------------------------------------

  #slotFor(poolId: string): Slot {
    const existing = this.#slots.get(poolId);
    if (existing !== undefined) return existing;
    const { space, pool } = parsePoolId(poolId);
    const slot: Slot = { id: poolId, space, pool, key: poolKey(this.#prefix, space, pool), state: undefined, revision: 0, queue: [], running: false };
    this.#slots.set(poolId, slot);
    return slot;
  }

  #enqueue(slot: Slot, op: Pending): void {
    slot.queue.push(op);
    if (!slot.running) void this.#drain(slot);
  }

  /** Runs the slot's queue: a pool release alone, consecutive address operations as one batch. */
  async #drain(slot: Slot): Promise<void> {
    slot.running = true;
    try {
      while (slot.queue.length > 0) {
        const head = slot.queue[0]!;
        if (head.kind === 'releasePool') {
          slot.queue.shift();
          await this.#releasePool(slot).then(head.resolve, head.reject);
          continue;
        }
        const stop = slot.queue.findIndex((op) => op.kind === 'releasePool');
        const batch = slot.queue.splice(0, stop < 0 ? slot.queue.length : stop);
        await this.#runBatch(slot, batch).catch((error: unknown) => {
          // Not expected (runBatch settles its ops itself), but no caller may be left hanging.
          slot.state = undefined;
          for (const op of batch) op.reject(error);
        });
      }
    } finally {
      slot.running = false;
    }
  }

  async #runBatch(slot: Slot, batch: Pending[]): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      const fresh = slot.state === undefined;
      let state: PoolState;
      try {
        state = await this.#load(slot);
      } catch (error) {
        for (const op of batch) op.reject(error);
        // Do not keep a slot per unknown pool id someone asked for.
        if (isTsnetError(error, IpamErrorCode.poolNotFound) && slot.queue.length === 0 && this.#slots.get(slot.id) === slot) {
          this.#slots.delete(slot.id);
        }
        return;
      }
      const outcomes = batch.map((op) => apply(state, op));
      // A refusal (in use, exhausted) or a release of a free address may only mean the cache is
      // behind another writer: check against the store before answering.
      if (!fresh && outcomes.some((o, i) => o.error !== undefined || (batch[i]!.kind === 'release' && !o.changed))) {
        slot.state = undefined;
        continue;
      }
      const changed = outcomes.some((o) => o.changed);
      try {
        if (changed) slot.revision = await this.#store.put(slot.key, JSON.stringify(state.toRecord()), { expectedRevision: slot.revision });
      } catch (error) {
        // The in-memory state now holds changes the store refused: drop it and reload.
        slot.state = undefined;
        if (isTsnetError(error, STORE_CONFLICT) && attempt < MAX_ATTEMPTS) {
          await backoff(attempt, `pool ${slot.id}`);
          continue;
        }
        const failure = isTsnetError(error, STORE_CONFLICT) ? contention(`pool ${slot.id}`, error) : error;
        for (const op of batch) op.reject(failure);
        return;
      }
      batch.forEach((op, i) => settle(op, outcomes[i]!));
      return;
    }
  }

  async #load(slot: Slot): Promise<PoolState> {
    if (slot.state !== undefined) return slot.state;
    const { state, revision } = await this.#readPool(slot.key, slot.id);
    slot.state = state;
    slot.revision = revision;
    return state;
  }

  async #readPool(key: string, poolId: string): Promise<{ state: PoolState; revision: number }> {
    const entry = await this.#store.get(key);
    const missing = () => notFound(IpamErrorCode.poolNotFound, `pool ${JSON.stringify(poolId)} not found`, { details: { poolId } });
    if (entry === undefined) throw missing();
    let record: PoolRecord;
    try {
      record = JSON.parse(entry.value) as PoolRecord;
    } catch (cause) {
      throw internal(IpamErrorCode.corruptState, `ipam record ${key} cannot be read`, { cause, details: { key } });
    }
    const state = PoolState.fromRecord(record, key);
    // Same subnet, different ip-range: that is another pool id.
    if (state.id !== poolId) throw missing();
    return { state, revision: entry.modRevision };
  }

  // ---- address spaces ------------------------------------------------------------------------

  async #space(space: string): Promise<SpaceIndex> {
    const cached = this.#spaces.get(space);
    if (cached !== undefined) return cached;
    const index = await this.#readSpace(space);
    this.#spaces.set(space, index);
    return index;
  }

  async #readSpace(space: string): Promise<SpaceIndex> {
    const key = spaceKey(this.#prefix, space);
    const entry = await this.#store.get(key);
    return SpaceIndex.decode(entry?.value, entry?.modRevision ?? 0, key);
  }

  /** Pool creation and release in one address space run one at a time within this instance. */
  async #withSpaceLock<T>(space: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#spaceLocks.get(space) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.#spaceLocks.set(space, tail);
    try {
      return await run;
    } finally {
      if (this.#spaceLocks.get(space) === tail) this.#spaceLocks.delete(space);
    }
  }
}
