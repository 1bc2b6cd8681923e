/**
 * Reads `iptables-save -c` output. Specs are compared token-wise with quotes removed, because
 * iptables-save quotes a comment only when it contains spaces (and legacy and nft flavours differ).
 */

export interface SavedRule {
  table: string;
  chain: string;
  /** Spec after `-A <chain> `, normalised with normSpec. */
  spec: string;
  packets: number;
  bytes: number;
}

export interface SavedTables {
  /** table → chains present (built-in and user) */
  chains: Map<string, Set<string>>;
  rules: SavedRule[];
}

/** Splits a rule spec like a shell would for the quoting iptables-save uses (double quotes, \" escapes). */
export function tokenize(spec: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuote = false;
  let has = false;
  for (let i = 0; i < spec.length; i++) {
    const ch = spec[i]!;
    if (inQuote) {
      if (ch === '\\' && spec[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') inQuote = false;
      else cur += ch;
    } else if (ch === '"') {
      inQuote = true;
      has = true;
    } else if (ch === ' ' || ch === '\t') {
      if (has || cur !== '') out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
      has = true;
    }
  }
  if (has || cur !== '') out.push(cur);
  return out;
}

/** Canonical comparable form: tokens joined by single spaces, tokens with spaces re-quoted. */
export function normSpec(spec: string): string {
  return tokenize(spec)
    .map((t) => (/[\s"]/.test(t) || t === '' ? `"${t.replace(/"/g, '\\"')}"` : t))
    .join(' ');
}

export function commentOf(spec: string): string | undefined {
  const t = tokenize(spec);
  const i = t.indexOf('--comment');
  return i >= 0 ? t[i + 1] : undefined;
}

export function parseIptablesSave(text: string): SavedTables {
  const out: SavedTables = { chains: new Map(), rules: [] };
  let table = '';
  for (const raw of text.split('\n')) {
    let line = raw.trim();
    if (line.startsWith('*')) {
      table = line.slice(1);
      out.chains.set(table, new Set());
      continue;
    }
    if (line.startsWith(':')) {
      out.chains.get(table)?.add(line.slice(1).split(' ')[0]!);
      continue;
    }
    let packets = 0;
    let bytes = 0;
    const c = /^\[(\d+):(\d+)\]\s+/.exec(line);
    if (c) {
      packets = Number(c[1]);
      bytes = Number(c[2]);
      line = line.slice(c[0].length);
    }
    const m = /^-A (\S+)(?: (.*))?$/.exec(line);
    if (m) out.rules.push({ table, chain: m[1]!, spec: normSpec(m[2] ?? ''), packets, bytes });
  }
  return out;
}
