import type { Command } from 'commander';
import { collect, eachName, printInspect, printList, type Ctx } from '../context.js';
import { shortId } from '../output.js';
import { networkConnectBody, networkCreateBody, parseFilters, type NetworkCreateFlags } from '../parse/index.js';
import { confirm } from './prompt.js';

interface NetworkSummary {
  Id: string;
  Name: string;
  Driver: string;
  Scope: string;
}

export function registerNetwork(program: Command, ctx: Ctx): void {
  const network = program.command('network').description('Manage networks');

  network
    .command('create')
    .description('Create a network')
    .argument('<name>')
    .option('-d, --driver <driver>', 'driver to manage the network', 'bridge')
    .option('--subnet <cidr>', 'subnet in CIDR format (repeatable)', collect)
    .option('--gateway <ip>', 'gateway for the master subnet (repeatable)', collect)
    .option('--ip-range <cidr>', 'allocate container IPs from a sub-range (repeatable)', collect)
    .option('--aux-address <name=ip>', 'auxiliary addresses used by the network driver (repeatable)', collect)
    .option('-o, --opt <key=value>', 'driver specific options (repeatable)', collect)
    .option('--label <key=value>', 'metadata on the network (repeatable)', collect)
    .option('--ipam-driver <driver>', 'IP address management driver', 'default')
    .option('--ipam-opt <key=value>', 'IPAM driver options (repeatable)', collect)
    .option('--internal', 'restrict external access to the network')
    .option('--attachable', 'enable manual container attachment')
    .option('--ipv6', 'enable IPv6 networking')
    .option('--scope <scope>', 'network scope (local or global)')
    .action(async (name: string, flags: NetworkCreateFlags) => {
      const body = networkCreateBody(name, flags);
      const res = await ctx.client().json<{ Id: string; Warning?: string }>('POST', '/networks/create', { body });
      if (res.Warning) process.stderr.write(`WARNING: ${res.Warning}\n`);
      process.stdout.write(`${res.Id}\n`);
    });

  network
    .command('ls')
    .alias('list')
    .description('List networks')
    .option('-f, --filter <filter>', 'filter output (e.g. driver=bridge, name=foo)', collect)
    .option('--format <format>', 'table, json or a Go template')
    .option('-q, --quiet', 'only display network IDs')
    .option('--no-trunc', 'do not truncate the output')
    .action(async (flags: { filter?: string[]; format?: string; quiet?: boolean; trunc: boolean }) => {
      const list = await ctx.client().json<NetworkSummary[]>('GET', '/networks', { query: { filters: parseFilters(flags.filter) } });
      list.sort((a, b) => a.Name.localeCompare(b.Name));
      const id = (n: NetworkSummary): string => (flags.trunc ? shortId(n.Id) : n.Id);
      printList(list, flags.format, flags.quiet ?? false, {
        head: ['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'],
        row: (n) => [id(n), n.Name, n.Driver, n.Scope],
        id,
      });
    });

  network
    .command('inspect')
    .description('Display detailed information on one or more networks')
    .argument('<network...>')
    .option('-f, --format <template>', 'format the output using a Go template')
    .option('-v, --verbose', 'verbose output for diagnostics')
    .action(async (names: string[], flags: { format?: string; verbose?: boolean }) => {
      const found: unknown[] = [];
      await eachName(ctx, names, async (name) => {
        found.push(await ctx.client().json('GET', `/networks/${encodeURIComponent(name)}`, { query: { verbose: flags.verbose } }));
      });
      if (found.length) printInspect(found, flags.format);
    });

  network
    .command('rm')
    .alias('remove')
    .description('Remove one or more networks')
    .argument('<network...>')
    .option('-f, --force', 'do not error if the network does not exist')
    .action(async (names: string[], flags: { force?: boolean }) => {
      await eachName(ctx, names, async (name) => {
        try {
          await ctx.client().json('DELETE', `/networks/${encodeURIComponent(name)}`);
        } catch (error) {
          if (flags.force && (error as { status?: number }).status === 404) return;
          throw error;
        }
        process.stdout.write(`${name}\n`);
      });
    });

  network
    .command('prune')
    .description('Remove all unused networks')
    .option('-f, --force', 'do not prompt for confirmation')
    .option('--filter <filter>', 'provide filter values (e.g. until=<timestamp>)', collect)
    .action(async (flags: { force?: boolean; filter?: string[] }) => {
      const ok = flags.force || (await confirm('WARNING! This will remove all custom networks not used by at least one container.'));
      if (!ok) return;
      const res = await ctx.client().json<{ NetworksDeleted: string[] | null }>('POST', '/networks/prune', { query: { filters: parseFilters(flags.filter) } });
      const deleted = res?.NetworksDeleted ?? [];
      if (deleted.length) process.stdout.write(`Deleted Networks:\n${deleted.join('\n')}\n`);
    });

  network
    .command('connect')
    .description('Connect a container to a network')
    .argument('<network>')
    .argument('<container>')
    .option('--ip <address>', 'IPv4 address (e.g. 172.30.100.104)')
    .option('--ip6 <address>', 'IPv6 address')
    .option('--alias <alias>', 'add network-scoped alias for the container (repeatable)', collect)
    .option('--link <container>', 'add link to another container (repeatable)', collect)
    .action(async (net: string, container: string, flags: { ip?: string; ip6?: string; alias?: string[]; link?: string[] }) => {
      const body = networkConnectBody(container, flags);
      await ctx.client().json('POST', `/networks/${encodeURIComponent(net)}/connect`, { body });
    });

  network
    .command('disconnect')
    .description('Disconnect a container from a network')
    .argument('<network>')
    .argument('<container>')
    .option('-f, --force', 'force the container to disconnect from a network')
    .action(async (net: string, container: string, flags: { force?: boolean }) => {
      await ctx.client().json('POST', `/networks/${encodeURIComponent(net)}/disconnect`, { body: { Container: container, Force: flags.force ?? false } });
    });
}
