#!/usr/bin/env node
// Runs every test: the circular-import check, then both vitest projects (unit and netns) in one
// run, inside a private mount namespace when root so no test mount can reach the machine's own.
// Ends with one plain line: "N passed, N failed", summed over every project.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const extra = process.argv.slice(2);
const root = new URL('..', import.meta.url).pathname;
const bin = (name) => join(root, 'node_modules', '.bin', name);

const circular = spawnSync(bin('madge'), ['--circular', '--extensions', 'ts', '--ts-config', 'tsconfig.json', 'packages'], {
  cwd: root, stdio: 'inherit',
});
const circularFailed = circular.status === 0 ? 0 : 1;

const outDir = mkdtempSync(join(tmpdir(), 'tsnet-results-'));
const jsonFile = join(outDir, 'vitest.json');
const vitestArgv = [bin('vitest'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${jsonFile}`, ...extra];
const isRoot = process.getuid?.() === 0;
const argv = isRoot ? ['unshare', '--mount', '--propagation', 'private', '--', ...vitestArgv] : vitestArgv;
const run = spawnSync(argv[0], argv.slice(1), { cwd: root, stdio: 'inherit', env: process.env });

let passed = 0;
let failed = circularFailed;
try {
  const report = JSON.parse(readFileSync(jsonFile, 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += (report.numFailedTests ?? 0) + (report.numRuntimeErrorTests ?? 0);
  // A file that fails to load has no tests but is still a failure.
  for (const file of report.testResults ?? []) {
    if (file.status === 'failed' && (file.assertionResults ?? []).length === 0) failed += 1;
  }
} catch (error) {
  console.error(`no vitest report: ${error.message}`);
  failed += 1;
}
rmSync(outDir, { recursive: true, force: true });
if (run.status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
