import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isTsnetError } from '@tsnet/errors';
import { describeNetns } from '@tsnet/testkit';
import { makeBusyboxRootfsTar } from '../rootfs/index.js';
import { ImageStore } from './index.js';

let work: string;
let busyboxTar: string;

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

function tarOf(dir: string): Buffer {
  return execFileSync('tar', ['-c', '-f', '-', '-C', dir, '--owner=0', '--group=0', '--numeric-owner', '.'], { maxBuffer: 64 << 20 });
}

function tree(files: Record<string, string | { symlink: string }>): string {
  const dir = mkdtempSync(join(work, 'tree-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    if (path.endsWith('/')) mkdirSync(join(dir, path), { recursive: true });
    else if (typeof content === 'string') writeFileSync(join(dir, path), content);
    else symlinkSync(content.symlink, join(dir, path));
  }
  return dir;
}

/** A `docker save` archive built by hand: manifest.json, config, one directory per layer. */
function saveArchive(layers: Buffer[], config: Record<string, unknown>, repoTags: string[], gzipFirst = false): { archive: Buffer; id: string } {
  const dir = mkdtempSync(join(work, 'save-'));
  const diffIds = layers.map((l) => `sha256:${sha256(l)}`);
  const configBytes = Buffer.from(JSON.stringify({ ...config, rootfs: { type: 'layers', diff_ids: diffIds } }));
  const id = sha256(configBytes);
  writeFileSync(join(dir, `${id}.json`), configBytes);
  const names = layers.map((layer, i) => {
    mkdirSync(join(dir, `layer${i}`));
    writeFileSync(join(dir, `layer${i}`, 'layer.tar'), i === 0 && gzipFirst ? gzipSync(layer) : layer);
    return `layer${i}/layer.tar`;
  });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: `${id}.json`, RepoTags: repoTags, Layers: names }]));
  return { archive: tarOf(dir), id: `sha256:${id}` };
}

describeNetns('image store', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'tsnet-img-'));
    busyboxTar = join(work, 'busybox.tar');
    await makeBusyboxRootfsTar(busyboxTar);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('imports a rootfs tar with changes; id is the sha256 of the config; survives reopen', async () => {
    const dataRoot = mkdtempSync(join(work, 'root-'));
    const store = await ImageStore.open({ dataRoot });
    const tarBytes = readFileSync(busyboxTar);
    const image = await store.importRootfs(createReadStream(busyboxTar), {
      repo: 'tsnet/busybox',
      tag: 'v1',
      changes: ['CMD ["sh"]', 'ENV A=1', 'EXPOSE 80', 'WORKDIR /srv', 'VOLUME /data'],
    });
    const hex = image.id.slice('sha256:'.length);
    const configBytes = readFileSync(join(dataRoot, 'images', hex, 'config.json'));
    expect(sha256(configBytes)).toBe(hex);
    const config = JSON.parse(configBytes.toString()) as { rootfs: { diff_ids: string[] } };
    expect(config.rootfs.diff_ids).toEqual([`sha256:${sha256(tarBytes)}`]);
    // The filesystem is there, owners kept (root), modes kept (/tmp sticky).
    const bb = lstatSync(join(image.rootfsPath, 'bin/busybox'));
    expect(bb.uid).toBe(0);
    expect(lstatSync(join(image.rootfsPath, 'tmp')).mode & 0o7777).toBe(0o1777);
    expect(lstatSync(join(image.rootfsPath, 'bin/sh')).isSymbolicLink()).toBe(true);

    const reopened = await ImageStore.open({ dataRoot });
    const inspect = reopened.inspect('tsnet/busybox:v1');
    expect(inspect).toMatchObject({
      Id: image.id,
      RepoTags: ['tsnet/busybox:v1'],
      Config: { Cmd: ['sh'], Env: ['A=1'], ExposedPorts: { '80/tcp': {} }, WorkingDir: '/srv', Volumes: { '/data': {} } },
      RootFS: { Type: 'layers', Layers: config.rootfs.diff_ids },
    });
    expect(reopened.list()).toEqual([expect.objectContaining({ Id: image.id, RepoTags: ['tsnet/busybox:v1'], Size: image.size })]);
    // Resolution: name:tag, full id, bare hex, a short prefix.
    for (const ref of ['tsnet/busybox:v1', image.id, hex, hex.slice(0, 12), `sha256:${hex.slice(0, 6)}`]) {
      expect(reopened.resolve(ref).id).toBe(image.id);
    }
    let missing: unknown;
    try {
      reopened.resolve('tsnet/busybox'); // :latest was never tagged
    } catch (error) {
      missing = error;
    }
    expect(isTsnetError(missing, 'ERR_IMAGE_NOT_FOUND')).toBe(true);
  });

  it('imports a gzip-compressed tar from any byte stream', async () => {
    const store = await ImageStore.open({ dataRoot: mkdtempSync(join(work, 'root-')) });
    const gz = gzipSync(readFileSync(busyboxTar));
    const image = await store.importRootfs(Readable.from([gz.subarray(0, 3), gz.subarray(3)]), { repo: 'bb:gz' });
    expect(image.repoTags).toEqual(['bb:gz']);
    expect(existsSync(join(image.rootfsPath, 'bin/busybox'))).toBe(true);
  });

  it('rejects a broken archive and bad changes with state unchanged', async () => {
    const dataRoot = mkdtempSync(join(work, 'root-'));
    const store = await ImageStore.open({ dataRoot });
    const garbage = await store.importRootfs(Readable.from([Buffer.from('not a tar at all, just text'.repeat(40))]), { repo: 'x' }).catch((e: unknown) => e);
    expect(isTsnetError(garbage, 'ERR_IMAGE_ARCHIVE_INVALID')).toBe(true);
    const change = await store.importRootfs(createReadStream(busyboxTar), { repo: 'x', changes: ['RUN rm -rf /'] }).catch((e: unknown) => e);
    expect(isTsnetError(change, 'ERR_IMAGE_CHANGE_INVALID')).toBe(true);
    const ref = await store.importRootfs(createReadStream(busyboxTar), { repo: '../etc' }).catch((e: unknown) => e);
    expect(isTsnetError(ref, 'ERR_IMAGE_REFERENCE_INVALID')).toBe(true);
    expect(store.list()).toEqual([]);
    expect(readdirSync(join(dataRoot, 'images')).filter((n) => n !== 'tmp')).toEqual([]);
  });

  it('loads a docker save archive: layers in order, whiteouts, opaque dirs, gzip layer, digests checked', async () => {
    const lower = tree({
      'etc/keep': 'kept\n', 'etc/gone': 'removed by a whiteout\n', 'opaque/old/deep': 'hidden\n', 'opaque/old2': 'hidden\n', 'replaced': 'file\n',
    });
    const upper = tree({
      'etc/.wh.gone': '', 'etc/added': 'new\n', 'opaque/.wh..wh..opq': '', 'opaque/fresh': 'fresh\n', 'replaced/': '',
    });
    const { archive, id } = saveArchive([tarOf(lower), tarOf(upper)], { architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/bin'], Cmd: ['sh'] } }, ['saved:v1'], true);
    const store = await ImageStore.open({ dataRoot: mkdtempSync(join(work, 'root-')) });
    const [image] = await store.load(Readable.from([archive]));
    expect(image!.id).toBe(id);
    expect(image!.repoTags).toEqual(['saved:v1']);
    const root = image!.rootfsPath;
    expect(readFileSync(join(root, 'etc/keep'), 'utf8')).toBe('kept\n');
    expect(readFileSync(join(root, 'etc/added'), 'utf8')).toBe('new\n');
    expect(existsSync(join(root, 'etc/gone'))).toBe(false);
    expect(readdirSync(join(root, 'opaque'))).toEqual(['fresh']);
    expect(lstatSync(join(root, 'replaced')).isDirectory()).toBe(true);
    expect(readdirSync(root).some((n) => n.startsWith('.wh.'))).toBe(false);
    expect(store.inspect('saved:v1').Config).toMatchObject({ Env: ['PATH=/bin'], Cmd: ['sh'] });
  });

  it('never writes outside the image through a symlink from a lower layer', async () => {
    const outside = mkdtempSync(join(work, 'outside-'));
    const lower = tree({ evil: { symlink: outside }, 'abs': { symlink: '/' } });
    const upper = tree({ 'evil/pwned': 'x', 'abs/tmp/pwned2': 'x' });
    const { archive } = saveArchive([tarOf(lower), tarOf(upper)], { config: {} }, ['evil:1']);
    const store = await ImageStore.open({ dataRoot: mkdtempSync(join(work, 'root-')) });
    const [image] = await store.load(Readable.from([archive]));
    expect(readdirSync(outside)).toEqual([]);
    expect(existsSync('/tmp/pwned2')).toBe(false);
    expect(readFileSync(join(image!.rootfsPath, 'evil/pwned'), 'utf8')).toBe('x');
  });

  it('refuses manifest paths leaving the archive and layers whose digest does not match', async () => {
    const store = await ImageStore.open({ dataRoot: mkdtempSync(join(work, 'root-')) });
    const dir = mkdtempSync(join(work, 'save-'));
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: '../../etc/passwd', RepoTags: ['x:1'], Layers: [] }]));
    const escape = await store.load(Readable.from([tarOf(dir)])).catch((e: unknown) => e);
    expect(isTsnetError(escape, 'ERR_IMAGE_ARCHIVE_INVALID')).toBe(true);
    const good = saveArchive([tarOf(tree({ a: 'a' }))], { config: {} }, ['y:1']);
    const tampered = saveArchive([tarOf(tree({ a: 'b' }))], { config: {} }, ['y:1']);
    // Good config, other layer bytes: the diff id check must catch it.
    const mixed = mkdtempSync(join(work, 'mixed-'));
    execFileSync('tar', ['-x', '-f', '-', '-C', mixed], { input: good.archive });
    const other = mkdtempSync(join(work, 'other-'));
    execFileSync('tar', ['-x', '-f', '-', '-C', other], { input: tampered.archive });
    writeFileSync(join(mixed, 'layer0/layer.tar'), readFileSync(join(other, 'layer0/layer.tar')));
    const digest = await store.load(Readable.from([tarOf(mixed)])).catch((e: unknown) => e);
    expect(isTsnetError(digest, 'ERR_IMAGE_ARCHIVE_INVALID')).toBe(true);
    expect(store.list()).toEqual([]);
  });

  it('tags and removes with Docker rules', async () => {
    let usage: 'running' | 'stopped' | undefined;
    const store = await ImageStore.open({ dataRoot: mkdtempSync(join(work, 'root-')), usage: () => usage });
    const image = await store.importRootfs(createReadStream(busyboxTar), { repo: 'a' });
    await store.tag('a', 'b', 'x');
    expect(store.resolve('b:x').repoTags).toEqual(['a:latest', 'b:x']);
    // By id with two tags: must be forced.
    expect(isTsnetError(await store.remove(image.id).catch((e: unknown) => e), 'ERR_IMAGE_IN_USE')).toBe(true);
    // By tag with another tag left: untag only.
    expect(await store.remove('b:x')).toEqual([{ Untagged: 'b:x' }]);
    usage = 'running';
    expect(isTsnetError(await store.remove('a').catch((e: unknown) => e), 'ERR_IMAGE_IN_USE')).toBe(true);
    expect(isTsnetError(await store.remove(image.id, { force: true }).catch((e: unknown) => e), 'ERR_IMAGE_IN_USE')).toBe(true);
    usage = undefined;
    expect(await store.remove('a')).toEqual([{ Untagged: 'a:latest' }, { Deleted: image.id }]);
    expect(existsSync(image.rootfsPath)).toBe(false);
    expect(store.list()).toEqual([]);
  });
});
