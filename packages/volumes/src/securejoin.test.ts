import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTsnetError } from '@tsnet/errors';
import { checkMountTarget, resolveInside, secureJoin } from './securejoin.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'tsnet-sj-'));
  mkdirSync(join(root, 'etc/sub'), { recursive: true });
  mkdirSync(join(root, 'data/inner'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'x');
  symlinkSync('/etc', join(root, 'abs-etc')); // absolute: the container's /etc, the host's for a naive join
  symlinkSync('../../../../../../..', join(root, 'up')); // climbs far above
  symlinkSync('data/inner', join(root, 'rel')); // stays inside
  symlinkSync('loop2', join(root, 'loop1'));
  symlinkSync('loop1', join(root, 'loop2'));
  symlinkSync('../..', join(root, 'data/inner/up2'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('secureJoin (image content, scoped to the rootfs)', () => {
  it.each([
    ['/etc', 'etc'],
    ['/abs-etc/passwd', 'etc/passwd'], // an absolute link restarts at the rootfs, never the host's /etc
    ['/up/etc', 'etc'], // climbing stops at the root
    ['/../../etc', 'etc'],
    ['/rel/x', 'data/inner/x'],
    ['/data/inner/up2/etc', 'etc'],
    ['/missing/a/b', 'missing/a/b'],
  ])('%s → <root>/%s', (p, want) => {
    expect(secureJoin(root, p)).toBe(join(root, want));
  });

  it('stops at a symlink loop', () => {
    expect(() => secureJoin(root, '/loop1')).toThrow(/too many symlinks/);
  });
});

describe('resolveInside (volume subpaths: inside or refused)', () => {
  it.each([
    ['data/inner', 'data/inner'],
    ['rel', 'data/inner'],
    ['data/../etc', 'etc'],
    ['data/inner/up2/etc', 'etc'], // climbs two but stays at the root
  ])('%s → %s', (p, want) => {
    expect(resolveInside(root, p)).toBe(join(root, want));
  });

  it.each(['/etc', '..', 'data/../../x', 'abs-etc', 'abs-etc/passwd', 'up', 'up/etc', 'loop1'])('refuses %s', (p) => {
    let code = '';
    try {
      resolveInside(root, p);
    } catch (e) {
      code = isTsnetError(e) ? e.code : String(e);
    }
    expect(code).toBe('ERR_PATH_ESCAPES');
  });
});

describe('checkMountTarget (CVE-2018-15664 / CVE-2021-30465 shape)', () => {
  it.each([
    ['/data/inner/x', 'data/inner/x'],
    ['/rel/x', 'data/inner/x'],
    ['/new/dir', 'new/dir'],
    ['/abs-etc/x', 'etc/x'], // absolute links are scoped to the rootfs, as runc does
    ['/data/../etc', 'etc'],
    ['/data/inner/up2/../x', 'x'], // the link climbs to the root, not above; a literal .. clamps there
  ])('allows %s (→ %s)', (d, want) => {
    expect(checkMountTarget(root, d)).toBe(join(root, want));
  });
  it.each(['/up/tmp', '/up', '/rel/up2/../../x/../up'])('refuses %s', (d) => {
    expect(() => checkMountTarget(root, d)).toThrow(expect.objectContaining({ code: 'ERR_MOUNT_TARGET_ESCAPES' }));
  });
});
