import { expect, it } from 'vitest';
import { describeNetns } from '@tsnet/testkit';
import { LAB_TIMEOUT, expectClean, runLab } from '../lib/labtest.js';

describeNetns('lab 02 (examples/02-bridge-three-namespaces/run.sh)', () => {
  it('bridge with three namespaces: red reaches green, blue and the gateway', { timeout: LAB_TIMEOUT }, () => {
    const run = runLab('02-bridge-three-namespaces');
    expect(run.results.get('ports')).toBe('veth-blue veth-green veth-red');
    const pings = [...run.output.matchAll(/^RESULT ping red->(\S+) received=(\d*)$/gm)].map((m) => [m[1], m[2]]);
    expect(pings).toEqual([['10.0.2.12', '1'], ['10.0.2.13', '1'], ['10.0.2.1', '1']]);
    // tsnet debug bridges found each port's far end in the right namespace.
    for (const c of ['red', 'green', 'blue']) expect(run.output).toMatch(new RegExp(`veth-${c}\\s+up\\s+\\S+\\s+lab02-${c}-${run.id}\\s+eth0`));
    expect(run.status).toBe(0);
    expectClean(run);
  });
});
