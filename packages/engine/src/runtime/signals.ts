import { constants } from 'node:os';
import { invalid } from '@tsnet/errors';

const BY_NUMBER = new Map(Object.entries(constants.signals).map(([name, num]) => [num, name]));

/**
 * `SIGTERM`, `TERM`, `term` or `15` → `SIGTERM`. Validated against the signals this kernel has,
 * so nothing else reaches runc's command line (a value like `--all` must not become an option).
 */
export function normalizeSignal(signal: string | number): string {
  const text = String(signal).trim();
  if (/^\d+$/.test(text)) {
    const name = BY_NUMBER.get(Number(text));
    if (name) return name;
  } else {
    const upper = text.toUpperCase();
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    if (name in constants.signals) return name;
  }
  throw invalid('ERR_SIGNAL_INVALID', `invalid signal: ${text}`, { details: { signal: text } });
}
