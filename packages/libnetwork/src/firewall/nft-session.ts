import type { ChildProcess } from 'node:child_process';
import { internal } from '@tsnet/errors';
import { spawnInNetns } from '../netns/index.js';
import { runChecked, type Runner } from './runner.js';

/**
 * Talks to nft. Small transactions go to a long-lived `nft -i` coprocess started inside the
 * namespace: one input line is one batch, so one transaction, and a round trip costs well under
 * a millisecond where spawning `nft -f -` costs 5–7 ms on these machines. After each line we send
 * `describe meta mark`, whose fixed answer marks the end of the reply; stderr is merged into
 * stdout (`2>&1`) so an error always arrives before that marker. Big transactions (publishing
 * hundreds of ports) go to a one-shot `nft -f -`, which parses them several times faster.
 */

const SENTINEL = 'describe meta mark';
const SENTINEL_REPLY = /^meta expression, datatype mark .*32 bits$/m;
/** Past this much text, a one-shot `nft -f -` parses faster than the interactive reader. */
const COPROCESS_MAX_BYTES = 16 * 1024;

export class NftSession {
  readonly #nsPath: string | undefined;
  readonly #runner: Runner;
  #child: ChildProcess | undefined;
  #buffer = '';
  #waiter: ((reply: string | Error) => void) | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(nsPath: string | undefined, runner: Runner) {
    this.#nsPath = nsPath;
    this.#runner = runner;
  }

  /** Runs commands (each one line) as ONE transaction; returns nft's output; throws ERR_FIREWALL_APPLY. */
  async run(commands: string[]): Promise<string> {
    if (commands.length === 0) return '';
    if (commands.reduce((n, c) => n + c.length, 0) > COPROCESS_MAX_BYTES || commands.some((c) => c.includes('\n'))) {
      return runChecked(this.#runner, 'nft', ['-f', '-'], commands.join('\n') + '\n');
    }
    const next = this.#queue.then(() => this.#roundTrip(commands));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #start(): ChildProcess {
    const child = spawnInNetns(this.#nsPath, 'sh', ['-c', 'exec nft -a -i 2>&1'], { stdio: ['pipe', 'pipe', 'ignore'] });
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => this.#onData(d));
    const fail = (why: string) => {
      if (this.#child === child) this.#child = undefined;
      const w = this.#waiter;
      this.#waiter = undefined;
      w?.(internal('ERR_FIREWALL_APPLY', `nft coprocess ${why}`));
    };
    child.on('exit', (code) => fail(`exited (${code})`));
    child.on('error', (e) => fail(`failed: ${e.message}`));
    child.stdin?.on('error', () => undefined);
    // Idle, it never keeps the daemon (or a test) alive; it exits when our stdin closes.
    child.unref();
    this.#child = child;
    this.#hold(false);
    return child;
  }

  /** Referenced only while a reply is awaited, so a pending transaction keeps Node running. */
  #hold(on: boolean): void {
    for (const s of [this.#child?.stdout, this.#child?.stdin] as Array<{ ref?: () => void; unref?: () => void } | null | undefined>) {
      if (on) s?.ref?.();
      else s?.unref?.();
    }
  }

  #onData(d: string): void {
    this.#buffer += d;
    const m = SENTINEL_REPLY.exec(this.#buffer);
    if (!m) return;
    const reply = this.#buffer.slice(0, m.index);
    this.#buffer = this.#buffer.slice(m.index + m[0].length).replace(/^\n/, '');
    const w = this.#waiter;
    this.#waiter = undefined;
    this.#hold(false);
    w?.(reply);
  }

  #roundTrip(commands: string[]): Promise<string> {
    const child = this.#child ?? this.#start();
    return new Promise<string>((resolve, reject) => {
      this.#waiter = (reply) => {
        if (reply instanceof Error) return reject(reply);
        if (/^Error:/m.test(reply)) {
          return reject(internal('ERR_FIREWALL_APPLY', `nft transaction failed: ${reply.trim()}`, { details: { commands } }));
        }
        resolve(reply);
      };
      this.#hold(true);
      child.stdin?.write(`${commands.join('; ')}\n${SENTINEL}\n`);
    });
  }

  /** Ends the coprocess (it would also end with this process). */
  close(): void {
    this.#child?.stdin?.end();
    this.#child = undefined;
  }
}
