import { describe, expect, it } from 'vitest';
import { isTsnetError } from '@tsnet/errors';
import { checkNetworkModeConflicts, createWarnings, exposedPorts, mergeEnv, normaliseLinks, parseContainerName, parseLink, parseNetworkMode, parsePortKey, portRequests, substituteHostGateway } from './container-create.js';

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

describe('create checks dockerd makes before anything exists', () => {
  it('host-gateway becomes the gateway address; other entries are kept', () => {
    expect(substituteHostGateway(['host.docker.internal:host-gateway', 'a:1.2.3.4', 'b:::1'], '172.17.0.1')).toEqual(['host.docker.internal:172.17.0.1', 'a:1.2.3.4', 'b:::1']);
    expect(() => substituteHostGateway(['x:host-gateway'], undefined)).toThrow(/host-gateway/);
  });

  it.each([
    [{ Hostname: 'foo', HostConfig: { NetworkMode: 'container:a1' } }, 'conflicting options: hostname and the network mode'],
    [{ HostConfig: { NetworkMode: 'container:a1', Dns: ['1.1.1.1'] } }, 'conflicting options: dns and the network mode'],
    [{ HostConfig: { NetworkMode: 'container:a1', ExtraHosts: ['x:1.2.3.4'] } }, 'conflicting options: custom host-to-IP mapping and the network mode'],
    [{ HostConfig: { NetworkMode: 'container:a1', PortBindings: { '80/tcp': [{ HostPort: '80' }] } }, ExposedPorts: { '80/tcp': {} } }, 'conflicting options: port publishing and the container type network mode'],
    [{ HostConfig: { NetworkMode: 'container:a1' }, ExposedPorts: { '80/tcp': {} } }, 'conflicting options: port exposing and the container type network mode'],
    [{ MacAddress: '02:42:ac:11:00:09', HostConfig: { NetworkMode: 'host' } }, 'conflicting options: mac-address and the network mode'],
  ])('%j is refused', (body, message) => {
    expect(() => checkNetworkModeConflicts(body)).toThrow(message);
  });

  it('the same options are fine on a network of its own; host mode warns that ports are discarded', () => {
    expect(() => checkNetworkModeConflicts({ Hostname: 'foo', HostConfig: { NetworkMode: 'n1', Dns: ['1.1.1.1'], ExtraHosts: ['x:1.2.3.4'], PortBindings: { '80/tcp': [] } } })).not.toThrow();
    expect(createWarnings({ NetworkMode: 'host', PortBindings: { '80/tcp': [{ HostPort: '80' }] } })).toEqual(['Published ports are discarded when using host network mode']);
    expect(createWarnings({ NetworkMode: 'n1', PortBindings: { '80/tcp': [{ HostPort: '80' }] } })).toEqual([]);
  });

  it('Config.Env is image env overridden by the request; links are shown as dockerd does', () => {
    expect(mergeEnv(['PATH=/bin', 'A=1'], ['A=2', 'B=3'])).toEqual(['PATH=/bin', 'A=2', 'B=3']);
    expect(mergeEnv(null, undefined)).toEqual([]);
    expect(normaliseLinks(['b1:web', '/db'], 'b2')).toEqual(['/b1:/b2/web', '/db:/b2/db']);
    expect(normaliseLinks(null, 'b2')).toBeNull();
  });
});
