import type { Command } from 'commander';
import { collect, type Ctx } from '../context.js';
import { parseFilters } from '../parse/index.js';
import { parseTemplate } from '../template.js';
import { jsonLines } from '../streams.js';

interface RunDaemon {
  runDaemon(options: { dataRoot?: string; host?: string; configPath?: string }): Promise<unknown>;
}

/** Docker's `docker events` line: time, type, action, actor id, (attributes). */
export function formatEvent(e: Record<string, unknown>): string {
  const nanos = typeof e.timeNano === 'number' ? e.timeNano : typeof e.time === 'number' ? e.time * 1e9 : Date.now() * 1e6;
  const time = new Date(Math.floor(nanos / 1e6)).toISOString().replace('Z', `${String(Math.floor(nanos % 1e6)).padStart(6, '0')}Z`);
  const actor = (e.Actor ?? {}) as { ID?: string; Attributes?: Record<string, string> };
  const attrs = Object.entries(actor.Attributes ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return `${time} ${String(e.Type ?? '')} ${String(e.Action ?? '')} ${actor.ID ?? ''}${attrs ? ` (${attrs})` : ''}`;
}

export function registerSystem(program: Command, ctx: Ctx): void {
  program
    .command('daemon')
    .description('Run tsnetd, the daemon serving the Docker Engine API')
    .option('-H, --host <unix://path>', 'socket to listen on (default unix:///run/tsnet/tsnet.sock, env TSNET_HOST)')
    .option('--data-root <dir>', 'root directory of persistent state (default /var/lib/tsnet, or data-root in daemon.json)')
    .option('--config, --config-file <file>', 'daemon configuration file (default /etc/tsnet/daemon.json)')
    .action(async (flags: { host?: string; dataRoot?: string; configFile?: string }) => {
      const host = flags.host ?? program.opts<{ host?: string }>().host ?? process.env.TSNET_HOST;
      // Loaded only here: the daemon pulls in every package, the client commands need none of them.
      const daemonModule = '../../daemon/index.js';
      const { runDaemon } = (await import(daemonModule)) as RunDaemon;
      await runDaemon({
        ...(flags.dataRoot ? { dataRoot: flags.dataRoot } : {}),
        ...(host ? { host } : {}),
        ...(flags.configFile ? { configPath: flags.configFile } : {}),
      });
      // Handles (netlink sockets, timers) may outlive the stop; the daemon is done, so is the process.
      process.exit(process.exitCode ?? 0);
    });

  program
    .command('events')
    .description('Get real time events from the server')
    .option('-f, --filter <filter>', 'filter output based on conditions provided', collect)
    .option('--since <time>', 'show all events created since timestamp')
    .option('--until <time>', 'stream events until this timestamp')
    .option('--format <format>', 'json or a Go template')
    .action(async (flags: { filter?: string[]; since?: string; until?: string; format?: string }) => {
      const stream = await ctx.client().stream('GET', '/events', { query: { filters: parseFilters(flags.filter), since: flags.since, until: flags.until } });
      const template = flags.format && flags.format !== 'json' ? parseTemplate(flags.format) : undefined;
      for await (const event of jsonLines(stream)) {
        const line = flags.format === 'json' ? JSON.stringify(event) : template ? template.execute(event) : formatEvent(event);
        process.stdout.write(`${line}\n`);
      }
    });

  program
    .command('version')
    .description('Show the daemon version information')
    .option('-f, --format <template>', 'format the output using a Go template')
    .action(async (flags: { format?: string }) => {
      const v = await ctx.client().json<Record<string, unknown>>('GET', '/version');
      process.stdout.write(flags.format ? `${parseTemplate(flags.format).execute(v)}\n` : `${JSON.stringify(v, null, 2)}\n`);
    });

  program
    .command('info')
    .description('Display system-wide information')
    .option('-f, --format <template>', 'format the output using a Go template')
    .action(async (flags: { format?: string }) => {
      const v = await ctx.client().json<Record<string, unknown>>('GET', '/info');
      process.stdout.write(flags.format ? `${parseTemplate(flags.format).execute(v)}\n` : `${JSON.stringify(v, null, 2)}\n`);
    });
}
