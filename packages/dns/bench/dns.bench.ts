/**
 * `npm run bench -- dns`: dnsperf inside a fresh namespace against the server at 127.0.0.11:53
 * (its own process in that namespace, as for a sandbox), 4 clients, 10 s.
 *   dns.qps / dns.avg_ms   names in the table (dnsperf's own figures)
 *   dns.p99_ms             dnsperf 2.10 prints no percentiles: a second 4 s run with -v logs
 *                          every query's latency, and the 99th percentile is taken from that log
 *   dns.forward_qps        names not in the table, forwarded to a bare UDP responder in the
 *                          same namespace (10.53.0.53)
 *   dns.bare_dgram_qps     a bare Node dgram responder measured the same way in the same run:
 *                          the machine's ceiling at that moment (the machine is shared)
 * Docker's embedded resolver is measured in the same run when dockerd can be started
 * (bench/docker.ts; TSNET_BENCH_DOCKER=0 skips it): dns.qps and dns.avg_ms then carry Docker's
 * figures and ratio_vs_docker (for avg_ms, below 1 is better). The figure for this machine
 * kind is 34,947 QPS at 2.47 ms.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestNs, reportBench } from '@tsnet/testkit';
import { startChild, type DnsChild } from '../src/testing/child.js';
import { measureDocker } from './docker.js';

const UP = '10.53.0.53';
const NAMES = 100;

function dnsperf(ns: ReturnType<typeof createTestNs>, file: string, seconds: number, extra = '', server = '127.0.0.11'): string {
  return ns.sh(`dnsperf -s ${server} -d ${file} -c 4 -l ${seconds} ${extra} 2>&1`);
}

function figure(out: string, label: RegExp): number {
  const m = label.exec(out);
  if (!m) throw new Error(`dnsperf output without ${label}:\n${out}`);
  return Number(m[1]);
}

function p99FromVerbose(log: string): number {
  const lat = log.split('\n').filter((l) => l.startsWith('> ')).map((l) => Number(l.trim().split(/\s+/).pop()));
  lat.sort((a, b) => a - b);
  return lat[Math.floor(lat.length * 0.99)]! * 1000;
}

async function main(): Promise<void> {
  const ns = createTestNs('tsnet-dnsbench');
  const dir = mkdtempSync(join(tmpdir(), 'tsnet-dnsbench-'));
  const children: DnsChild[] = [];
  try {
    ns.sh(`ip addr add ${UP}/32 dev lo`);
    children.push(await startChild(ns, { fastResponder: { address: UP, port: 53 } }));
    // The floor of what Node can do on this machine right now, for context: a bare dgram responder.
    const bare = await startChild(ns, { fastResponder: { address: '127.0.0.12', port: 53 } });
    children.push(bare);
    const holders = Array.from({ length: NAMES }, (_, i) => ({
      scope: 'bench', id: `ep${i}`,
      record: { names: [`c${i}`, `c${i}.bench`, ...(i < 4 ? ['svc'] : [])], addresses: [`10.0.${i >> 8}.${(i & 255) + 1}`] },
    }));
    children.push(await startChild(ns, {
      holders,
      listeners: [{ id: 'l', address: '127.0.0.11', port: 53, scopes: ['bench'], upstreams: [{ address: UP }] }],
    }));
    const local = join(dir, 'local.txt');
    writeFileSync(local, [...Array.from({ length: NAMES }, (_, i) => `c${i} A`), 'svc A', 'c1.bench A'].join('\n') + '\n');
    const forward = join(dir, 'forward.txt');
    writeFileSync(forward, Array.from({ length: NAMES }, (_, i) => `f${i}.example A`).join('\n') + '\n');

    const bareQps = figure(dnsperf(ns, local, 10, '', '127.0.0.12'), /Queries per second:\s+([\d.]+)/);
    await bare.stop();
    const run = dnsperf(ns, local, 10);
    const qps = figure(run, /Queries per second:\s+([\d.]+)/);
    const avgMs = figure(run, /Average Latency \(s\):\s+([\d.]+)/) * 1000;
    const lost = figure(run, /Queries lost:\s+(\d+)/);
    const verbose = join(dir, 'verbose.log');
    dnsperf(ns, local, 4, `-v > ${verbose}`);
    const p99 = p99FromVerbose(readFileSync(verbose, 'utf8'));
    const fwd = dnsperf(ns, forward, 10);
    const fwdQps = figure(fwd, /Queries per second:\s+([\d.]+)/);
    const fwdAvg = figure(fwd, /Average Latency \(s\):\s+([\d.]+)/) * 1000;
    for (const c of children.splice(0)) await c.stop();
    const docker = await measureDocker(dir, 10).catch((err: unknown) => {
      console.error(`# docker not measured: ${String(err)}`);
      return undefined;
    });
    if (!docker) console.error('# docker not measured (dockerd unavailable or failed to start)');
    console.error(`# local: lost ${lost}; forwarded: ${fwd.match(/Response codes:.*$/m)?.[0] ?? ''}`);
    reportBench('dns', [
      { name: 'dns.qps', value: Math.round(qps), unit: 'queries/s', target: '>= 45000 (Docker 34947)', ...(docker ? { docker: Math.round(docker.qps) } : {}) },
      { name: 'dns.avg_ms', value: avgMs, unit: 'ms', target: '< 2.47 (Docker)', ...(docker ? { docker: docker.avgMs } : {}) },
      { name: 'dns.p99_ms', value: p99, unit: 'ms' },
      { name: 'dns.forward_qps', value: Math.round(fwdQps), unit: 'queries/s' },
      { name: 'dns.forward_avg_ms', value: fwdAvg, unit: 'ms' },
      { name: 'dns.bare_dgram_qps', value: Math.round(bareQps), unit: 'queries/s', target: 'reference: a bare Node dgram responder, same run' },
    ]);
  } finally {
    for (const c of children) await c.stop();
    ns.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
