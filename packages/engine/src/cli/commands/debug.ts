import type { Command } from 'commander';
import { type Ctx } from '../context.js';
import { printJson, table } from '../output.js';
import { formatEvent } from './system.js';
import { jsonLines } from '../streams.js';

type DebugModule = typeof import('../../debug/index.js');

/** Loaded on first use: debug pulls in the netlink layer and the firewall, the client needs neither. */
async function load(): Promise<DebugModule> {
  return import('../../debug/index.js');
}

interface Common {
  netns?: string;
  format?: string;
}

const json = (flags: Common): boolean => flags.format === 'json';

async function withKernel<T>(fn: (d: DebugModule) => Promise<T>): Promise<T> {
  const d = await load();
  try {
    return await fn(d);
  } finally {
    d.closeKernel();
  }
}

function registerBridges(debug: Command, ctx: Ctx): void {
  debug
    .command('bridges')
    .description("every bridge, its ports, each veth's peer namespace, container, address, MAC and state")
    .option('--netns <name>', 'inspect another network namespace (default: this one, where the daemon runs)')
    .option('--format <format>', 'table or json')
    .option('--no-daemon', 'kernel only: do not ask the daemon who owns what')
    .action(async (flags: Common & { daemon: boolean }) =>
      withKernel(async (d) => {
        const model = flags.daemon ? await d.loadModel(ctx.client()).catch(() => undefined) : undefined;
        const report = await d.bridges(d.whereOf(flags.netns), model);
        if (json(flags)) return printJson(report);
        if (report.bridges.length === 0) process.stdout.write(`no bridges in ${report.where}\n`);
        for (const b of report.bridges) {
          process.stdout.write(`${b.name}${b.network ? ` (network ${b.network})` : ''}  ${b.state}  ${b.mac}  ${b.addresses.join(' ')}\n`);
          if (b.ports.length === 0) {
            process.stdout.write('  (no ports)\n\n');
            continue;
          }
          const rows = b.ports.map((p) => [p.port, p.state, p.mac, p.peerNs, p.peerIf, p.container, p.address, p.peerMac]);
          process.stdout.write(`${table(['PORT', 'STATE', 'MAC', 'PEER NETNS', 'PEER IF', 'CONTAINER', 'ADDRESS', 'PEER MAC'], rows).replace(/^/gm, '  ')}\n\n`);
        }
      }),
    );
}

function registerFirewall(debug: Command, ctx: Ctx): void {
  debug
    .command('firewall')
    .alias('iptables')
    .description("tsnet's rules (nftables or iptables, whichever is active) with owner, counters, drift, and what Docker would have written")
    .option('--network <network>', 'only the rules of this network')
    .option('--netns <name>', 'inspect another network namespace')
    .option('--format <format>', 'table or json')
    .action(async (flags: Common & { network?: string }) =>
      withKernel(async (d) => {
        const model = await d.loadModel(ctx.client());
        const r = await d.firewallReport(ctx.client(), model, d.whereOf(flags.netns), flags.network);
        if (json(flags)) return printJson(r);
        process.stdout.write(`backend: ${r.backend} (in ${r.where})\n\n`);
        const rows = r.rules.map((x) => [`ip${x.family === 6 ? '6' : ''} ${x.table}`, x.chain, x.owner, x.packets, x.rule]);
        process.stdout.write(`${table(['TABLE', 'CHAIN', 'OWNER', 'PACKETS', 'RULE'], rows)}\n\n`);
        const wantedFrom = r.wantedFrom === 'daemon' ? "the daemon's wanted state" : 'the state rebuilt from the API';
        if (r.drift.missing.length === 0 && r.drift.extra.length === 0) process.stdout.write(`drift: none (kernel matches ${wantedFrom})\n`);
        for (const m of r.drift.missing) process.stdout.write(`drift: MISSING ${m.table}/${m.chain}: ${m.text}\n`);
        for (const e of r.drift.extra) process.stdout.write(`drift: EXTRA   ${e.table}/${e.chain}: ${e.text}\n`);
        process.stdout.write(`\nwhat Docker 20.10 would have written (iptables-save, IPv4):\n${r.docker.v4 || '(nothing)'}\n`);
        if (r.docker.v6) process.stdout.write(`\nIPv6:\n${r.docker.v6}\n`);
      }),
    );
}

function registerTrace(debug: Command, ctx: Ctx): void {
  debug
    .command('trace')
    .description("the path from FROM to TO hop by hop with each verdict, confirmed by a live probe: why can't A reach B")
    .argument('<from>', 'container (or a network namespace name)')
    .argument('<to>', 'container or IP address')
    .option('--port <port>', 'probe this TCP/UDP port instead of ping')
    .option('--proto <proto>', 'tcp or udp', 'tcp')
    .option('--netns <name>', "the daemon's namespace, if not this one")
    .option('--format <format>', 'table or json')
    .action(async (from: string, to: string, flags: Common & { port?: string; proto: string }) =>
      withKernel(async (d) => {
        if (flags.proto !== 'tcp' && flags.proto !== 'udp') throw new Error(`invalid --proto "${flags.proto}": tcp or udp`);
        const port = flags.port === undefined ? undefined : Number(flags.port);
        if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new Error(`invalid --port "${flags.port}"`);
        const model = await d.loadModel(ctx.client());
        const r = await d.trace(model, d.whereOf(flags.netns), from, to, { ...(port ? { port } : {}), proto: flags.proto });
        ctx.setExit(r.probe.ok ? 0 : 1);
        if (json(flags)) return printJson(r);
        process.stdout.write(`trace ${r.from} → ${r.to} (${r.target}${r.port ? ` ${r.proto}/${r.port}` : ', icmp'})\n\n`);
        const mark = { pass: 'PASS', drop: 'DROP', info: 'INFO' } as const;
        process.stdout.write(`${table(['#', 'HOP', 'VERDICT', 'DETAIL'], r.hops.map((h, i) => [i + 1, h.step, mark[h.verdict], h.detail]))}\n\n`);
        process.stdout.write(`predicted: ${r.predicted}\nprobe:     ${r.probe.ok ? 'REACHED' : 'FAILED'}  (${r.probe.command})\n`);
        if (r.probe.output) process.stdout.write(`${r.probe.output.replace(/^/gm, '           ')}\n`);
        if (r.counters.length) {
          process.stdout.write('\nrules the probe hit (counters moved):\n');
          process.stdout.write(`${table(['TABLE', 'CHAIN', '+PACKETS', 'RULE'], r.counters.map((c) => [c.table, c.chain, c.packets, c.rule]))}\n`);
        }
        if ((r.predicted === 'reachable') !== r.probe.ok) process.stdout.write('\nnote: the probe disagrees with the prediction (a service not listening, or state the model does not see)\n');
      }),
    );
}

function registerGraph(debug: Command, ctx: Ctx): void {
  debug
    .command('graph')
    .description('the topology as a picture: networks/bridges, containers, veths, published ports')
    .option('--format <format>', 'dot, svg or mermaid', 'dot')
    .option('--netns <name>', "the daemon's namespace, if not this one")
    .action(async (flags: Common & { format: string }) =>
      withKernel(async (d) => {
        if (!['dot', 'svg', 'mermaid'].includes(flags.format)) throw new Error(`invalid --format "${flags.format}": dot, svg or mermaid`);
        const model = await d.loadModel(ctx.client());
        const kernel = await d.bridges(d.whereOf(flags.netns), model).catch(() => undefined);
        const t = d.topology(model, kernel);
        const out = flags.format === 'mermaid' ? d.toMermaid(t) : flags.format === 'svg' ? d.toSvg(d.toDot(t)) : d.toDot(t);
        process.stdout.write(out);
      }),
    );
}

function registerRest(debug: Command, ctx: Ctx): void {
  debug
    .command('dns')
    .description("query the embedded DNS server from inside a container's namespace")
    .argument('<name>', 'a name (or an IP address for PTR)')
    .requiredOption('--from <container>', 'ask as this container')
    .option('--type <type>', 'A, AAAA, PTR, MX, ...')
    .option('--server <ip>', "DNS server (default: the container's resolv.conf)")
    .option('--netns <name>', "the daemon's namespace (accepted for symmetry: the query runs in the container's own)")
    .option('--format <format>', 'text or json')
    .action(async (name: string, flags: Common & { from: string; type?: string; server?: string }) =>
      withKernel(async (d) => {
        const model = await d.loadModel(ctx.client());
        const r = await d.dnsQuery(ctx.client(), model, name, flags.from, { ...(flags.type ? { type: flags.type } : {}), ...(flags.server ? { server: flags.server } : {}) });
        ctx.setExit(r.status === 'NOERROR' && r.answers.length > 0 ? 0 : 1);
        if (json(flags)) return printJson(r);
        process.stdout.write(`${r.container} asks ${r.server}: ${r.type} ${r.name} → ${r.status}\n`);
        for (const a of r.answers) process.stdout.write(`  ${a}\n`);
      }),
    );

  debug
    .command('doctor')
    .description('ip_forward, br_netfilter, iptables flavour, pool/route conflicts, leaked veths, namespaces and rules')
    .option('--netns <name>', "the daemon's namespace, if not this one")
    .option('--format <format>', 'table or json')
    .action(async (flags: Common) =>
      withKernel(async (d) => {
        const model = await d.loadModel(ctx.client());
        const findings = await d.doctor(d.whereOf(flags.netns), model);
        ctx.setExit(findings.some((f) => f.status === 'fail') ? 1 : 0);
        if (json(flags)) return printJson(findings);
        process.stdout.write(`${table(['CHECK', 'STATUS', 'DETAIL'], findings.map((f) => [f.check, f.status.toUpperCase(), f.detail]))}\n`);
      }),
    );

  debug
    .command('events')
    .description('live stream of the daemon events')
    .option('--format <format>', 'text or json')
    .action(async (flags: Common) => {
      const stream = await ctx.client().stream('GET', '/events');
      for await (const e of jsonLines(stream)) process.stdout.write(`${json(flags) ? JSON.stringify(e) : formatEvent(e)}\n`);
    });
}

export function registerDebug(program: Command, ctx: Ctx): void {
  const debug = program.command('debug').description('look inside: bridges, firewall, trace, graph, dns, doctor, events');
  registerBridges(debug, ctx);
  registerFirewall(debug, ctx);
  registerTrace(debug, ctx);
  registerGraph(debug, ctx);
  registerRest(debug, ctx);
}
