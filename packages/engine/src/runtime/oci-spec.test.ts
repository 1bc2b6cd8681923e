import { describe, expect, it } from 'vitest';
import { isTsnetError } from '@tsnet/errors';
import { buildOciConfig, capabilities, DEFAULT_CAPABILITIES, orderMounts, ownNofileLimit } from './oci-spec.js';
import type { ContainerSpec } from './types.js';

const ID = 'a'.repeat(64);
const base: ContainerSpec = {
  rootfs: '/var/lib/tsnet/images/x/rootfs',
  process: { args: ['sh', '-c', 'echo hi'], env: ['PATH=/bin'], cwd: '/' },
  network: { path: '/run/netns/tsnet-123456789abc' },
};

describe('buildOciConfig', () => {
  it('matches the snapshot for a sandboxed container with caller mounts', () => {
    const config = buildOciConfig(
      {
        ...base,
        hostname: 'web1',
        shmSize: 128 * 1024 * 1024,
        mounts: [
          { destination: '/data/sub', type: 'bind', source: '/srv/sub', options: ['rbind', 'ro'] },
          { destination: '/etc/hosts', type: 'bind', source: '/var/lib/tsnet/containers/x/hosts', options: ['rbind', 'rprivate'] },
          { destination: '/data', type: 'bind', source: '/var/lib/tsnet/volumes/v/_data', options: ['rbind'] },
        ],
      },
      { id: ID, cgroupParent: '/tsnet', nofile: 20000 },
    );
    expect(config).toMatchSnapshot();
  });

  it('host mode has no network namespace; none mode a fresh one', () => {
    const ns = (network: ContainerSpec['network']) =>
      (buildOciConfig({ ...base, network }, { id: ID, cgroupParent: '/tsnet' }).linux as { namespaces: unknown[] }).namespaces;
    expect(ns('host')).toEqual([{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }]);
    expect(ns('none')).toContainEqual({ type: 'network' });
    expect(ns({ path: '/run/netns/x' })).toContainEqual({ type: 'network', path: '/run/netns/x' });
  });

  it('defaults the hostname to the short id and cwd to /', () => {
    const config = buildOciConfig({ ...base, process: { ...base.process, cwd: '' } }, { id: ID, cgroupParent: '/p' });
    expect(config['hostname']).toBe(ID.slice(0, 12));
    expect((config['process'] as { cwd: string }).cwd).toBe('/');
    expect((config['linux'] as { cgroupsPath: string }).cgroupsPath).toBe(`/p/${ID}`);
  });
});

describe('orderMounts', () => {
  const defaults = [
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs' },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm' },
  ];
  it('puts parents before children and lets a caller mount replace a default', () => {
    const out = orderMounts(defaults, [
      { destination: '/a/b/c', type: 'bind', source: '1' },
      { destination: '/dev/shm', type: 'bind', source: '/host/shm' }, // replaces the default shm tmpfs
      { destination: '/a', type: 'bind', source: '2' },
      { destination: '/z', type: 'bind', source: '3' },
    ]);
    expect(out.map((m) => `${m.destination}<${m.source}`)).toEqual(['/dev<tmpfs', '/a<2', '/z<3', '/dev/shm</host/shm', '/a/b/c<1']);
  });
  it.each(['relative', '/a/../etc'])('rejects destination %j', (destination) => {
    let error: unknown;
    try {
      orderMounts(defaults, [{ destination, type: 'bind', source: '/x' }]);
    } catch (e) {
      error = e;
    }
    expect(isTsnetError(error, 'ERR_MOUNT_INVALID')).toBe(true);
  });
});

describe('capabilities', () => {
  it.each([
    [[], [], DEFAULT_CAPABILITIES],
    [['net_admin'], [], [...DEFAULT_CAPABILITIES, 'CAP_NET_ADMIN']],
    [[], ['CAP_NET_RAW', 'chown'], DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_NET_RAW' && c !== 'CAP_CHOWN')],
    [['NET_ADMIN'], ['ALL'], ['CAP_NET_ADMIN']], // drop ALL keeps only what is added
  ])('add %j drop %j', (add, drop, expected) => {
    expect(capabilities(add, drop).sort()).toEqual([...expected].sort());
  });
  it('rejects unknown names', () => {
    expect(() => capabilities(['CAP_FLY'])).toThrow(/unknown capability/);
  });
});

it('ownNofileLimit reads the hard limit from /proc/self/limits', () => {
  const limits = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n';
  expect(ownNofileLimit(limits)).toBe(524288);
});
