#!/usr/bin/env node
// The `tsnet` command. Uses the compiled dist/ when it exists and is newer than every source file
// (after `npm run build`); from a plain git checkout, or when the sources changed since the last
// build, it runs the TypeScript sources through tsx, resolving the workspace packages through
// their "source" export condition, so no build step is ever required.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { register } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist/cli/main.js');
const src = join(root, 'src');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function useDist() {
  if (process.env.TSNET_FROM_SOURCE || !existsSync(dist)) return false;
  if (!existsSync(src)) return true; // an installed package: dist is all there is
  return statSync(dist).mtimeMs >= newestSource(src);
}

if (useDist()) {
  await import(pathToFileURL(dist).href);
} else {
  // Adds the "source" condition to every resolution (what `node --conditions=source` does),
  // then lets tsx compile .ts on the fly.
  const hook =
    'export async function resolve(specifier, context, next) {' +
    ' const conditions = context.conditions.includes("source") ? context.conditions : ["source", ...context.conditions];' +
    ' return next(specifier, { ...context, conditions }); }';
  // tsx keeps its compile cache under os.tmpdir(); point the loader thread (made by the first
  // register call, with a copy of the environment) at a cache beside node_modules instead, so
  // runs inside tests and labs leave nothing in their temporary directories.
  const tmpdir = process.env.TMPDIR;
  const cache = join(root, '../../node_modules/.cache/tsnet-tsx');
  try {
    mkdirSync(cache, { recursive: true });
    process.env.TMPDIR = cache;
  } catch {
    // read-only checkout: tsx uses the system temporary directory
  }
  register(`data:text/javascript,${encodeURIComponent(hook)}`);
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  if (tmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = tmpdir;
  await import(pathToFileURL(join(src, 'cli/main.ts')).href);
}
