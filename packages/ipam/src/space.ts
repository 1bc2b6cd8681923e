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
  readonly #taken4: Taken[] = [];
  readonly #taken6: Taken[] = [];

  constructor(entries: readonly SpaceEntry[], revision: number) {
    this.entries = entries;
    this.revision = revision;
    for (const entry of entries) {
      const cidr = parseCidr(entry.pool);
      (cidr.v6 ? this.#taken6 : this.#taken4).push({ start: cidr.base, end: endOf(cidr), id: entry.id });
    }
    const byStart = (a: Taken, b: Taken) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0);
    this.#taken4.sort(byStart);
    this.#taken6.sort(byStart);
  }

  taken(v6: boolean): readonly Taken[] {
    return v6 ? this.#taken6 : this.#taken4;
  }

  has(id: string): boolean {
    return this.entries.some((e) => e.id === id);
  }

  with(entry: SpaceEntry): SpaceEntry[] {
    return [...this.entries, entry].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  without(id: string): SpaceEntry[] {
    return this.entries.filter((e) => e.id !== id);
  }

  static encode(entries: readonly SpaceEntry[]): string {
    const record: SpaceRecord = { version: 1, pools: [...entries] };
    return JSON.stringify(record);
  }

  static decode(value: string | undefined, revision: number, key: string): SpaceIndex {
    if (value === undefined) return new SpaceIndex([], 0);
    try {
      const record = JSON.parse(value) as SpaceRecord;
      if (record.version !== 1 || !Array.isArray(record.pools)) throw new Error(`unknown version ${String(record.version)}`);
      return new SpaceIndex(record.pools, revision);
    } catch (cause) {
      throw internal(IpamErrorCode.corruptState, `ipam record ${key} cannot be read`, { cause, details: { key } });
    }
  }
}
