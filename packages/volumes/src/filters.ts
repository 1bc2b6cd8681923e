import { invalid } from '@tsnet/errors';

/**
 * Docker's filter arguments: `{"label":["a=b"]}` or the older `{"label":{"a=b":true}}`, both
 * normalised to lists.
 */
export type FilterInput = Record<string, string[] | Record<string, boolean>>;
export type Filters = Map<string, string[]>;

export function normalizeFilters(input: FilterInput | undefined, allowed: readonly string[]): Filters {
  const out: Filters = new Map();
  for (const [key, value] of Object.entries(input ?? {})) {
    if (!allowed.includes(key)) throw invalid('ERR_FILTER_INVALID', `invalid filter '${key}'`, { details: { filter: key } });
    const values = Array.isArray(value) ? value : Object.keys(value).filter((k) => value[k]);
    out.set(key, values);
  }
  return out;
}

/** `label=k` (present) / `label=k=v` (equal); `label!=...` negates. Every value must hold (AND). */
export function matchLabels(labels: Record<string, string>, wanted: string[], negate = false): boolean {
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    const key = eq < 0 ? w : w.slice(0, eq);
    const hit = eq < 0 ? Object.hasOwn(labels, key) : labels[key] === w.slice(eq + 1);
    return negate ? !hit : hit;
  });
}

/** Docker matches `name` as a regular expression (filters.Match); an invalid one matches literally. */
export function matchName(name: string, patterns: string[]): boolean {
  return patterns.some((p) => {
    try {
      return new RegExp(p).test(name);
    } catch {
      return name.includes(p);
    }
  });
}

export function parseBoolFilter(key: string, values: string[]): boolean {
  const v = values[0]?.toLowerCase();
  if (values.length !== 1 || !['true', 'false', '1', '0'].includes(v ?? '')) {
    throw invalid('ERR_FILTER_INVALID', `invalid filter '${key}=${values.join(',')}'`, { details: { filter: key } });
  }
  return v === 'true' || v === '1';
}
