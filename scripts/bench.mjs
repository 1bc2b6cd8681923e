#!/usr/bin/env node
// `npm run bench` runs every package's benchmarks; `npm run bench -- ipam dns` runs those packages'.
// A benchmark is packages/<pkg>/bench/*.bench.ts, run from source with tsx.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const wanted = process.argv.slice(2);
const packages = readdirSync(join(root, 'packages')).filter((p) => wanted.length === 0 || wanted.includes(p));
const unknown = wanted.filter((w) => !existsSync(join(root, 'packages', w)));
if (unknown.length > 0) {
  console.error(`no such package: ${unknown.join(', ')}`);
  process.exit(2);
}
let failures = 0;
for (const pkg of packages) {
  const dir = join(root, 'packages', pkg, 'bench');
  if (!existsSync(dir)) continue;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort()) {
    console.error(`# ${pkg}/${file}`);
    const run = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', join(dir, file)], {
      cwd: root, stdio: 'inherit', env: process.env,
    });
    if (run.status !== 0) failures += 1;
  }
}
process.exit(failures === 0 ? 0 : 1);
