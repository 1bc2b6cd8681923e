import type { Command } from 'commander';
import { ApiClient, socketPathOf } from './client.js';
import { FlagError } from './parse/index.js';
import { parseTemplate } from './template.js';
import { printJson, table } from './output.js';

/** What every command gets: the API client for -H/TSNET_HOST, and helpers for output. */
export interface Ctx {
  client(): ApiClient;
  /** Sets the process exit code without throwing (rm of several objects, run's container exit code). */
  setExit(code: number): void;
}

export function makeCtx(program: Command): Ctx {
  let client: ApiClient | undefined;
  return {
    client() {
      client ??= new ApiClient(socketPathOf(program.opts<{ host?: string }>().host));
      return client;
    },
    setExit(code) {
      process.exitCode = code;
    },
  };
}

/** Repeatable option collector for commander: `-o a=b -o c=d` → ['a=b', 'c=d']. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * `--format`: "json" prints one JSON object per line (Docker's `--format json`), "table" or
 * nothing prints the table, anything else is a Go template applied to each item.
 */
export function printList<T>(items: T[], format: string | undefined, quiet: boolean, opts: { head: string[]; row: (item: T) => Array<string | number>; id: (item: T) => string }): void {
  if (quiet) {
    for (const item of items) process.stdout.write(`${opts.id(item)}\n`);
    return;
  }
  if (format === 'json') {
    for (const item of items) process.stdout.write(`${JSON.stringify(item)}\n`);
    return;
  }
  if (format === undefined || format === 'table' || format === '') {
    process.stdout.write(`${table(opts.head, items.map(opts.row))}\n`);
    return;
  }
  const template = parseTemplate(format.startsWith('table ') ? format.slice(6) : format);
  for (const item of items) process.stdout.write(`${template.execute(item)}\n`);
}

/** `inspect`-style output: a JSON array, or the template per object. */
export function printInspect(objects: unknown[], format: string | undefined): void {
  if (format === undefined || format === '' || format === 'json') {
    printJson(objects);
    return;
  }
  const template = parseTemplate(format);
  for (const o of objects) process.stdout.write(`${template.execute(o)}\n`);
}

/** Runs `fn` for each name, prints errors as Docker does, and fails the command if any failed. */
export async function eachName(ctx: Ctx, names: string[], fn: (name: string) => Promise<void>): Promise<void> {
  let failed = false;
  for (const name of names) {
    try {
      await fn(name);
    } catch (error) {
      if (error instanceof FlagError) throw error;
      failed = true;
      process.stderr.write(`Error response from daemon: ${(error as Error).message}\n`);
    }
  }
  if (failed) ctx.setExit(1);
}
