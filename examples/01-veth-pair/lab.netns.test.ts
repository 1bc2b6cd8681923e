import { expect, it } from 'vitest';
import { describeNetns } from '@tsnet/testkit';
import { LAB_TIMEOUT, check, expectClean, runLab } from '../lib/labtest.js';

describeNetns('lab 01 (examples/01-veth-pair/run.sh)', () => {
  it('veth pair: a ping crosses the pair', { timeout: LAB_TIMEOUT }, () => {
    const run = runLab('01-veth-pair');
    expect(check(run, 'ping')).toBe('10.0.0.1->10.0.0.2 received=2');
    expect(check(run, 'route')).toMatch(/^10\.0\.0\.0\/24 .*src 10\.0\.0\.1/);
    expect(run.status).toBe(0);
    expectClean(run);
  });
});
