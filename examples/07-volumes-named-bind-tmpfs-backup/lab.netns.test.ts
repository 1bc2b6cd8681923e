import { expect, it } from 'vitest';
import { describeNetns } from '@tsnet/testkit';
import { LAB_TIMEOUT, check, expectClean, runLab } from '../lib/labtest.js';

describeNetns('lab 07 (examples/07-volumes-named-bind-tmpfs-backup/run.sh)', () => {
  it('volumes: named, bind, tmpfs, volumes-from backup and restore', { timeout: LAB_TIMEOUT }, () => {
    const run = runLab('07-volumes-named-bind-tmpfs-backup');
    expect(check(run, 'named')).toBe('kept in a volume');
    expect(check(run, 'named-on-disk')).toBe('kept in a volume');
    expect(check(run, 'bind')).toBe('in=written on the host out=written in the container');
    expect(check(run, 'tmpfs')).toMatch(/^tmpfs \/scratch tmpfs rw,.*size=1024k/);
    expect(check(run, 'backup')).toBe('dbdata/ dbdata/db.txt');
    expect(check(run, 'restore')).toBe('precious data');
    expect(run.status).toBe(0);
    expectClean(run);
  });
});
