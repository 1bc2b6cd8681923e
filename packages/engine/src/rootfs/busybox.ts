import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, open, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { unavailable } from '@tsnet/errors';

const run = promisify(execFile);

export interface BusyboxRootfsOptions {
  /** A statically linked busybox (Debian's busybox-static installs /bin/busybox). */
  busybox?: string;
  /** Extra files, path inside the rootfs → content. */
  files?: Record<string, string>;
}

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1:daemon:/usr/sbin:/bin/false',
  'www-data:x:33:33:www-data:/var/www:/bin/false',
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
];
const GROUP = ['root:x:0:', 'daemon:x:1:', 'tty:x:5:', 'www-data:x:33:', 'nogroup:x:65534:'];

/** Directories of the image and their modes; /tmp is world-writable and sticky as everywhere. */
const DIRS: Array<[string, number]> = [
  ['bin', 0o755], ['etc', 0o755], ['dev', 0o755], ['proc', 0o555], ['sys', 0o555], ['tmp', 0o1777],
  ['root', 0o700], ['home', 0o755], ['var', 0o755], ['var/www', 0o755], ['usr', 0o755], ['run', 0o755],
];

/**
 * True when the ELF file has no PT_INTERP program header, i.e. needs no dynamic loader: the only
 * kind of busybox that runs inside a rootfs holding nothing but itself.
 */
export async function isStaticElf(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const header = Buffer.alloc(64);
    await handle.read(header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2) return false; // ELF64 only
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const table = Buffer.alloc(phentsize * phnum);
    await handle.read(table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) if (table.readUInt32LE(i * phentsize) === 3) return false; // PT_INTERP
    return true;
  } finally {
    await handle.close();
  }
}

async function applets(busybox: string): Promise<string[]> {
  const { stdout } = await run(busybox, ['--list']);
  return stdout.split('\n').filter((name) => /^[\w.[-]+$/.test(name) && name !== 'busybox');
}

/**
 * Writes a minimal busybox image as a rootfs tar at `tarPath` (for `docker import` / the image
 * store): /bin/busybox with every applet as a symlink (sh, ping, nc, wget, httpd, nslookup, ip,
 * ...), /etc/passwd and /etc/group, empty /etc/hosts, /etc/resolv.conf and /etc/hostname (the
 * runtime bind-mounts the real ones), and the usual empty mount points. Owners are root, names
 * sorted and times fixed, so the same busybox always gives the same tar.
 */
export async function makeBusyboxRootfsTar(tarPath: string, options: BusyboxRootfsOptions = {}): Promise<void> {
  const busybox = options.busybox ?? '/bin/busybox';
  const isStatic = await isStaticElf(busybox).catch(() => false);
  if (!isStatic) {
    throw unavailable('ERR_BUSYBOX_MISSING', `${busybox} is missing or not statically linked (apt-get install busybox-static)`);
  }
  const staging = await mkdtemp(join(tmpdir(), 'tsnet-busybox-'));
  try {
    await chmod(staging, 0o755); // the image's / (mkdtemp made it 0700)
    for (const [dir, mode] of DIRS) {
      await mkdir(join(staging, dir), { recursive: true });
      await chmod(join(staging, dir), mode);
    }
    await copyFile(busybox, join(staging, 'bin/busybox'));
    await chmod(join(staging, 'bin/busybox'), 0o755);
    for (const name of await applets(busybox)) await symlink('busybox', join(staging, 'bin', name));
    const files: Record<string, string> = {
      'etc/passwd': PASSWD.join('\n') + '\n',
      'etc/group': GROUP.join('\n') + '\n',
      'etc/nsswitch.conf': 'hosts: files dns\n',
      'etc/hosts': '',
      'etc/resolv.conf': '',
      'etc/hostname': '',
      ...options.files,
    };
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(staging, path)), { recursive: true });
      await writeFile(join(staging, path), content, { mode: 0o644 });
    }
    await mkdir(dirname(tarPath), { recursive: true });
    await run('tar', ['-c', '-f', tarPath, '-C', staging, '--owner=0', '--group=0', '--numeric-owner', '--sort=name', '--mtime=@1700000000', '.']);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
