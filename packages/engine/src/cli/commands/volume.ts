import type { Command } from 'commander';
import { collect, eachName, printInspect, printList, type Ctx } from '../context.js';
import { keyValues, parseFilters } from '../parse/index.js';
import { confirm } from './prompt.js';

interface VolumeSummary {
  Name: string;
  Driver: string;
}

export function registerVolume(program: Command, ctx: Ctx): void {
  const volume = program.command('volume').description('Manage volumes');

  volume
    .command('create')
    .description('Create a volume')
    .argument('[name]')
    .option('-d, --driver <driver>', 'specify volume driver name', 'local')
    .option('-o, --opt <key=value>', 'set driver specific options (repeatable)', collect)
    .option('--label <key=value>', 'set metadata for a volume (repeatable)', collect)
    .option('--name <name>', 'specify volume name')
    .action(async (positional: string | undefined, flags: { driver: string; opt?: string[]; label?: string[]; name?: string }) => {
      if (positional && flags.name && positional !== flags.name) {
        throw new Error(`conflicting options: either specify --name or provide positional arg, not both`);
      }
      const body = {
        Name: positional ?? flags.name ?? '',
        Driver: flags.driver,
        DriverOpts: keyValues(flags.opt, '--opt', true),
        Labels: keyValues(flags.label, '--label'),
      };
      const res = await ctx.client().json<{ Name: string }>('POST', '/volumes/create', { body });
      process.stdout.write(`${res.Name}\n`);
    });

  volume
    .command('ls')
    .alias('list')
    .description('List volumes')
    .option('-f, --filter <filter>', 'provide filter values (e.g. dangling=true)', collect)
    .option('--format <format>', 'table, json or a Go template')
    .option('-q, --quiet', 'only display volume names')
    .action(async (flags: { filter?: string[]; format?: string; quiet?: boolean }) => {
      const res = await ctx.client().json<{ Volumes: VolumeSummary[] | null }>('GET', '/volumes', { query: { filters: parseFilters(flags.filter) } });
      const list = (res.Volumes ?? []).sort((a, b) => a.Name.localeCompare(b.Name));
      printList(list, flags.format, flags.quiet ?? false, {
        head: ['DRIVER', 'VOLUME NAME'],
        row: (v) => [v.Driver, v.Name],
        id: (v) => v.Name,
      });
    });

  volume
    .command('inspect')
    .description('Display detailed information on one or more volumes')
    .argument('<volume...>')
    .option('-f, --format <template>', 'format the output using a Go template')
    .action(async (names: string[], flags: { format?: string }) => {
      const found: unknown[] = [];
      await eachName(ctx, names, async (name) => {
        found.push(await ctx.client().json('GET', `/volumes/${encodeURIComponent(name)}`));
      });
      if (found.length) printInspect(found, flags.format);
    });

  volume
    .command('rm')
    .alias('remove')
    .description('Remove one or more volumes')
    .argument('<volume...>')
    .option('-f, --force', 'force the removal of one or more volumes')
    .action(async (names: string[], flags: { force?: boolean }) => {
      await eachName(ctx, names, async (name) => {
        await ctx.client().json('DELETE', `/volumes/${encodeURIComponent(name)}`, { query: { force: flags.force } });
        process.stdout.write(`${name}\n`);
      });
    });

  volume
    .command('prune')
    .description('Remove unused local volumes')
    .option('-a, --all', 'remove all unused volumes, not just anonymous ones')
    .option('-f, --force', 'do not prompt for confirmation')
    .option('--filter <filter>', 'provide filter values (e.g. label=<label>)', collect)
    .action(async (flags: { all?: boolean; force?: boolean; filter?: string[] }) => {
      const ok = flags.force || (await confirm(`WARNING! This will remove ${flags.all ? 'all' : 'anonymous'} local volumes not used by at least one container.`));
      if (!ok) return;
      const filter = [...(flags.filter ?? []), ...(flags.all ? ['all=true'] : [])];
      const res = await ctx.client().json<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/volumes/prune', { query: { filters: parseFilters(filter) } });
      const deleted = res?.VolumesDeleted ?? [];
      if (deleted.length) process.stdout.write(`Deleted Volumes:\n${deleted.join('\n')}\n\n`);
      process.stdout.write(`Total reclaimed space: ${res?.SpaceReclaimed ?? 0}B\n`);
    });
}
