import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isTsnetError } from '@tsnet/errors';
import { isStaticElf, makeBusyboxRootfsTar } from './busybox.js';

const dir = mkdtempSync(join(tmpdir(), 'tsnet-bbtar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!isStaticBusybox())('makeBusyboxRootfsTar', () => {
  it('writes a root-owned, reproducible busybox rootfs with the applets and files a container needs', async () => {
    const a = join(dir, 'a.tar');
    const b = join(dir, 'b.tar');
    await makeBusyboxRootfsTar(a);
    await makeBusyboxRootfsTar(b);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true); // same busybox → same bytes
    const listing = execFileSync('tar', ['-tvf', a], { encoding: 'utf8' });
    for (const applet of ['sh', 'ping', 'nc', 'wget', 'httpd', 'nslookup', 'ip', 'ifconfig', 'hostname', 'cat', 'sleep', 'tar']) {
      expect(listing).toMatch(new RegExp(`^lrwxrwxrwx 0/0 .* \\./bin/${applet} -> busybox$`, 'm'));
    }
    for (const file of ['etc/passwd', 'etc/group', 'etc/hosts', 'etc/resolv.conf', 'etc/hostname']) expect(listing).toContain(`./${file}\n`);
    expect(listing).toMatch(/^drwxrwxrwt 0\/0 .* \.\/tmp\/$/m);
    expect(listing).toMatch(/^drwxr-xr-x 0\/0 .* \.\/$/m);
    for (const d of ['proc', 'sys', 'dev']) expect(listing).toContain(`./${d}/\n`);
    const passwd = execFileSync('tar', ['-xOf', a, './etc/passwd'], { encoding: 'utf8' });
    expect(passwd).toMatch(/^root:x:0:0:/);
  });
});

it('refuses a dynamically linked busybox', async () => {
  expect(await isStaticElf(process.execPath)).toBe(false); // node itself is dynamic
  const error = await makeBusyboxRootfsTar(join(dir, 'x.tar'), { busybox: process.execPath }).catch((e: unknown) => e);
  expect(isTsnetError(error, 'ERR_BUSYBOX_MISSING')).toBe(true);
});

/** busybox-static is a documented requirement (the README's up command installs it). */
function isStaticBusybox(): boolean {
  return existsSync('/bin/busybox');
}
