import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TestNs } from '@tsnet/testkit';
import type { ChildCommand, ChildConfig } from './child-server.js';

const script = fileURLToPath(new URL('./child-server.ts', import.meta.url));

/** A child-server.ts process inside a test namespace, with a line-based request/reply channel. */
export interface DnsChild {
  readonly listeners: Record<string, { address: string; udpPort: number; tcpPort: number }>;
  send(c: ChildCommand): Promise<{ ok: boolean; stats?: Record<string, number>; error?: string }>;
  stop(): Promise<void>;
}

export async function startChild(ns: TestNs, config: ChildConfig): Promise<DnsChild> {
  const proc: ChildProcess = ns.spawn([process.execPath, '--conditions=source', '--import', 'tsx', script, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const timeout = new Promise<never>((_, rej) => setTimeout(() => rej(new Error('dns child did not answer')), 20_000).unref());
    const r = await Promise.race([lines.next(), timeout]);
    if (r.done) throw new Error('dns child exited');
    return JSON.parse(r.value) as Record<string, unknown>;
  };
  const ready = await next();
  if (!ready.ready) {
    proc.kill('SIGKILL');
    throw new Error(`dns child failed: ${String(ready.error)}`);
  }
  return {
    listeners: ready.listeners as DnsChild['listeners'],
    async send(c) {
      proc.stdin!.write(JSON.stringify(c) + '\n');
      return (await next()) as never;
    },
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((res) => proc.once('exit', res));
      proc.stdin!.end();
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}
