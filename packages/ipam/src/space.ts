import { internal } from '@tsnet/errors';
import { type Cidr, endOf, formatAddress, parseCidr } from './addr.js';
import { IpamErrorCode } from './errors.js';
import type { Taken } from './picker.js';

/**
 * Store layout under the prefix (default `/ipam/`):
 *   space/<AddressSpace>          the index of that space's pools — one key, so creating a pool is
 *                                 a compare-and-set on it and two writers can never add
 *                                 overlapping pools
 *   pool/<AddressSpace>/<ip>_<len> one pool's allocation state (PoolRecord)
 */
export const spaceKey = (prefix: string, space: string): string => `${prefix}space/${space}`;
export const poolKey = (prefix: string, space: string, pool: Cidr): string =>
  `${prefix}pool/${space}/${formatAddress(pool.base, pool.v6)}_${pool.prefix}`;

export interface SpaceEntry {
  id: string;
  pool: string;
  subPool?: string;
}

interface SpaceRecord {
  version: 1;
  pools: SpaceEntry[];
}

/** The pools of one address space, with their subnets as sorted integer ranges per family. */
export class SpaceIndex {
  readonly entries: readonly SpaceEntry[];
  /** modRevision of the index key (0: absent). */
  readonly revision: number;
  readonly #taken4: readonly Taken[];
  readonly #taken6: readonly Taken[];
  readonly #merged = new Map<boolean, Taken[]>();

  private constructor(entries: readonly SpaceEntry[], revision: number, taken4: readonly Taken[], taken6: readonly Taken[]) {
    this.entries = entries;
    this.revision = revision;
    this.#taken4 = taken4;
    this.#taken6 = taken6;
  }

  static fromEntries(entries: readonly SpaceEntry[], revision: number): SpaceIndex {
    const taken4: Taken[] = [];
    const taken6: Taken[] = [];
    for (const entry of entries) {
      const cidr = parseCidr(entry.pool);
      (cidr.v6 ? taken6 : taken4).push({ start: cidr.base, end: endOf(cidr), id: entry.id });
    }
    taken4.sort(byStart);
    taken6.sort(byStart);
    return new SpaceIndex(entries, revision, taken4, taken6);
  }

  /** This index plus one pool (not yet committed: revision 0 until `at`). */
  added(entry: SpaceEntry, pool: Cidr): SpaceIndex {
    const taken = [...this.taken(pool.v6)];
    const item = { start: pool.base, end: endOf(pool), id: entry.id };
    let at = taken.findIndex((t) => t.start > item.start);
    if (at < 0) at = taken.length;
    taken.splice(at, 0, item);
    const entries = [...this.entries, entry].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return pool.v6 ? new SpaceIndex(entries, 0, this.#taken4, taken) : new SpaceIndex(entries, 0, taken, this.#taken6);
  }

  /** This index without one pool (revision 0 until `at`). */
  removed(id: string): SpaceIndex {
    return new SpaceIndex(this.entries.filter((e) => e.id !== id), 0,
      this.#taken4.filter((t) => t.id !== id), this.#taken6.filter((t) => t.id !== id));
  }

  /** The same index as committed at `revision`. */
  at(revision: number): SpaceIndex {
    return new SpaceIndex(this.entries, revision, this.#taken4, this.#taken6);
  }

  taken(v6: boolean): readonly Taken[] {
    return v6 ? this.#taken6 : this.#taken4;
  }

  /**
   * The taken ranges with neighbours joined: what the picker walks, so a thousand adjacent pools
   * are jumped over in one step.
   */
  merged(v6: boolean): readonly Taken[] {
    let merged = this.#merged.get(v6);
    if (merged === undefined) {
      merged = [];
      for (const t of this.taken(v6)) {
        const last = merged[merged.length - 1];
        if (last !== undefined && t.start <= last.end + 1n) {
          if (t.end > last.end) last.end = t.end;
        } else merged.push({ ...t });
      }
      this.#merged.set(v6, merged);
    }
    return merged;
  }

  encode(): string {
    const record: SpaceRecord = { version: 1, pools: [...this.entries] };
    return JSON.stringify(record);
  }

  static decode(value: string | undefined, revision: number, key: string): SpaceIndex {
    if (value === undefined) return SpaceIndex.fromEntries([], 0);
    try {
      const record = JSON.parse(value) as SpaceRecord;
      if (record.version !== 1 || !Array.isArray(record.pools)) throw new Error(`unknown version ${String(record.version)}`);
      return SpaceIndex.fromEntries(record.pools, revision);
    } catch (cause) {
      throw internal(IpamErrorCode.corruptState, `ipam record ${key} cannot be read`, { cause, details: { key } });
    }
  }
}

const byStart = (a: Taken, b: Taken): number => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0);
