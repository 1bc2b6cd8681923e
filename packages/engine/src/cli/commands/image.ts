import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { collect, printList, type Ctx } from '../context.js';
import { ago, humanSize, shortId, spin } from '../output.js';
import { parseFilters } from '../parse/index.js';
import { jsonLines } from '../streams.js';

interface ImageSummary {
  Id: string;
  RepoTags: string[] | null;
  Created: number;
  Size: number;
}

export function registerImage(program: Command, ctx: Ctx): void {
  program
    .command('rootfs')
    .description('Write a minimal busybox rootfs tar (static busybox with every applet) for `tsnet import`')
    .argument('<file>', 'where to write the tar')
    .option('--busybox <path>', 'a statically linked busybox', '/bin/busybox')
    .action(async (file: string, flags: { busybox: string }) => {
      const { makeBusyboxRootfsTar } = await import('../../rootfs/index.js');
      await spin(`writing ${file}`, () => makeBusyboxRootfsTar(file, { busybox: flags.busybox }));
      process.stdout.write(`${file}\n`);
    });

  program
    .command('import')
    .description('Import the contents from a tarball to create a filesystem image')
    .argument('<file>', 'a rootfs tar (or a `docker save` archive), or - for stdin')
    .argument('[reference]', 'REPOSITORY[:TAG]')
    .option('-c, --change <instruction>', 'apply Dockerfile instruction to the created image (repeatable)', collect)
    .option('-m, --message <message>', 'set commit message for imported image')
    .option('--platform <platform>', 'set platform if server is multi-platform capable')
    .action(async (file: string, reference: string | undefined, flags: { change?: string[]; message?: string; platform?: string }) => {
      let size: number | undefined;
      if (file !== '-') {
        const info = await stat(file).catch(() => undefined);
        if (!info?.isFile()) throw new Error(`cannot import "${file}": not a readable file`);
        size = info.size;
      }
      const [repo, tag] = splitReference(reference);
      const query: Record<string, string | undefined> = { fromSrc: '-', repo, tag, message: flags.message, platform: flags.platform };
      const params = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined));
      for (const c of flags.change ?? []) params.append('changes', c);
      const client = ctx.client();
      const body = file === '-' ? process.stdin : createReadStream(file);
      const id = await spin(`importing ${file === '-' ? 'stdin' : file}`, async () => {
        const res = await client.stream('POST', `/images/create?${params.toString()}`, { raw: body, ...(size !== undefined ? { rawLength: size } : {}) });
        let last = '';
        for await (const line of jsonLines(res)) {
          if (typeof line.error === 'string') throw new Error(line.error);
          if (typeof line.status === 'string') last = line.status;
        }
        return last;
      });
      if (id) process.stdout.write(`${id}\n`);
    });

  program
    .command('images')
    .description('List images')
    .option('-a, --all', 'show all images')
    .option('-q, --quiet', 'only show image IDs')
    .option('-f, --filter <filter>', 'filter output based on conditions provided', collect)
    .option('--format <format>', 'table, json or a Go template')
    .option('--no-trunc', "don't truncate output")
    .action(async (flags: { all?: boolean; quiet?: boolean; filter?: string[]; format?: string; trunc: boolean }) => {
      const list = await ctx.client().json<ImageSummary[]>('GET', '/images/json', { query: { all: flags.all, filters: parseFilters(flags.filter) } });
      const rows = list.flatMap((img) => (img.RepoTags?.length ? img.RepoTags : ['<none>:<none>']).map((tag) => ({ ...img, tag })));
      const id = (i: ImageSummary): string => (flags.trunc ? shortId(i.Id) : i.Id);
      printList(rows, flags.format, flags.quiet ?? false, {
        head: ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'],
        row: (i) => {
          const colon = i.tag.lastIndexOf(':');
          return [i.tag.slice(0, colon), i.tag.slice(colon + 1), id(i), ago(i.Created), humanSize(i.Size)];
        },
        id,
      });
    });
}

/** "busybox:1.36" → ["busybox", "1.36"]; a registry port ("host:5000/x") is not a tag. */
export function splitReference(reference: string | undefined): [string | undefined, string | undefined] {
  if (!reference) return [undefined, undefined];
  const colon = reference.lastIndexOf(':');
  if (colon > reference.lastIndexOf('/')) return [reference.slice(0, colon), reference.slice(colon + 1)];
  return [reference, undefined];
}
