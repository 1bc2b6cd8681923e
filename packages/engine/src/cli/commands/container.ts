import type { Command } from 'commander';
import { collect, eachName, printList, type Ctx } from '../context.js';
import { ago, shortId, spin } from '../output.js';
import { parseEnv, parseFilters } from '../parse/index.js';
import { copyStream } from '../streams.js';

interface PortSummary {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  Command: string;
  Created: number;
  State: string;
  Status: string;
  Ports: PortSummary[] | null;
}

/** "0.0.0.0:8080->80/tcp, 443/tcp" as in `docker ps`. */
export function formatPorts(ports: PortSummary[] | null | undefined): string {
  return (ports ?? [])
    .map((p) => (p.PublicPort ? `${p.IP?.includes(':') ? `[${p.IP}]` : (p.IP ?? '0.0.0.0')}:${p.PublicPort}->${p.PrivatePort}/${p.Type}` : `${p.PrivatePort}/${p.Type}`))
    .join(', ');
}

function registerPs(program: Command, ctx: Ctx): void {
  program
    .command('ps')
    .description('List containers')
    .option('-a, --all', 'show all containers (default shows just running)')
    .option('-q, --quiet', 'only display container IDs')
    .option('-f, --filter <filter>', 'filter output based on conditions provided', collect)
    .option('--format <format>', 'table, json or a Go template')
    .option('--no-trunc', "don't truncate output")
    .action(async (flags: { all?: boolean; quiet?: boolean; filter?: string[]; format?: string; trunc: boolean }) => {
      const list = await ctx.client().json<ContainerSummary[]>('GET', '/containers/json', { query: { all: flags.all, filters: parseFilters(flags.filter) } });
      const id = (c: ContainerSummary): string => (flags.trunc ? shortId(c.Id) : c.Id);
      const command = (c: ContainerSummary): string => JSON.stringify(flags.trunc && c.Command.length > 20 ? `${c.Command.slice(0, 19)}…` : c.Command);
      printList(list, flags.format, flags.quiet ?? false, {
        head: ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'],
        row: (c) => [id(c), c.Image, command(c), ago(c.Created), c.Status, formatPorts(c.Ports), c.Names.map((n) => n.replace(/^\//, '')).join(',')],
        id,
      });
    });
}

function registerLifecycle(program: Command, ctx: Ctx): void {
  program
    .command('stop')
    .description('Stop one or more running containers')
    .argument('<container...>')
    .option('-t, --time <seconds>', 'seconds to wait before killing the container')
    .option('-s, --signal <signal>', 'signal to send to the container')
    .action(async (names: string[], flags: { time?: string; signal?: string }) => {
      if (flags.time !== undefined && !/^-?\d+$/.test(flags.time)) throw new Error(`invalid --time "${flags.time}": expected whole seconds`);
      await spin(`stopping ${names.join(', ')}`, () =>
        eachName(ctx, names, async (name) => {
          await ctx.client().json('POST', `/containers/${encodeURIComponent(name)}/stop`, { query: { t: flags.time, signal: flags.signal } });
          process.stdout.write(`${name}\n`);
        }),
      );
    });

  program
    .command('kill')
    .description('Kill one or more running containers')
    .argument('<container...>')
    .option('-s, --signal <signal>', 'signal to send to the container', 'KILL')
    .action(async (names: string[], flags: { signal: string }) => {
      await eachName(ctx, names, async (name) => {
        await ctx.client().json('POST', `/containers/${encodeURIComponent(name)}/kill`, { query: { signal: flags.signal } });
        process.stdout.write(`${name}\n`);
      });
    });

  program
    .command('rm')
    .description('Remove one or more containers')
    .argument('<container...>')
    .option('-f, --force', 'force the removal of a running container (uses SIGKILL)')
    .option('-v, --volumes', 'remove anonymous volumes associated with the container')
    .option('-l, --link', 'remove the specified link')
    .action(async (names: string[], flags: { force?: boolean; volumes?: boolean; link?: boolean }) => {
      await eachName(ctx, names, async (name) => {
        await ctx.client().json('DELETE', `/containers/${encodeURIComponent(name)}`, { query: { force: flags.force, v: flags.volumes, link: flags.link } });
        process.stdout.write(`${name}\n`);
      });
    });
}

function registerIo(program: Command, ctx: Ctx): void {
  program
    .command('logs')
    .description('Fetch the logs of a container')
    .argument('<container>')
    .option('-f, --follow', 'follow log output')
    .option('-t, --timestamps', 'show timestamps')
    .option('-n, --tail <lines>', 'number of lines to show from the end of the logs', 'all')
    .option('--since <time>', 'show logs since timestamp or relative (e.g. 42m)')
    .action(async (name: string, flags: { follow?: boolean; timestamps?: boolean; tail: string; since?: string }) => {
      const client = ctx.client();
      const info = await client.json<{ Config: { Tty: boolean } }>('GET', `/containers/${encodeURIComponent(name)}/json`);
      const stream = await client.stream('GET', `/containers/${encodeURIComponent(name)}/logs`, {
        query: { stdout: true, stderr: true, follow: flags.follow, timestamps: flags.timestamps, tail: flags.tail, since: flags.since },
      });
      await copyStream(stream, info.Config.Tty);
    });

  program
    .command('exec')
    .description('Execute a command in a running container')
    .argument('<container>')
    .argument('<command...>')
    .passThroughOptions()
    .option('-d, --detach', 'detached mode: run command in the background')
    .option('-e, --env <KEY=VALUE>', 'set environment variables (repeatable)', collect)
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user>', 'username or UID')
    .option('-t, --tty', 'allocate a pseudo-TTY')
    .option('-i, --interactive', 'keep STDIN open (accepted; input is not forwarded)')
    .option('--privileged', 'give extended privileges to the command')
    .action(async (name: string, cmd: string[], flags: { detach?: boolean; env?: string[]; workdir?: string; user?: string; tty?: boolean; privileged?: boolean }) => {
      const client = ctx.client();
      const body = {
        AttachStdin: false,
        AttachStdout: !flags.detach,
        AttachStderr: !flags.detach,
        Tty: flags.tty ?? false,
        Cmd: cmd,
        Env: parseEnv(flags.env),
        WorkingDir: flags.workdir ?? '',
        User: flags.user ?? '',
        Privileged: flags.privileged ?? false,
      };
      const exec = await client.json<{ Id: string }>('POST', `/containers/${encodeURIComponent(name)}/exec`, { body });
      if (flags.detach) {
        await client.json('POST', `/exec/${exec.Id}/start`, { body: { Detach: true, Tty: body.Tty } });
        return;
      }
      const stream = await client.hijack(`/exec/${exec.Id}/start`, { body: { Detach: false, Tty: body.Tty } });
      await copyStream(stream, body.Tty);
      const info = await client.json<{ ExitCode: number | null; Running: boolean }>('GET', `/exec/${exec.Id}/json`);
      ctx.setExit(info.ExitCode ?? 0);
    });

  program
    .command('port')
    .description('List port mappings or a specific mapping for the container')
    .argument('<container>')
    .argument('[port]', 'PRIVATE_PORT[/PROTO]')
    .action(async (name: string, port: string | undefined) => {
      const info = await ctx.client().json<{ Name: string; NetworkSettings: { Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null } }>(
        'GET',
        `/containers/${encodeURIComponent(name)}/json`,
      );
      const ports = info.NetworkSettings.Ports ?? {};
      const wanted = port === undefined ? undefined : port.includes('/') ? port : `${port}/tcp`;
      if (wanted && !/^\d+\/(tcp|udp|sctp)$/.test(wanted)) throw new Error(`invalid port "${port}": expected PORT[/PROTO]`);
      const lines: string[] = [];
      for (const key of Object.keys(ports).sort((a, b) => parseInt(a) - parseInt(b))) {
        if (wanted && key !== wanted) continue;
        for (const b of ports[key] ?? []) {
          const host = `${b.HostIp.includes(':') ? `[${b.HostIp}]` : b.HostIp || '0.0.0.0'}:${b.HostPort}`;
          lines.push(wanted ? host : `${key} -> ${host}`);
        }
      }
      if (wanted && lines.length === 0) throw new Error(`no public port '${wanted}' published for ${info.Name.replace(/^\//, '')}`);
      if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
    });
}

export function registerContainer(program: Command, ctx: Ctx): void {
  registerPs(program, ctx);
  registerLifecycle(program, ctx);
  registerIo(program, ctx);
}
