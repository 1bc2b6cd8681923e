import { invalid } from '@tsnet/errors';
import { encodeAnswer, QTYPE } from './dns2.js';
import { nameKey, parseAddress, parseName, reverseName, type DnsName, type ParsedAddress } from './names.js';

/**
 * Records per scope (a network id). A holder is whatever owns addresses on that network (the
 * engine uses endpoint ids); its names are all equal — container name, aliases, short id,
 * name.network — and several holders may share a name, which is then answered with all of their
 * addresses in shuffled order. Every change re-encodes the answers of the names it touches, so a
 * query only copies bytes.
 */

export interface HolderRecord {
  /** Every name that resolves to this holder's addresses (aliases are just more names). */
  names: readonly string[];
  /** IPv4 and/or IPv6 addresses; a "/prefix" suffix is accepted and dropped. */
  addresses: readonly string[];
  /** Name answered for PTR queries of the addresses: default names[0]; null for no PTR. */
  ptrName?: string | null;
}

/** Pre-encoded answer RRs of one (name, type): `count` records back to back in `rrs`. */
export interface EncodedAnswers {
  readonly rrs: Buffer;
  /** Start of each record in rrs, plus rrs.length at the end. */
  readonly offsets: readonly number[];
  readonly count: number;
}

/** Everything known about one name: a null type means "name exists, no such records" (NODATA). */
export interface NameEntry {
  readonly a: EncodedAnswers | null;
  readonly aaaa: EncodedAnswers | null;
  readonly ptr: EncodedAnswers | null;
}

interface Holder {
  names: DnsName[];
  addresses: ParsedAddress[];
  ptr: DnsName | null;
}

class Scope {
  readonly holders = new Map<string, Holder>();
  readonly byName = new Map<string, Set<string>>();
  readonly byReverse = new Map<string, Set<string>>();
  readonly entries = new Map<string, NameEntry>();
}

export const DEFAULT_TTL = 600; // Docker's respTTL

export class RecordTable {
  readonly #scopes = new Map<string, Scope>();
  readonly #ttl: number;
  #version = 0;

  constructor(options: { ttl?: number } = {}) {
    this.#ttl = options.ttl ?? DEFAULT_TTL;
  }

  /** Bumped on every change; listeners drop their merged-scope caches when it moves. */
  get version(): number {
    return this.#version;
  }

  /** Adds or replaces a holder's records in a scope. Validates everything before changing anything. */
  setHolder(scope: string, holderId: string, record: HolderRecord): void {
    const names = [...new Set(record.names.map(parseName))];
    const addresses = dedupeAddresses(record.addresses.map(parseAddress));
    if (names.length === 0) throw invalid('ERR_DNS_INVALID_RECORD', `holder "${holderId}" in scope "${scope}" has no names`);
    const ptr = record.ptrName === null ? null : parseName(record.ptrName ?? names[0]!);
    const s = this.#scope(scope, true)!;
    const touched = this.#unindex(s, holderId);
    const holder: Holder = { names, addresses, ptr };
    s.holders.set(holderId, holder);
    for (const n of names) touched.add(index(s.byName, nameKey(n), holderId));
    for (const a of addresses) touched.add(index(s.byReverse, nameKey(reverseName(a)), holderId));
    this.#rebuild(s, touched);
  }

  /** Removes a holder; false when it was not there. */
  removeHolder(scope: string, holderId: string): boolean {
    const s = this.#scope(scope, false);
    if (!s || !s.holders.has(holderId)) return false;
    this.#rebuild(s, this.#unindex(s, holderId));
    if (s.holders.size === 0) this.#scopes.delete(scope);
    return true;
  }

  /** Drops every record of a scope (network removed). */
  removeScope(scope: string): void {
    if (this.#scopes.delete(scope)) this.#version += 1;
  }

  scopes(): string[] {
    return [...this.#scopes.keys()];
  }

  holders(scope: string): { id: string; names: string[]; addresses: string[]; ptrName: string | null }[] {
    const s = this.#scope(scope, false);
    if (!s) return [];
    return [...s.holders].map(([id, h]) => ({ id, names: [...h.names], addresses: h.addresses.map((a) => a.text), ptrName: h.ptr }));
  }

  /** What the union of `scopes` answers for a name (debug tools; the server uses entry()). */
  resolve(scopes: readonly string[], name: string, type: 'A' | 'AAAA' | 'PTR'): string[] | undefined {
    const key = nameKey(parseName(name));
    const out = new Set<string>();
    let exists = false;
    for (const id of scopes) {
      const s = this.#scope(id, false);
      if (!s) continue;
      for (const h of s.byName.get(key) ?? []) {
        exists = true;
        const holder = s.holders.get(h)!;
        for (const a of holder.addresses) if ((a.family === 4) === (type === 'A') && type !== 'PTR') out.add(a.text);
      }
      for (const h of s.byReverse.get(key) ?? []) {
        const p = s.holders.get(h)!.ptr;
        if (p === null) continue;
        exists = true;
        if (type === 'PTR') out.add(p);
      }
    }
    return exists ? [...out] : undefined;
  }

  /** Hot path: the pre-encoded entry of a wire-form key in one scope. */
  entry(scope: string, key: string): NameEntry | undefined {
    return this.#scopes.get(scope)?.entries.get(key);
  }

  #scope(id: string, create: boolean): Scope | undefined {
    let s = this.#scopes.get(id);
    if (!s && create) {
      if (id.length === 0) throw invalid('ERR_DNS_INVALID_SCOPE', 'a DNS scope must be a non-empty string');
      s = new Scope();
      this.#scopes.set(id, s);
    }
    return s;
  }

  /** Removes a holder from the indexes; returns the keys whose answers must be rebuilt. */
  #unindex(s: Scope, holderId: string): Set<string> {
    const touched = new Set<string>();
    const old = s.holders.get(holderId);
    if (!old) return touched;
    s.holders.delete(holderId);
    for (const n of old.names) touched.add(unindex(s.byName, nameKey(n), holderId));
    for (const a of old.addresses) touched.add(unindex(s.byReverse, nameKey(reverseName(a)), holderId));
    return touched;
  }

  #rebuild(s: Scope, keys: Set<string>): void {
    for (const key of keys) {
      const entry = this.#encode(s, key);
      if (entry) s.entries.set(key, entry);
      else s.entries.delete(key);
    }
    this.#version += 1;
  }

  #encode(s: Scope, key: string): NameEntry | undefined {
    const holders = [...(s.byName.get(key) ?? [])].map((id) => s.holders.get(id)!);
    const ptrs = [...(s.byReverse.get(key) ?? [])].map((id) => s.holders.get(id)!.ptr).filter((p) => p !== null);
    if (holders.length === 0 && ptrs.length === 0) return undefined;
    const addrs = dedupeAddresses(holders.flatMap((h) => h.addresses));
    const ttl = this.#ttl;
    return {
      a: encodeSet(addrs.filter((a) => a.family === 4).map((a) => encodeAnswer({ type: QTYPE.A, ttl, bytes: a.bytes }))),
      aaaa: encodeSet(addrs.filter((a) => a.family === 6).map((a) => encodeAnswer({ type: QTYPE.AAAA, ttl, bytes: a.bytes }))),
      ptr: encodeSet([...new Set(ptrs)].map((target) => encodeAnswer({ type: QTYPE.PTR, ttl, target }))),
    };
  }
}

function index(map: Map<string, Set<string>>, key: string, holderId: string): string {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(holderId);
  return key;
}

function unindex(map: Map<string, Set<string>>, key: string, holderId: string): string {
  const set = map.get(key);
  if (set) {
    set.delete(holderId);
    if (set.size === 0) map.delete(key);
  }
  return key;
}

function dedupeAddresses(list: ParsedAddress[]): ParsedAddress[] {
  const seen = new Map<string, ParsedAddress>();
  for (const a of list) if (!seen.has(a.text)) seen.set(a.text, a);
  return [...seen.values()];
}

/** Concatenates encoded RRs; null when there are none (NODATA for that type). */
export function encodeSet(rrs: Buffer[]): EncodedAnswers | null {
  if (rrs.length === 0) return null;
  const offsets = [0];
  for (const rr of rrs) offsets.push(offsets[offsets.length - 1]! + rr.length);
  return { rrs: Buffer.concat(rrs), offsets, count: rrs.length };
}

/** Union of one name's entries from several scopes, duplicates (same bytes) dropped. */
export function mergeEntries(entries: readonly NameEntry[]): NameEntry {
  if (entries.length === 1) return entries[0]!;
  const merge = (pick: (e: NameEntry) => EncodedAnswers | null): EncodedAnswers | null => {
    const seen = new Map<string, Buffer>();
    for (const e of entries) {
      const set = pick(e);
      if (!set) continue;
      for (let i = 0; i < set.count; i += 1) {
        const rr = set.rrs.subarray(set.offsets[i], set.offsets[i + 1]);
        seen.set(rr.toString('latin1'), rr);
      }
    }
    return encodeSet([...seen.values()]);
  };
  return { a: merge((e) => e.a), aaaa: merge((e) => e.aaaa), ptr: merge((e) => e.ptr) };
}
