import { FlagError } from './common.js';

/** --filter key=value (repeatable) → Docker's `filters` query value: {"key": {"value": true}}. */
export function parseFilters(values: readonly string[] = []): string | undefined {
  if (values.length === 0) return undefined;
  const out: Record<string, Record<string, boolean>> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new FlagError(`bad format of filter "${v}": expected name=value`);
    const key = v.slice(0, eq).trim().toLowerCase();
    (out[key] ??= {})[v.slice(eq + 1)] = true;
  }
  return JSON.stringify(out);
}
