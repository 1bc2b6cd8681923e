/**
 * Reads `nft -a list ruleset` text back into data. Only tsnet's tables are kept; rule text is
 * normalised (`counter packets N bytes M` → `counter`, `# handle N` removed) so it compares
 * equal to what the renderer writes.
 */

export interface ListedRule {
  family: 4 | 6;
  table: string;
  chain: string;
  text: string;
  handle: number;
  packets: number;
  bytes: number;
  comment?: string;
}

export interface ListedElement {
  family: 4 | 6;
  table: string;
  set: string;
  key: string;
  value?: string;
  comment?: string;
  packets: number;
  bytes: number;
}

export interface ListedTable {
  family: 4 | 6;
  table: string;
  chains: Set<string>;
  sets: Set<string>;
}

export interface Listing {
  tables: ListedTable[];
  rules: ListedRule[];
  elements: ListedElement[];
}

const FAMILY: Record<string, 4 | 6> = { ip: 4, ip6: 6 };
const COUNTER = /\bcounter packets (\d+) bytes (\d+)/;

export function normaliseRule(line: string): { text: string; handle: number; packets: number; bytes: number; comment?: string } {
  let text = line.trim();
  let handle = -1;
  const h = / # handle (\d+)$/.exec(text);
  if (h) {
    handle = Number(h[1]);
    text = text.slice(0, h.index);
  }
  const c = COUNTER.exec(text);
  const packets = c ? Number(c[1]) : 0;
  const bytes = c ? Number(c[2]) : 0;
  text = text.replace(COUNTER, 'counter');
  const comment = / comment "([^"]*)"$/.exec(text)?.[1];
  return comment === undefined ? { text, handle, packets, bytes } : { text, handle, packets, bytes, comment };
}

const ELEMENT = /^(.*?)(?: counter packets (\d+) bytes (\d+))?(?: comment "([^"]*)")?(?: : (.*))?$/;

export function parseElements(body: string): Array<Omit<ListedElement, 'family' | 'table' | 'set'>> {
  const out: Array<Omit<ListedElement, 'family' | 'table' | 'set'>> = [];
  for (const raw of body.split(/,\s*/)) {
    const item = raw.trim();
    if (item === '') continue;
    const m = ELEMENT.exec(item);
    if (!m) continue;
    const e: Omit<ListedElement, 'family' | 'table' | 'set'> = { key: m[1]!, packets: Number(m[2] ?? 0), bytes: Number(m[3] ?? 0) };
    if (m[4] !== undefined) e.comment = m[4];
    if (m[5] !== undefined) e.value = m[5];
    out.push(e);
  }
  return out;
}

/** Parses the listing; `wanted(tableName)` picks the tables to keep (tsnet's). */
export function parseNftListing(text: string, wanted: (table: string) => boolean): Listing {
  const out: Listing = { tables: [], rules: [], elements: [] };
  let table: ListedTable | undefined;
  let chain: string | undefined;
  let set: string | undefined;
  let elements: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (elements !== undefined) {
      elements += ' ' + line;
      if (line.endsWith('}')) {
        for (const e of parseElements(elements.slice(0, elements.lastIndexOf('}')))) out.elements.push({ family: table!.family, table: table!.table, set: set!, ...e });
        elements = undefined;
      }
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = /^table (ip6?) (\S+) \{/.exec(line))) {
      const family = FAMILY[m[1]!];
      table = family !== undefined && wanted(m[2]!) ? { family, table: m[2]!, chains: new Set(), sets: new Set() } : undefined;
      if (table) out.tables.push(table);
      chain = set = undefined;
    } else if (!table) {
      continue;
    } else if ((m = /^chain (\S+) \{/.exec(line))) {
      chain = m[1]!;
      set = undefined;
      table.chains.add(chain);
    } else if ((m = /^(?:set|map) (\S+) \{/.exec(line))) {
      set = m[1]!;
      chain = undefined;
      table.sets.add(set);
    } else if (set !== undefined && line.startsWith('elements = {')) {
      elements = line.slice('elements = {'.length);
      if (line.endsWith('}')) {
        for (const e of parseElements(elements.slice(0, elements.lastIndexOf('}')))) out.elements.push({ family: table.family, table: table.table, set, ...e });
        elements = undefined;
      }
    } else if (line === '}') {
      if (chain === undefined && set === undefined) table = undefined;
      chain = set = undefined;
    } else if (chain !== undefined && line !== '' && !/^(type |policy )/.test(line)) {
      out.rules.push({ family: table.family, table: table.table, chain, ...normaliseRule(line) });
    }
  }
  return out;
}
