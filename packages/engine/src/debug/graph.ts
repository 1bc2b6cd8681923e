/**
 * The topology as a picture: networks (with their bridge and subnet), containers, the veth pairs
 * between them (from the kernel when it can be read, else from the API), and published ports as
 * edges from the host. DOT for Graphviz (SVG through `dot -Tsvg`), or Mermaid for Markdown.
 */
import { spawnSync } from 'node:child_process';
import type { BridgesReport } from './bridges.js';
import type { Model } from './model.js';

export interface Topology {
  networks: Array<{ id: string; label: string; driver: string; gateway: string }>;
  containers: Array<{ id: string; label: string; running: boolean }>;
  links: Array<{ container: string; network: string; label: string }>;
  ports: Array<{ container: string; label: string }>;
}

const safeId = (prefix: string, id: string): string => `${prefix}_${id.replace(/[^A-Za-z0-9_]/g, '_')}`;

export function topology(model: Model, kernel: BridgesReport | undefined): Topology {
  const vethOf = (container: string, bridge: string | undefined): string | undefined =>
    kernel?.bridges.find((b) => b.name === bridge)?.ports.find((p) => p.container.split(',').includes(container))?.port;
  const t: Topology = { networks: [], containers: [], links: [], ports: [] };
  // host and none are modes rather than places; the containers using them say so in their label.
  for (const n of model.networks.filter((x) => x.driver !== 'host' && x.driver !== 'null')) {
    const where = n.bridge ? `bridge ${n.bridge}` : n.driver;
    t.networks.push({ gateway: n.gateways.length ? `gateway ${n.gateways.join(' ')}` : 'gateway', id: safeId('net', n.name), label: `${n.name}\n${where}${n.subnets.length ? `\n${n.subnets.join(' ')}` : ''}${n.internal ? '\ninternal' : ''}`, driver: n.driver });
  }
  for (const c of model.containers) {
    const special = c.endpoints.length === 0 || ['host', 'none'].includes(c.networkMode) || c.networkMode.startsWith('container:');
    const mode = special ? `\n--network ${c.networkMode}` : '';
    t.containers.push({ id: safeId('ctr', c.name), label: `${c.name}${c.running ? '' : ' (stopped)'}${mode}`, running: c.running });
    for (const e of c.endpoints) {
      const net = model.networks.find((n) => n.id === e.networkId);
      if (!net || net.driver === 'host' || net.driver === 'null') continue;
      const veth = vethOf(c.name, net.bridge);
      const ip = e.ip ? `${e.ip}/${e.prefixLen}` : '';
      t.links.push({ container: safeId('ctr', c.name), network: safeId('net', net.name), label: [`eth ${ip}`, veth ? `veth ${veth}` : ''].filter(Boolean).join('\n') });
    }
    for (const p of c.ports) {
      t.ports.push({ container: safeId('ctr', c.name), label: `${p.hostIp || '0.0.0.0'}:${p.hostPort} → ${p.containerPort}/${p.proto}` });
    }
  }
  return t;
}

const dotQuote = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

export function toDot(t: Topology): string {
  const lines = ['digraph tsnet {', '  rankdir=LR;', '  node [fontname="Helvetica", fontsize=11];', '  edge [fontname="Helvetica", fontsize=9, dir=none];'];
  lines.push('  host [label="host namespace\\n(tsnetd)", shape=box3d, style=filled, fillcolor="#eeeeee"];');
  for (const n of t.networks) lines.push(`  ${n.id} [label=${dotQuote(n.label)}, shape=box, style="rounded,filled", fillcolor="#dbeafe"];`);
  for (const c of t.containers) lines.push(`  ${c.id} [label=${dotQuote(c.label)}, shape=component, style=filled, fillcolor=${c.running ? '"#dcfce7"' : '"#f3f4f6"'}];`);
  for (const n of t.networks) if (n.driver === 'bridge') lines.push(`  host -> ${n.id} [style=dashed, label=${dotQuote(n.gateway)}];`);
  for (const l of t.links) lines.push(`  ${l.network} -> ${l.container} [label=${dotQuote(l.label)}];`);
  for (const p of t.ports) lines.push(`  host -> ${p.container} [color="#dc2626", fontcolor="#dc2626", dir=forward, label=${dotQuote(p.label)}];`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

const mmd = (s: string): string => `"${s.replace(/"/g, "'").replace(/\n/g, '<br/>')}"`;

export function toMermaid(t: Topology): string {
  const lines = ['flowchart LR', `  host[${mmd('host namespace\n(tsnetd)')}]`];
  for (const n of t.networks) lines.push(`  ${n.id}[${mmd(n.label)}]`);
  for (const c of t.containers) lines.push(`  ${c.id}([${mmd(c.label)}])`);
  for (const n of t.networks) if (n.driver === 'bridge') lines.push(`  host -. ${n.gateway.replace(/[^\w. ]/g, '')} .- ${n.id}`);
  for (const l of t.links) lines.push(`  ${l.network} ---|${mmd(l.label)}| ${l.container}`);
  for (const p of t.ports) lines.push(`  host ==>|${mmd(p.label)}| ${p.container}`);
  return `${lines.join('\n')}\n`;
}

/** Graphviz renders the DOT; a missing `dot` is named with the package that provides it. */
export function toSvg(dot: string): string {
  const r = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw new Error(`cannot run Graphviz "dot" (apt-get install graphviz): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`dot -Tsvg failed: ${r.stderr.trim()}`);
  return r.stdout;
}
