import { expect, it } from 'vitest';
import { describeNetns } from '@tsnet/testkit';
import { LAB_TIMEOUT, check, expectClean, runLab } from '../lib/labtest.js';

describeNetns('lab 03 (examples/03-nat-published-port/run.sh)', () => {
  it('NAT: the client reaches web through the published port; web goes out masqueraded', { timeout: LAB_TIMEOUT }, () => {
    const run = runLab('03-nat-published-port');
    expect(check(run, 'wget')).toBe('hello from the web namespace (172.30.0.2)');
    expect(check(run, 'ping')).toBe('web->client received=1');
    const counters = /dnat=(\d+) masquerade=(\d+)/.exec(check(run, 'counters'));
    expect(Number(counters?.[1])).toBeGreaterThan(0);
    expect(Number(counters?.[2])).toBeGreaterThan(0);
    expect(run.status).toBe(0);
    expectClean(run);
  });
});
