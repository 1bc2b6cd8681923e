import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerProcess, DEFAULT_PATH, mergeEnvLists, resolveUser } from './process.js';

let rootfs: string;
beforeAll(() => {
  rootfs = mkdtempSync(join(tmpdir(), 'tsnet-proc-'));
  mkdirSync(join(rootfs, 'etc'));
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nwww:x:33:33::/var/www:/bin/false\n');
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\nwww:x:33:\nlog:x:4:www\nnogroup:x:65534:\n');
});
afterAll(() => rmSync(rootfs, { recursive: true, force: true }));

describe('containerProcess (Docker merge rules)', () => {
  const image = { Entrypoint: ['/entry'], Cmd: ['serve'], Env: ['PATH=/img/bin', 'A=image'], WorkingDir: '/app', User: 'www' };

  it('uses the image defaults', async () => {
    expect(await containerProcess(image, { hostname: 'h1' }, rootfs)).toEqual({
      args: ['/entry', 'serve'],
      env: ['PATH=/img/bin', 'HOSTNAME=h1', 'A=image'],
      cwd: '/app',
      user: { uid: 33, gid: 33, additionalGids: [4] },
    });
  });

  it('a new Cmd keeps the entrypoint; a new entrypoint drops the image Cmd', async () => {
    expect((await containerProcess(image, { cmd: ['x'] }, rootfs)).args).toEqual(['/entry', 'x']);
    expect((await containerProcess(image, { entrypoint: ['/other'] }, rootfs)).args).toEqual(['/other']);
    expect((await containerProcess(image, { entrypoint: [''], cmd: ['sh'] }, rootfs)).args).toEqual(['sh']); // --entrypoint ""
  });

  it('request env overrides image env by key; link env sits before both', async () => {
    const p = await containerProcess({ Cmd: ['sh'], Env: ['A=image'] }, { env: ['A=mine', 'B=2'], linkEnv: ['DB_NAME=/web/db'] }, rootfs);
    expect(p.env).toEqual([`PATH=${DEFAULT_PATH}`, 'DB_NAME=/web/db', 'A=mine', 'B=2']);
    expect(p.cwd).toBe('/');
    expect(p.user).toEqual({ uid: 0, gid: 0 });
  });

  it('fails without any command', async () => {
    await expect(containerProcess({}, {}, rootfs)).rejects.toMatchObject({ code: 'ERR_NO_COMMAND' });
  });
});

describe('resolveUser', () => {
  it.each([
    ['', { uid: 0, gid: 0 }],
    ['www', { uid: 33, gid: 33, additionalGids: [4] }],
    ['33', { uid: 33, gid: 33, additionalGids: [4] }],
    ['www:nogroup', { uid: 33, gid: 65534, additionalGids: [4] }],
    ['1000:1000', { uid: 1000, gid: 1000 }], // numeric ids need no passwd entry
  ])('%j', async (spec, expected) => {
    expect(await resolveUser(rootfs, spec)).toEqual(expected);
  });

  it('rejects unknown names', async () => {
    await expect(resolveUser(rootfs, 'ghost')).rejects.toMatchObject({ code: 'ERR_USER_NOT_FOUND' });
    await expect(resolveUser(rootfs, 'www:ghosts')).rejects.toMatchObject({ code: 'ERR_GROUP_NOT_FOUND' });
  });
});

it('mergeEnvLists keeps first positions', () => {
  expect(mergeEnvLists(['A=1', 'B=1'], ['B=2', 'C=3'], ['A=9'])).toEqual(['A=9', 'B=2', 'C=3']);
});
