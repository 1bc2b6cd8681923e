#!/usr/bin/env node
// The `tsnet` command. Uses the compiled dist/ when it exists (after `npm run build`); from a
// plain git checkout it runs the TypeScript sources through tsx, resolving the workspace
// packages through their "source" export condition, so no build step is ever required.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const dist = `${here}../dist/cli/main.js`;

if (existsSync(dist) && !process.env.TSNET_FROM_SOURCE) {
  await import(pathToFileURL(dist).href);
} else {
  // Adds the "source" condition to every resolution (what `node --conditions=source` does),
  // then lets tsx compile .ts on the fly.
  const hook =
    'export async function resolve(specifier, context, next) {' +
    ' const conditions = context.conditions.includes("source") ? context.conditions : ["source", ...context.conditions];' +
    ' return next(specifier, { ...context, conditions }); }';
  register(`data:text/javascript,${encodeURIComponent(hook)}`);
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  await import(pathToFileURL(`${here}../src/cli/main.ts`).href);
}
