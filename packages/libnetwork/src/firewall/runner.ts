import { internal } from '@tsnet/errors';
import { spawnInNetns } from '../netns/index.js';

/**
 * The one place the firewall starts processes (nft, iptables-restore, iptables-save). The child
 * is forked with the calling thread inside `nsPath` (spawnInNetns), so there is no nsenter hop;
 * a fake runner stands in for it in unit tests.
 */

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface Runner {
  run(command: string, args: string[], input?: string): Promise<RunResult>;
}

export function netnsRunner(nsPath: string | undefined): Runner {
  return {
    run(command, args, input) {
      return new Promise((resolve, reject) => {
        const child = spawnInNetns(nsPath, command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout?.on('data', (d: Buffer) => out.push(d));
        child.stderr?.on('data', (d: Buffer) => err.push(d));
        child.on('error', (e) => reject(internal('ERR_FIREWALL_EXEC', `cannot run ${command}: ${e.message}`, { cause: e })));
        child.on('close', (code) =>
          resolve({ status: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
        );
        child.stdin?.on('error', () => undefined);
        child.stdin?.end(input ?? '');
      });
    },
  };
}

/** Runs and throws ERR_FIREWALL_APPLY (naming the command and the kernel's complaint) on failure. */
export async function runChecked(runner: Runner, command: string, args: string[], input?: string): Promise<string> {
  const r = await runner.run(command, args, input);
  if (r.status !== 0) {
    throw internal('ERR_FIREWALL_APPLY', `${command} ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`, {
      details: { command, args, stderr: r.stderr, input },
    });
  }
  return r.stdout;
}
