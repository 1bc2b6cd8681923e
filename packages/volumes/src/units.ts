import { invalid } from '@tsnet/errors';

const binary: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * Docker's `units.RAMInBytes` (go-units): "64m", "1.5g", "10KiB", "512" — binary multipliers,
 * an optional `b`/`ib` tail, an optional space before the suffix. Throws ERR_INVALID_SIZE.
 */
export function ramInBytes(text: string): number {
  const match = /^(\d+(?:\.\d+)?) ?([a-zA-Z]{0,3})$/.exec(text);
  if (!match) throw invalid('ERR_INVALID_SIZE', `invalid size: '${text}'`, { details: { value: text } });
  const size = Number(match[1]);
  const suffix = match[2]!.toLowerCase();
  if (suffix === '' || suffix === 'b') return Math.trunc(size);
  const mul = binary[suffix[0]!];
  const tailOk = suffix.length === 1 || suffix.slice(1) === 'b' || suffix.slice(1) === 'ib';
  if (mul === undefined || !tailOk) {
    throw invalid('ERR_INVALID_SIZE', `invalid suffix: '${suffix}'`, { details: { value: text } });
  }
  return Math.trunc(size * mul);
}

/** The tmpfs `size=` text Docker writes: the largest binary suffix dividing the value evenly. */
export function tmpfsSizeOption(bytes: number): string {
  for (const [suffix, div] of [['g', 1024 ** 3], ['m', 1024 ** 2], ['k', 1024]] as const) {
    if (bytes % div === 0) return `${bytes / div}${suffix}`;
  }
  return String(bytes);
}
