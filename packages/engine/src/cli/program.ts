import { Command, CommanderError } from 'commander';
import { ApiError, ConnectError } from './client.js';
import { makeCtx, type Ctx } from './context.js';
import { FlagError } from './parse/index.js';
import { registerContainer } from './commands/container.js';
import { registerDebug } from './commands/debug.js';
import { registerImage } from './commands/image.js';
import { registerInspect } from './commands/inspect.js';
import { registerNetwork } from './commands/network.js';
import { registerRun } from './commands/run.js';
import { registerSystem } from './commands/system.js';
import { registerVolume } from './commands/volume.js';

/** Builds the whole `tsnet` command tree (exported so tests can parse argv without a process). */
export function buildProgram(): { program: Command; ctx: Ctx } {
  const program = new Command('tsnet')
    .description("tsnet: Docker's network and volume subsystem in TypeScript — the tsnetd client and its debug tools")
    .option('-H, --host <unix://path>', 'daemon socket to connect to (env TSNET_HOST)')
    .helpOption('--help', 'display help for command')
    .enablePositionalOptions()
    .showHelpAfterError(false)
    .exitOverride();
  const ctx = makeCtx(program);
  registerSystem(program, ctx);
  registerNetwork(program, ctx);
  registerVolume(program, ctx);
  registerRun(program, ctx);
  registerContainer(program, ctx);
  registerInspect(program, ctx);
  registerImage(program, ctx);
  registerDebug(program, ctx);
  return { program, ctx };
}

/** Maps an error to Docker's wording and exit status: 125 for usage, 1 for daemon answers. */
export function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    return error.exitCode === 0 ? 0 : 125;
  }
  if (error instanceof FlagError) {
    process.stderr.write(`tsnet: ${error.message}\nSee 'tsnet --help'.\n`);
    return 125;
  }
  if (error instanceof ApiError) {
    process.stderr.write(`Error response from daemon: ${error.message}\n`);
    return 1;
  }
  if (error instanceof ConnectError) {
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
  process.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
  if (process.env.TSNET_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return 1;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  const { program } = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = reportError(error);
  }
}
