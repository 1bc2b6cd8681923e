import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// The README's example must run as written and print what its comments say.
it('README example runs', () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
  const file = fileURLToPath(new URL(`../readme-example-${process.pid}.tmp.ts`, import.meta.url));
  writeFileSync(file, code);
  try {
    const out = execFileSync(process.execPath, ['--conditions=source', '--import', 'tsx', file], { encoding: 'utf8' });
    expect(out).toContain("poolId: 'LocalDefault/172.18.0.0/16'");
    expect(out).toContain("{ address: '172.18.0.2/16' }");
    expect(out).toContain("{ address: '10.10.5.0/16' }");
    expect(out).toContain('ERR_IPAM_POOL_OVERLAP subnet 10.10.7.0/24 overlaps pool LocalDefault/10.10.0.0/16/10.10.5.0/24');
    expect(out).toContain("Address: '172.18.0.3/16'");
    expect(out).toContain('Pool must be a string, got 42');
  } finally {
    rmSync(file, { force: true });
  }
});
