import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { ApiError, type ApiClient } from '../client.js';
import { eachName, type Ctx } from '../context.js';
import { Spinner } from '../output.js';
import { containerCreateBody, type RunFlags } from '../parse/index.js';
import { copyStream } from '../streams.js';
import { addContainerOptions } from './run-options.js';

async function createContainer(client: ApiClient, flags: RunFlags, image: string, cmd: string[]): Promise<{ id: string; tty: boolean; autoRemove: boolean }> {
  const { name, body } = containerCreateBody(flags, image, cmd);
  try {
    const res = await client.json<{ Id: string; Warnings?: string[] | null }>('POST', '/containers/create', { query: { name }, body });
    for (const w of res.Warnings ?? []) process.stderr.write(`WARNING: ${w}\n`);
    return { id: res.Id, tty: body.Tty, autoRemove: body.HostConfig.AutoRemove };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404 && /image/i.test(error.message)) {
      throw new ApiError(404, `${error.message} (tsnet has no registry: import a rootfs first, e.g. \`tsnet import rootfs.tar ${image}\`)`);
    }
    throw error;
  }
}

/** Waits for the container to exit; Docker's CLI registers this before start so no exit is missed. */
function waitExit(client: ApiClient, id: string, autoRemove: boolean): Promise<number> {
  return client
    .json<{ StatusCode: number; Error?: { Message?: string } | null }>('POST', `/containers/${id}/wait`, { query: { condition: autoRemove ? 'removed' : 'next-exit' } })
    .then((res) => {
      if (res.Error?.Message) process.stderr.write(`${res.Error.Message}\n`);
      return res.StatusCode;
    });
}

/** Attached run: output streamed while it runs, the process exits with the container's code. */
async function runAttached(ctx: Ctx, client: ApiClient, id: string, tty: boolean, autoRemove: boolean): Promise<void> {
  let stream: Readable | undefined;
  try {
    stream = await client.hijack(`/containers/${id}/attach`, { query: { stream: true, stdout: true, stderr: true } });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    stream = undefined; // a daemon without attach: fall back to the logs after the exit
  }
  const copied = stream ? copyStream(stream, tty) : Promise.resolve();
  const exited = waitExit(client, id, autoRemove);
  exited.catch(() => undefined);
  await client.json('POST', `/containers/${id}/start`);
  const code = await exited;
  // The attach stream ends when the container's output does; give it a moment to drain.
  await Promise.race([copied, new Promise((r) => setTimeout(r, 2000).unref())]);
  stream?.destroy();
  if (!stream && !autoRemove) {
    const logs = await client.stream('GET', `/containers/${id}/logs`, { query: { stdout: true, stderr: true } });
    await copyStream(logs, tty);
  }
  ctx.setExit(code);
}

export function registerRun(program: Command, ctx: Ctx): void {
  addContainerOptions(
    program
      .command('run')
      .description('Create and run a new container from an image')
      .argument('<image>')
      .argument('[command...]')
      .passThroughOptions()
      .option('-d, --detach', 'run container in background and print container ID'),
  ).action(async (image: string, cmd: string[], flags: RunFlags) => {
    const client = ctx.client();
    const spinner = flags.detach ? new Spinner().start(`creating container from ${image}`) : undefined;
    try {
      const { id, tty, autoRemove } = await createContainer(client, flags, image, cmd);
      if (flags.detach) {
        spinner?.update('starting container');
        await client.json('POST', `/containers/${id}/start`);
        spinner?.stop();
        process.stdout.write(`${id}\n`);
        return;
      }
      await runAttached(ctx, client, id, tty, autoRemove);
    } finally {
      spinner?.stop();
    }
  });

  addContainerOptions(
    program.command('create').description('Create a new container').argument('<image>').argument('[command...]').passThroughOptions(),
  ).action(async (image: string, cmd: string[], flags: RunFlags) => {
    const { id } = await createContainer(ctx.client(), { ...flags, detach: true }, image, cmd);
    process.stdout.write(`${id}\n`);
  });

  program
    .command('start')
    .description('Start one or more stopped containers')
    .argument('<container...>')
    .option('-a, --attach', "attach STDOUT/STDERR and forward signals")
    .action(async (names: string[], flags: { attach?: boolean }) => {
      const client = ctx.client();
      if (flags.attach) {
        if (names.length > 1) throw new Error('you cannot start and attach multiple containers at once');
        const info = await client.json<{ Id: string; Config: { Tty: boolean }; HostConfig: { AutoRemove: boolean } }>('GET', `/containers/${encodeURIComponent(names[0]!)}/json`);
        await runAttached(ctx, client, info.Id, info.Config.Tty, info.HostConfig.AutoRemove);
        return;
      }
      await eachName(ctx, names, async (name) => {
        await client.json('POST', `/containers/${encodeURIComponent(name)}/start`);
        process.stdout.write(`${name}\n`);
      });
    });
}
