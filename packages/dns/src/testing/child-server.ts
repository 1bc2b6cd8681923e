/**
 * A DNS server process for netns tests and the benchmark, started inside a namespace with
 * `nsenter --net=... node --conditions=source --import tsx child-server.ts '<json config>'`.
 * Prints one JSON line when ready, then takes JSON commands on stdin (one per line) and answers
 * each with one JSON line, so a test can change scopes and records live.
 */
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { DnsServer, RecordTable, startStubServer, type HolderRecord, type ListenerOptions, type ListenTarget } from '../index.js';

export interface ChildConfig {
  listeners?: ({ id: string } & ListenTarget & ListenerOptions)[];
  holders?: { scope: string; id: string; record: HolderRecord }[];
  /** A dns2 stub upstream: names → IPv4 addresses; anything else NXDOMAIN. */
  stub?: { address: string; port?: number; records: Record<string, string[]>; bigTxt?: string };
  /** A bare dgram responder answering every query with one A record (benchmark upstream). */
  fastResponder?: { address: string; port: number };
}

export type ChildCommand =
  | { cmd: 'setScopes'; listener: string; scopes: string[] }
  | { cmd: 'setHolder'; scope: string; id: string; record: HolderRecord }
  | { cmd: 'removeHolder'; scope: string; id: string }
  | { cmd: 'stats'; listener: string };

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
  const table = new RecordTable();
  for (const h of config.holders ?? []) table.setHolder(h.scope, h.id, h.record);
  const server = new DnsServer({ table });
  const listeners = new Map<string, Awaited<ReturnType<DnsServer['listen']>>>();
  if (config.stub) {
    const { records, bigTxt } = config.stub;
    await startStubServer({
      address: config.stub.address, port: config.stub.port ?? 53,
      answer: (name, type) => {
        if (name.toLowerCase() === 'big.example' && bigTxt) return { answers: Array.from({ length: 40 }, () => ({ type: 'TXT' as const, data: bigTxt })) };
        const addrs = records[name.toLowerCase()];
        if (!addrs) return undefined;
        return { answers: type === 1 ? addrs.map((address) => ({ type: 'A' as const, address })) : [] };
      },
    });
  }
  if (config.fastResponder) startFastResponder(config.fastResponder.address, config.fastResponder.port);
  for (const l of config.listeners ?? []) listeners.set(l.id, await server.listen(l));
  const out = (o: unknown): void => void process.stdout.write(JSON.stringify(o) + '\n');
  out({ ready: true, listeners: Object.fromEntries([...listeners].map(([id, l]) => [id, l.address])) });
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    try {
      const c = JSON.parse(line) as ChildCommand;
      if (c.cmd === 'setScopes') listeners.get(c.listener)!.setScopes(c.scopes);
      else if (c.cmd === 'setHolder') table.setHolder(c.scope, c.id, c.record);
      else if (c.cmd === 'removeHolder') table.removeHolder(c.scope, c.id);
      out({ ok: true, ...(c.cmd === 'stats' ? { stats: listeners.get(c.listener)!.stats() } : {}) });
    } catch (err) {
      out({ ok: false, error: String(err) });
    }
  }
  await server.close();
  process.exit(0);
}

/** Answers any query with 192.0.2.1: header patched, question echoed, one A record. */
function startFastResponder(address: string, port: number): void {
  const sock = createSocket('udp4');
  const rr = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
  sock.on('message', (msg, rinfo) => {
    if (msg.length < 17) return;
    let i = 12;
    while (i < msg.length && msg[i] !== 0) i += msg[i]! + 1;
    const qEnd = i + 5;
    if (qEnd > msg.length) return;
    const out = Buffer.allocUnsafe(qEnd + rr.length);
    msg.copy(out, 0, 0, qEnd);
    out[2] = 0x81;
    out[3] = 0x80;
    out.writeUInt16BE(1, 6);
    out.writeUInt32BE(0, 8);
    rr.copy(out, qEnd);
    sock.send(out, rinfo.port, rinfo.address);
  });
  sock.bind(port, address);
}

void main().catch((err: unknown) => {
  process.stdout.write(JSON.stringify({ ready: false, error: String(err) }) + '\n');
  process.exit(1);
});
