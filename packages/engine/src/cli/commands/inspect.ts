import type { Command } from 'commander';
import { ApiError } from '../client.js';
import { printInspect, type Ctx } from '../context.js';

const KINDS = {
  container: (n: string) => `/containers/${n}/json`,
  image: (n: string) => `/images/${n}/json`,
  network: (n: string) => `/networks/${n}`,
  volume: (n: string) => `/volumes/${n}`,
} as const;
type Kind = keyof typeof KINDS;

/** Docker's generic inspect: the first kind of object that has the name, in Docker's order. */
export function registerInspect(program: Command, ctx: Ctx): void {
  program
    .command('inspect')
    .description('Return low-level information on tsnet objects')
    .argument('<name...>')
    .option('-f, --format <template>', 'format the output using a Go template')
    .option('--type <type>', 'return JSON for the specified type (container, image, network, volume)')
    .option('-s, --size', 'display total file sizes if the type is container')
    .action(async (names: string[], flags: { format?: string; type?: string }) => {
      if (flags.type !== undefined && !(flags.type in KINDS)) throw new Error(`"${flags.type}" is not a valid value for --type`);
      const kinds = flags.type ? [flags.type as Kind] : (Object.keys(KINDS) as Kind[]);
      const found: unknown[] = [];
      let missing = false;
      for (const name of names) {
        let object: unknown;
        for (const kind of kinds) {
          try {
            object = await ctx.client().json('GET', KINDS[kind](encodeURIComponent(name)));
            break;
          } catch (error) {
            if (!(error instanceof ApiError) || error.status !== 404) throw error;
          }
        }
        if (object === undefined) {
          missing = true;
          process.stderr.write(`Error: No such object: ${name}\n`);
        } else found.push(object);
      }
      if (found.length || !missing) printInspect(found, flags.format);
      if (missing) ctx.setExit(1);
    });
}
