import { expect, it } from 'vitest';
import { describeNetns } from '@tsnet/testkit';
import { LAB_TIMEOUT, check, expectClean, runLab } from '../lib/labtest.js';

describeNetns('lab 06 (examples/06-host-none-container-modes/run.sh)', () => {
  it('host, none and container modes', { timeout: LAB_TIMEOUT }, () => {
    const run = runLab('06-host-none-container-modes');
    expect(check(run, 'none')).toBe('lo');
    expect(check(run, 'host').split(' ')).toEqual(expect.arrayContaining(['lo', 'tsnet0']));
    const shared = /^srv=(\S+) sidecar=(\S+)$/.exec(check(run, 'shared-ip'));
    expect(shared?.[1]).toMatch(/^172\.17\.\d+\.\d+$/);
    expect(shared?.[2]).toBe(shared?.[1]);
    expect(check(run, 'loopback')).toBe('hello over loopback');
    expect(run.status).toBe(0);
    expectClean(run);
  });
});
