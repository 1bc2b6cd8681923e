import { invalid } from '@tsnet/errors';

/**
 * Filter values as dockerd reads them, shared by the list and prune endpoints.
 */

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (`1h30m`, `10s`, `1.5h`) in milliseconds, or undefined if it is not one. */
export function goDurationMs(text: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return total;
}

/**
 * `until`/`since` timestamps as dockerd takes them (api/types/time.GetTimestamp): a duration back
 * from `now`, Unix seconds (`10`, `10.051`), or an RFC 3339 / ISO date. Returns milliseconds.
 */
export function parseTimestamp(value: string, now = Date.now()): number {
  const d = goDurationMs(value);
  if (d !== undefined) return now - d;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw invalid('ERR_BAD_FILTERS', `failed to parse value as time or duration: "${value}"`);
  return t;
}

/** `label` (all must hold) and `label!` (none may hold): `key` or `key=value`. */
export function labelsMatch(labels: Record<string, string>, filters: Map<string, string[]>): boolean {
  const holds = (wanted: string): boolean => {
    const eq = wanted.indexOf('=');
    return eq < 0 ? wanted in labels : labels[wanted.slice(0, eq)] === wanted.slice(eq + 1);
  };
  return (filters.get('label') ?? []).every(holds) && !(filters.get('label!') ?? []).some(holds);
}

/** True when something created at `created` (ISO date) passes every `until` filter (created before it). */
export function createdUntil(created: string, filters: Map<string, string[]>, now = Date.now()): boolean {
  const t = Date.parse(created);
  return (filters.get('until') ?? []).every((v) => t < parseTimestamp(v, now));
}

/** `8080`, `8080/udp`, `8000-8010/tcp` → the `port/proto` keys they cover. */
export function portFilterKeys(value: string): string[] {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/.exec(value);
  if (!m) throw invalid('ERR_BAD_FILTERS', `invalid port filter: "${value}"`);
  const from = Number(m[1]);
  const to = m[2] ? Number(m[2]) : from;
  if (to < from || to - from > 65535) throw invalid('ERR_BAD_FILTERS', `invalid port range: "${value}"`);
  const keys: string[] = [];
  for (let p = from; p <= to; p++) keys.push(`${p}/${m[3] ?? 'tcp'}`);
  return keys;
}

/** Docker's name filters are regular expressions; an invalid one is a bad filter (400), as dockerd. */
export function regexMatch(pattern: string, text: string): boolean {
  try {
    return new RegExp(pattern).test(text);
  } catch {
    throw invalid('ERR_BAD_FILTERS', `invalid filter pattern: ${pattern}`);
  }
}
