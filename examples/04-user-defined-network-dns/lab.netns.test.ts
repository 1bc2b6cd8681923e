import { expect, it } from 'vitest';
import { describeNetns } from '@tsnet/testkit';
import { LAB_TIMEOUT, check, expectClean, runLab } from '../lib/labtest.js';

describeNetns('lab 04 (examples/04-user-defined-network-dns/run.sh)', () => {
  it('user-defined network: names and aliases resolve through 127.0.0.11; not on the default bridge', { timeout: LAB_TIMEOUT }, () => {
    const run = runLab('04-user-defined-network-dns');
    expect(check(run, 'ping-name')).toBe('client->web1 received=1');
    const ip = check(run, 'web1-ip');
    expect(ip).toMatch(/^10\.10\.10\.\d+$/);
    expect(check(run, 'alias')).toBe(`www=${ip}`);
    expect(check(run, 'default-bridge-name')).toBe('unresolved');
    expect(check(run, 'default-bridge-ip')).toBe('received=1');
    expect(run.output).toContain('nameserver 127.0.0.11');
    expect(run.status).toBe(0);
    expectClean(run);
  });
});
