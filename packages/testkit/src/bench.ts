import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchFigure {
  /** `<package>.<figure>`, e.g. `ipam.v4_alloc_per_s`. */
  name: string;
  value: number;
  unit: string;
  /** Docker's figure for the same operation measured in the same run, when a daemon was reachable. */
  docker?: number;
  /** Target from the issue, for the record (not enforced here). */
  target?: string;
}

function format(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(1) : value.toPrecision(4);
}

/**
 * Prints one machine-readable line per figure — `BENCH <package>.<figure> <value> <unit>`, with
 * `ratio_vs_docker=<x>` appended where Docker was measured in the same run — and writes the same
 * figures as JSON to bench/results/<package>.json.
 */
export function reportBench(pkg: string, figures: BenchFigure[], resultsDir = join(process.cwd(), 'bench', 'results')): void {
  for (const f of figures) {
    const ratio = f.docker !== undefined && f.docker > 0 ? ` ratio_vs_docker=${format(f.value / f.docker)}` : '';
    console.log(`BENCH ${f.name} ${format(f.value)} ${f.unit}${ratio}`);
  }
  mkdirSync(resultsDir, { recursive: true });
  const json = figures.map((f) => ({
    ...f,
    ...(f.docker !== undefined && f.docker > 0 ? { ratio_vs_docker: f.value / f.docker } : {}),
  }));
  writeFileSync(join(resultsDir, `${pkg}.json`), JSON.stringify({ package: pkg, at: new Date().toISOString(), figures: json }, null, 2) + '\n');
}

/** Median of a list of samples (milliseconds, usually). */
export function median(samples: number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Milliseconds spent in fn. */
export async function timeMs(fn: () => unknown | Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}
