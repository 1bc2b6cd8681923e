import { describe, expect, it } from 'vitest';
import { isTsnetError } from '@tsnet/errors';
import { parseBind } from './bind.js';
import { parseMountFlag, splitCsv } from './mount-flag.js';
import { parseMountSpec } from './validate.js';
import { mergeTmpfsOptions, parseTmpfsFlag, tmpfsMountOptions, validateTmpfsDestination, convertTmpfsOptions } from './tmpfs.js';
import { parseVolumesFrom } from './volumes-from.js';
import type { ApiMount } from './types.js';
import { ramInBytes } from '../units.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isTsnetError(error)) return `${error.code}: ${error.message}`;
    throw error;
  }
  return 'ok';
}

describe('-v / HostConfig.Binds (ParseMountRaw)', () => {
  // Docker's own valid table (linux_parser_test.go).
  it.each([
    '/home', '/home:/home', '/home:/something/else', '/with space', '/home:/with space', 'relative:/absolute-path',
    'hostPath:/containerPath:ro', '/hostPath:/containerPath:rw', '/rw:/ro', '/hostPath:/containerPath:shared',
    '/hostPath:/containerPath:rshared', '/hostPath:/containerPath:slave', '/hostPath:/containerPath:rslave',
    '/hostPath:/containerPath:private', '/hostPath:/containerPath:rprivate', '/hostPath:/containerPath:ro,shared',
    '/hostPath:/containerPath:ro,z,shared', '/hostPath:/containerPath:Z,ro,slave', '/hostPath:/containerPath:rslave,ro,Z',
    'name:/data:nocopy', 'name:/data:ro,nocopy', '/a:/b:cached', '/a:/b:delegated,ro',
  ])('accepts %s', (spec) => {
    expect(codeOf(() => parseBind(spec))).toBe('ok');
  });

  // Docker's own invalid table, with the meaning of each message.
  it.each([
    ['', 'ERR_MOUNT_SPEC_INVALID', 'invalid volume specification'],
    ['./', 'ERR_MOUNT_SPEC_INVALID', 'mount path must be absolute'],
    ['../', 'ERR_MOUNT_SPEC_INVALID', 'mount path must be absolute'],
    ['/:../', 'ERR_MOUNT_SPEC_INVALID', 'mount path must be absolute'],
    ['/:path', 'ERR_MOUNT_SPEC_INVALID', 'mount path must be absolute'],
    [':', 'ERR_MOUNT_SPEC_INVALID', 'invalid volume specification'],
    ['/tmp:', 'ERR_MOUNT_SPEC_INVALID', 'invalid volume specification'],
    [':test', 'ERR_MOUNT_SPEC_INVALID', 'invalid volume specification'],
    ['::', 'ERR_MOUNT_SPEC_INVALID', 'invalid volume specification'],
    [':::', 'ERR_MOUNT_SPEC_INVALID', 'invalid volume specification'],
    ['/tmp:::', 'ERR_MOUNT_SPEC_INVALID', 'invalid volume specification'],
    ['/a:/b:ro:extra', 'ERR_MOUNT_SPEC_INVALID', 'invalid volume specification'], // four parts
    ['/path:rw', 'ERR_MOUNT_SPEC_INVALID', 'invalid volume specification'], // a destination with a mode only
    ['/path:ro', 'ERR_MOUNT_SPEC_INVALID', 'invalid volume specification'],
    ['path:ro', 'ERR_MOUNT_SPEC_INVALID', 'invalid volume specification'],
    ['/path:shared', 'ERR_MOUNT_SPEC_INVALID', 'invalid volume specification'],
    ['/path:/path:sw', 'ERR_MOUNT_MODE_INVALID', 'invalid mode: sw'],
    ['/path:/path:rwz', 'ERR_MOUNT_MODE_INVALID', 'invalid mode'],
    ['/path:/path:ro,rw', 'ERR_MOUNT_MODE_INVALID', 'invalid mode'], // one rw/ro word only
    ['/path:/path:ro,rshared,rslave', 'ERR_MOUNT_MODE_INVALID', 'invalid mode'],
    ['/path:/path:nocopy,nocopy', 'ERR_MOUNT_MODE_INVALID', 'invalid mode'],
    ['/', 'ERR_MOUNT_SPEC_INVALID', "destination can't be '/'"],
    ['/src:/', 'ERR_MOUNT_SPEC_INVALID', "destination can't be '/'"],
    ['name:/absolute-path:shared', 'ERR_MOUNT_SPEC_INVALID', 'BindOptions must not be specified'], // propagation on a volume
    ['name:/absolute-path:rprivate', 'ERR_MOUNT_SPEC_INVALID', 'BindOptions must not be specified'],
    ['/host:/path:nocopy', 'ERR_MOUNT_SPEC_INVALID', 'VolumeOptions must not be specified'], // nocopy on a bind
  ])('refuses %j', (spec, code, text) => {
    const got = codeOf(() => parseBind(spec));
    expect(got.startsWith(`${code}:`)).toBe(true);
    expect(got).toContain(text);
  });

  it.each([
    ['/data', { type: 'volume', name: '', destination: '/data', rw: true, copyData: true, propagation: '' }],
    ['vol:/data', { type: 'volume', name: 'vol', destination: '/data', rw: true, copyData: true }],
    ['vol:/data:ro,nocopy', { type: 'volume', name: 'vol', rw: false, copyData: false, mode: 'ro,nocopy' }],
    ['/host:/in', { type: 'bind', source: '/host', destination: '/in', rw: true, propagation: 'rprivate', createSource: true }],
    ['/host/:/in/x/../y/', { type: 'bind', source: '/host', destination: '/in/y' }], // cleaned like path.Clean
    ['/host:/in:ro,rslave,Z', { type: 'bind', rw: false, propagation: 'rslave', mode: 'ro,rslave,Z' }],
    ['/host:/in:shared', { type: 'bind', rw: true, propagation: 'shared' }],
  ])('parses %s', (spec, want) => {
    expect(parseBind(spec)).toMatchObject(want);
  });

  it('gives -v volumes the --volume-driver, never binds', () => {
    expect(parseBind('v:/d', 'flocker').driver).toBe('flocker');
    expect(parseBind('/h:/d', 'flocker').driver).toBe('');
  });
});

describe('--mount (CLI opts/mount.go)', () => {
  it.each<[string, ApiMount]>([
    ['type=bind,source=/a,target=/b', { Type: 'bind', Source: '/a', Target: '/b' }],
    ['type=bind,src=/a,dst=/b,readonly', { Type: 'bind', Source: '/a', Target: '/b', ReadOnly: true }],
    ['type=bind,src=/a,destination=/b,ro=true,bind-propagation=rshared', { Type: 'bind', ReadOnly: true, BindOptions: { Propagation: 'rshared' } }],
    ['type=bind,src=/a,dst=/b,bind-recursive=disabled', { BindOptions: { NonRecursive: true } }],
    ['type=bind,src=/a,dst=/b,bind-create-src', { BindOptions: { CreateMountpoint: true } }],
    ['target=/data', { Type: 'volume', Target: '/data' }], // type defaults to volume
    ['type=volume,src=v,dst=/d,volume-nocopy', { VolumeOptions: { NoCopy: true } }],
    ['type=volume,src=v,dst=/d,volume-nocopy=false', { VolumeOptions: { NoCopy: false } }],
    ['type=volume,src=v,dst=/d,volume-subpath=sub/dir', { VolumeOptions: { Subpath: 'sub/dir' } }],
    ['type=volume,src=v,dst=/d,volume-driver=foo,volume-opt=a=b,volume-opt=c=d=e', { VolumeOptions: { DriverConfig: { Name: 'foo', Options: { a: 'b', c: 'd=e' } } } }],
    ['type=volume,src=v,dst=/d,volume-label=x=y', { VolumeOptions: { Labels: { x: 'y' } } }],
    ['"type=volume","src=v","dst=/d","volume-opt=o=size=1m,uid=1000"', { VolumeOptions: { DriverConfig: { Options: { o: 'size=1m,uid=1000' } } } }], // csv quoting
    ['type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770', { Type: 'tmpfs', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1770 } }],
    ['TYPE=TMPFS,DST=/t', { Type: 'tmpfs', Target: '/t' }], // keys and type are case-insensitive
  ])('parses %s', (flag, want) => {
    expect(parseMountFlag(flag)).toMatchObject(want);
  });

  it('makes ./relative sources absolute against the cwd', () => {
    expect(parseMountFlag('type=bind,src=./x,dst=/y', '/work').Source).toBe('/work/x');
  });

  it.each([
    ['', 'value is empty'],
    ['type=bind,src=/a,dst=/b,bogus=1', "unknown option 'bogus' in 'bogus=1'"],
    ['type=bind,src', "invalid field 'src' must be a key=value pair"],
    ['type=bind,src=,dst=/b', "invalid value for 'src': value is empty"],
    ['type=bind, src=/a,dst=/b', "invalid option 'src' in ' src=/a': option should not have whitespace"],
    ['type=bind,src=/a ,dst=/b', 'value should not have whitespace'],
    ['type=bind,src=/a,dst=/b,readonly=yes', 'invalid boolean value ("yes")'],
    ['type=bind,src=/a,dst=/b,volume-nocopy', "cannot mix 'volume-*' options with mount type 'bind'"],
    ['type=volume,src=v,dst=/b,bind-propagation=shared', "cannot mix 'bind-*' options with mount type 'volume'"],
    ['type=volume,dst=/b,tmpfs-size=1m', "cannot mix 'tmpfs-*' options with mount type 'volume'"],
    ['type=tmpfs,dst=/b,volume-opt=a=b', "cannot mix 'volume-*' options with mount type 'tmpfs'"],
    ['type=tmpfs,dst=/b,bind-propagation=shared', "cannot mix 'bind-*' options with mount type 'tmpfs'"],
    ['type=bind,src=/a,dst=/b,bind-nonrecursive', 'bind-nonrecursive is deprecated'],
    ['type=bind,src=/a,dst=/b,bind-recursive=maybe', 'invalid value for bind-recursive: maybe'],
    ['type=bind,src=/a,dst=/b,bind-recursive=writable', "requires 'readonly'"],
    ['type=bind,src=/a,dst=/b,bind-recursive=readonly,ro', "requires 'bind-propagation=rprivate'"],
    ['type=tmpfs,dst=/t,tmpfs-size=lots', 'invalid value for tmpfs-size: lots'],
    ['type=tmpfs,dst=/t,tmpfs-mode=999', 'invalid value for tmpfs-mode: 999'],
    ['"type=bind,src=/a', 'extraneous or missing " in quoted-field'],
    ['type=bind,src="/a,dst=/b', 'bare " in non-quoted-field'],
    ['type=bind,src=/a"b,dst=/b', 'bare " in non-quoted-field'],
  ])('refuses %j', (flag, text) => {
    const got = codeOf(() => parseMountFlag(flag));
    expect(got.startsWith('ERR_MOUNT_FLAG_INVALID:')).toBe(true);
    expect(got).toContain(text);
  });

  it('splits CSV like encoding/csv', () => {
    expect(splitCsv('a,"b,c",d')).toEqual(['a', 'b,c', 'd']);
    expect(splitCsv('"x""y"')).toEqual(['x"y']);
    expect(splitCsv('a,,b')).toEqual(['a', '', 'b']);
  });
});

describe('HostConfig.Mounts (ParseMountSpec)', () => {
  it.each<[ApiMount, string]>([
    [{ Type: 'bind', Target: '/b' }, 'field Source must not be empty'],
    [{ Type: 'bind', Source: 'rel', Target: '/b' }, "invalid mount path: 'rel' mount path must be absolute"],
    [{ Type: 'bind', Source: '/a' }, 'field Target must not be empty'],
    [{ Type: 'bind', Source: '/a', Target: 'rel' }, 'mount path must be absolute'],
    [{ Type: 'bind', Source: '/a', Target: '/' }, "destination can't be '/'"],
    [{ Type: 'bind', Source: '/a', Target: '/b', BindOptions: { Propagation: 'sideways' } }, 'invalid propagation mode: sideways'],
    [{ Type: 'bind', Source: '/a', Target: '/b', VolumeOptions: {} }, 'field VolumeOptions must not be specified'],
    [{ Type: 'volume', Target: '/b', BindOptions: {} }, 'field BindOptions must not be specified'],
    [{ Type: 'volume', Target: '/b', TmpfsOptions: {} }, 'field TmpfsOptions must not be specified'],
    [{ Type: 'volume', Target: '/b', VolumeOptions: { Subpath: 'x' } }, 'must not set Subpath when using anonymous volumes'],
    [{ Type: 'volume', Source: 'v', Target: '/b', VolumeOptions: { Subpath: '../x' } }, 'subpath must be a relative path within the volume'],
    [{ Type: 'volume', Source: 'v', Target: '/b', VolumeOptions: { Subpath: '/abs' } }, 'subpath must be a relative path within the volume'],
    [{ Type: 'volume', Source: 'v', Target: '/b', VolumeOptions: { Subpath: 'a/../../x' } }, 'subpath must be a relative path within the volume'],
    [{ Type: 'tmpfs', Source: 'x', Target: '/t' }, 'field Source must not be specified'],
    [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { Options: [['nosuid']] } }, 'invalid option: nosuid'],
    [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { Options: [['exec', 'a', 'b']] } }, 'invalid option array length'],
    [{ Type: 'npipe', Target: '/t' }, 'mount type unknown'],
    [{ Target: '/t' }, 'mount type unknown'],
  ])('refuses %j', (m, text) => {
    const got = codeOf(() => parseMountSpec(m));
    expect(got.startsWith(`ERR_MOUNT_CONFIG_INVALID: invalid mount config for type "${m.Type ?? ''}": `)).toBe(true);
    expect(got).toContain(text);
  });

  it('records tmpfs data like ConvertTmpfsOptions', () => {
    expect(parseMountSpec({ Type: 'tmpfs', Target: '/t', ReadOnly: true, TmpfsOptions: { SizeBytes: 3 * 1024 ** 3, Mode: 0o700, Options: [['exec']] } }).tmpfsOptions).toBe('ro,mode=700,size=3g,exec');
    expect(convertTmpfsOptions({ Type: 'tmpfs', TmpfsOptions: { SizeBytes: 1000 } })).toBe('size=1000');
  });

  it('keeps volume options and defaults copy on', () => {
    expect(parseMountSpec({ Type: 'volume', Source: 'v', Target: '/d', VolumeOptions: { Labels: { a: 'b' }, DriverConfig: { Name: 'local', Options: { type: 'tmpfs' } } } })).toMatchObject({
      name: 'v', driver: 'local', copyData: true, volumeLabels: { a: 'b' }, volumeOptions: { type: 'tmpfs' }, anonymous: false,
    });
  });
});

describe('--tmpfs, --volumes-from, sizes', () => {
  it('cuts --tmpfs at the first colon', () => {
    expect(parseTmpfsFlag('/run:rw,size=1m')).toEqual(['/run', 'rw,size=1m']);
    expect(parseTmpfsFlag('/run')).toEqual(['/run', '']);
  });

  it('always adds noexec,nosuid,nodev; the user overrides', () => {
    expect(tmpfsMountOptions('')).toEqual(['noexec', 'nosuid', 'nodev', 'rprivate']);
    expect(tmpfsMountOptions('rw,size=1m')).toEqual(['noexec', 'nosuid', 'nodev', 'rprivate', 'rw', 'size=1m']);
    expect(tmpfsMountOptions('exec,size=1m,size=2m')).toEqual(['nosuid', 'nodev', 'rprivate', 'exec', 'size=2m']);
  });

  it.each(['bogus', 'foo=bar', 'uid'])('refuses tmpfs option %s', (o) => {
    expect(codeOf(() => mergeTmpfsOptions([o]))).toMatch(/^ERR_TMPFS_OPTION_INVALID: invalid tmpfs option/);
  });

  it.each([
    ['relative', 'mount path must be absolute'],
    ['/', "destination can't be '/'"],
  ])('refuses tmpfs destination %s', (d, text) => {
    expect(codeOf(() => validateTmpfsDestination(d))).toContain(text);
  });

  it.each([
    ['c1', { id: 'c1', mode: 'rw' }],
    ['c1:ro', { id: 'c1', mode: 'ro' }],
    ['c1:rw', { id: 'c1', mode: 'rw' }],
    ['c1:ro,z', { id: 'c1', mode: 'ro,z' }],
  ])('parses --volumes-from %s', (spec, want) => {
    expect(parseVolumesFrom(spec)).toEqual(want);
  });

  it.each([
    ['', 'ERR_MOUNT_SPEC_INVALID: volumes-from specification cannot be an empty string'],
    ['c1:shared', 'ERR_MOUNT_MODE_INVALID: invalid mode: shared'], // propagation is inherited, never set
    ['c1:nocopy', 'ERR_MOUNT_MODE_INVALID: invalid mode: nocopy'],
    ['c1:bogus', 'ERR_MOUNT_MODE_INVALID: invalid mode: bogus'],
  ])('refuses --volumes-from %j', (spec, want) => {
    expect(codeOf(() => parseVolumesFrom(spec))).toBe(want);
  });

  it.each([
    ['64m', 64 * 1024 ** 2], ['1g', 1024 ** 3], ['10KiB', 10240], ['512', 512], ['1.5k', 1536], ['2 MB', 2 * 1024 ** 2], ['7b', 7],
  ])('reads size %s', (text, bytes) => {
    expect(ramInBytes(text)).toBe(bytes);
  });

  it.each(['', 'm', '-1m', '1x', '1kk', '1mbb'])('refuses size %j', (text) => {
    expect(codeOf(() => ramInBytes(text))).toMatch(/^ERR_INVALID_SIZE/);
  });
});
