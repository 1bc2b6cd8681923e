import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Output of `runc state`. */
export interface RuncState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'stopped' | 'paused';
}

/**
 * The runc command line with its state root under our data root (`runc --root`), so daemons side
 * by side never see each other's containers.
 */
export class Runc {
  constructor(
    readonly binary: string,
    readonly root: string,
  ) {}

  global(logPath?: string): string[] {
    return [this.binary, '--root', this.root, ...(logPath ? ['--log', logPath, '--log-format', 'json'] : [])];
  }

  async #run(args: string[]): Promise<string> {
    const { stdout } = await run(this.binary, ['--root', this.root, ...args], { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  }

  /** True when runc has state for the id (a container it created and nobody deleted). */
  async exists(id: string): Promise<boolean> {
    return access(join(this.root, id)).then(
      () => true,
      () => false,
    );
  }

  async state(id: string): Promise<RuncState | undefined> {
    try {
      return JSON.parse(await this.#run(['state', id])) as RuncState;
    } catch {
      return undefined;
    }
  }

  /** Sends a signal to the container's init; false when there was nothing to signal. */
  async kill(id: string, signal: string): Promise<boolean> {
    try {
      await this.#run(['kill', id, signal]);
      return true;
    } catch {
      return false;
    }
  }

  /** `runc delete --force`: kills what is left and removes state and cgroups. Missing is fine. */
  async delete(id: string): Promise<void> {
    if (!(await this.exists(id))) return;
    await this.#run(['delete', '--force', id]).catch(() => undefined);
  }

  /** `runc exec` with stdio pipes (non-interactive). */
  exec(id: string, argv: string[], options: { env?: string[]; cwd?: string; user?: string }): ChildProcess {
    const args = ['--root', this.root, 'exec'];
    for (const e of options.env ?? []) args.push('--env', e);
    if (options.cwd) args.push('--cwd', options.cwd);
    if (options.user) args.push('--user', options.user);
    args.push(id, ...argv);
    return spawn(this.binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  }
}
