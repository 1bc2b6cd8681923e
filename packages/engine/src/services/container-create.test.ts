import { describe, expect, it } from 'vitest';
import { isTsnetError } from '@tsnet/errors';
import { exposedPorts, parseContainerName, parseLink, parseNetworkMode, parsePortKey, portRequests } from './container-create.js';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return isTsnetError(error) ? error.code : 'not-tsnet';
  }
  return undefined;
};

describe('container create parsing (Docker rules)', () => {
  it.each([
    ['web', 'web'],
    ['/web', 'web'],
    ['a.b_c-d', 'a.b_c-d'],
  ])('name %s is valid', (raw, want) => expect(parseContainerName(raw)).toBe(want));

  it.each(['a', 'a/b', '..', '../x', '-x', '_x', 'x y', ''])('name %j is refused', (raw) => {
    expect(code(() => parseContainerName(raw))).toBe('ERR_CONTAINER_NAME_INVALID');
  });

  it('port keys default to tcp and are range-checked', () => {
    expect(parsePortKey('80')).toEqual({ port: 80, proto: 'tcp' });
    expect(parsePortKey('53/udp')).toEqual({ port: 53, proto: 'udp' });
    expect(parsePortKey('9/sctp')).toEqual({ port: 9, proto: 'sctp' });
    for (const bad of ['0', '65536', '80/icmp', 'x', '80/']) expect(code(() => parsePortKey(bad))).toBe('ERR_INVALID_PORT');
  });

  it('PortBindings become requests: ephemeral, fixed, ranges and host IPs', () => {
    expect(portRequests({ '80/tcp': [{ HostIp: '', HostPort: '8080' }, { HostIp: '127.0.0.1', HostPort: '' }], '53/udp': [{ HostPort: '5000-5010' }], '81/tcp': null })).toEqual([
      { proto: 'tcp', containerPort: 80, hostIp: '', hostPort: 8080 },
      { proto: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostPort: 0 },
      { proto: 'udp', containerPort: 53, hostIp: '', hostPort: 5000, hostPortEnd: 5010 },
      { proto: 'tcp', containerPort: 81, hostIp: '', hostPort: 0 },
    ]);
    expect(code(() => portRequests({ '80/tcp': [{ HostPort: 'abc' }] }))).toBe('ERR_INVALID_PORT');
  });

  it('exposed ports merge image and request without duplicates', () => {
    expect(exposedPorts({ '80/tcp': {} }, { '80': {}, '53/udp': {} })).toEqual([{ port: 80, proto: 'tcp' }, { port: 53, proto: 'udp' }]);
  });

  it('links accept the forms the API carries', () => {
    expect(parseLink('db:alias')).toEqual({ container: 'db', alias: 'alias' });
    expect(parseLink('/db:/web/alias')).toEqual({ container: 'db', alias: 'alias' });
    expect(parseLink('db')).toEqual({ container: 'db', alias: 'db' });
    expect(code(() => parseLink(':x'))).toBe('ERR_INVALID_LINK');
  });

  it('network modes', () => {
    for (const m of [undefined, '', 'default', 'bridge']) expect(parseNetworkMode(m)).toEqual({ kind: 'default' });
    expect(parseNetworkMode('host')).toEqual({ kind: 'host' });
    expect(parseNetworkMode('none')).toEqual({ kind: 'none' });
    expect(parseNetworkMode('container:web')).toEqual({ kind: 'container', ref: 'web' });
    expect(parseNetworkMode('mynet')).toEqual({ kind: 'network', name: 'mynet' });
    expect(code(() => parseNetworkMode('container:'))).toBe('ERR_NETWORK_MODE');
  });
});
