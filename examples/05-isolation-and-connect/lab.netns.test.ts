import { expect, it } from 'vitest';
import { describeNetns } from '@tsnet/testkit';
import { LAB_TIMEOUT, check, expectClean, runLab } from '../lib/labtest.js';

describeNetns('lab 05 (examples/05-isolation-and-connect/run.sh)', () => {
  it('isolation and connect: blocked, connected, blocked again', { timeout: LAB_TIMEOUT }, () => {
    const run = runLab('05-isolation-and-connect');
    expect(check(run, 'before')).toBe('received=0');
    expect(check(run, 'connected')).toMatch(/^received=1 resolved=10\.52\.0\.\d+ interfaces=2$/);
    expect(check(run, 'disconnected')).toBe('received=0 interfaces=1');
    // The trace named the isolation hop, and its probe hit the isolation drop rule.
    expect(run.output).toMatch(/TSNET-ISOLATION-STAGE-1\/2\s+DROP/);
    expect(run.output).toMatch(/TSNET-ISOLATION-STAGE-2\s+\d+\s+oifname "br-[0-9a-f]+" counter drop/);
    expect(run.status).toBe(0);
    expectClean(run);
  });
});
