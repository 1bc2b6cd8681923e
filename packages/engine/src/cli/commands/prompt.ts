import { createInterface } from 'node:readline/promises';

/** Docker's "Are you sure you want to continue? [y/N]"; without a terminal the answer is no. */
export async function confirm(warning: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    process.stderr.write(`${warning}\nnot a terminal: pass -f/--force to confirm\n`);
    return false;
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${warning}\nAre you sure you want to continue? [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
