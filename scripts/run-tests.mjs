#!/usr/bin/env node
// Runs every test: the circular-import check, then both vitest projects (unit and netns) in one
// run. As root the run happens in a private mount namespace (no test mount can reach the
// machine's own) with its own /run/netns and TMPDIR, so whatever a test leaves behind is named
// at the end and removed (scripts/test-leftovers.mjs): a second run starts from the same state.
// Ends with one plain line: "N passed, N failed", summed over every project.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectLeftovers, hostNetState, tsnetCgroups } from './test-leftovers.mjs';

const extra = process.argv.slice(2);
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => join(root, 'node_modules', '.bin', name);
const isRoot = process.getuid?.() === 0;
const MARK = 'TSNET_TEST_RUN';

// Root: re-run this script inside `unshare --mount --propagation private`, then pass its status on.
if (isRoot && !process.env[MARK]) {
  const marker = `${MARK}=${process.pid}-${Date.now()}`;
  const argv = ['unshare', '--mount', '--propagation', 'private', '--', process.execPath, fileURLToPath(import.meta.url), ...extra];
  const inner = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit', env: { ...process.env, [MARK]: marker.split('=')[1] } });
  if (inner.status === null) console.log(`0 passed, 1 failed`); // killed: still end with the summary line
  process.exit(inner.status ?? 1);
}

const marker = process.env[MARK] ? `${MARK}=${process.env[MARK]}` : undefined;
let netnsDir;
if (isRoot) {
  // The run's own /run/netns: named namespaces of tests (and of the libnetwork they drive) live
  // and die with this mount namespace instead of piling up as files in the machine's /run.
  netnsDir = '/run/netns';
  mkdirSync(netnsDir, { recursive: true });
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'mode=0755,size=1m', 'tsnet-test-netns', netnsDir], { stdio: 'inherit' });
  if (mount.status !== 0) netnsDir = undefined;
}
const tmpDir = mkdtempSync('/tmp/tsnet-test-');
const cgroupsBefore = isRoot ? tsnetCgroups() : [];
const hostBefore = isRoot ? hostNetState() : undefined;

const circular = spawnSync(bin('madge'), ['--circular', '--extensions', 'ts', '--ts-config', 'tsconfig.json', 'packages'], {
  cwd: root, stdio: 'inherit',
});
const circularFailed = circular.status === 0 ? 0 : 1;
if (circularFailed) console.log('circular import check failed (madge, above)');

const resultsDir = mkdtempSync('/tmp/tsnet-results-');
const jsonFile = join(resultsDir, 'vitest.json');
const vitestArgv = ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${jsonFile}`, ...extra];
const run = spawnSync(bin('vitest'), vitestArgv, { cwd: root, stdio: 'inherit', env: { ...process.env, TMPDIR: tmpDir } });

const { passed, failed: testsFailed, skipped } = summarize(jsonFile);
let failed = circularFailed + testsFailed;
spawnSync('rm', ['-rf', resultsDir]);
if (run.status !== 0 && failed === 0) {
  console.log(`vitest exited ${run.status ?? run.signal} with no failed test counted`);
  failed = 1;
}

if (isRoot && marker) {
  const leftovers = collectLeftovers({ marker, tmpDir, netnsDir, cgroupsBefore, hostBefore });
  if (leftovers.length > 0) {
    console.log(`\nLEFTOVERS — tests must remove what they make; removed now where ours:\n  ${leftovers.join('\n  ')}\n`);
  }
} else {
  spawnSync('rm', ['-rf', tmpDir]);
}

console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 ? 0 : 1);

/** Counts from vitest's JSON report; a missing report or a file that failed to load is a failure. */
function summarize(file) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    console.log(`no vitest report: ${error.message}`);
    return { passed: 0, failed: 1, skipped: 0 };
  }
  let failed = report.numFailedTests ?? 0;
  let skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  for (const result of report.testResults ?? []) {
    const tests = result.assertionResults ?? [];
    // A file that fails to load, or whose hooks fail, may have no failed test but is still a failure.
    const notRun = tests.filter((t) => t.status === 'skipped' || t.status === 'pending');
    if (result.status === 'failed' && !tests.some((t) => t.status === 'failed')) {
      console.log(`failed file: ${result.name}: ${(result.message ?? '').split('\n')[0]}`);
      failed += Math.max(1, notRun.length); // its tests never ran: they count as failed, not skipped
      skipped -= notRun.length;
      continue;
    }
    // Under CI a privileged test that skipped itself (describeNetns where the probe failed) is not green.
    if (process.env.CI && /\.netns\.test\.ts$/.test(result.name ?? '')) {
      for (const t of notRun) {
        console.log(`skipped under CI (counted as failed): ${result.name} > ${t.fullName ?? t.title}`);
        failed += 1;
        skipped -= 1;
      }
    }
  }
  return { passed: report.numPassedTests ?? 0, failed, skipped };
}
