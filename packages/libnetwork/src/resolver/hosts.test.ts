import { describe, expect, it } from 'vitest';
import { isTsnetError } from '@tsnet/errors';
import { buildHostModeHosts, buildHosts, parseExtraHost } from './hosts.js';

describe('buildHosts', () => {
  it("lays out Docker's file: loopback block, --add-host, links, own name per address", () => {
    const out = buildHosts({
      hostname: 'web',
      domainname: 'example.com',
      addresses: ['172.17.0.2', '10.1.0.5'],
      extraHosts: [parseExtraHost('db.local:10.9.9.9')],
      links: [{ ip: '172.17.0.3', names: ['db', 'abc123', 'db1'] }],
    });
    expect(out).toBe(
      [
        '127.0.0.1\tlocalhost',
        '::1\tlocalhost ip6-localhost ip6-loopback',
        'fe00::0\tip6-localnet',
        'ff00::0\tip6-mcastprefix',
        'ff02::1\tip6-allnodes',
        'ff02::2\tip6-allrouters',
        '10.9.9.9\tdb.local',
        '172.17.0.3\tdb abc123 db1',
        '172.17.0.2\tweb.example.com web',
        '10.1.0.5\tweb.example.com web',
      ].join('\n') + '\n',
    );
  });

  it('host mode starts from the host file', () => {
    expect(buildHostModeHosts('127.0.0.1 localhost', [parseExtraHost('x:1.2.3.4')])).toBe('127.0.0.1 localhost\n1.2.3.4\tx\n');
  });
});

describe('parseExtraHost', () => {
  it.each([
    ['a:1.2.3.4', { ip: '1.2.3.4', names: ['a'] }],
    ['a=1.2.3.4', { ip: '1.2.3.4', names: ['a'] }],
    ['v6:::1', { ip: '::1', names: ['v6'] }], // the first ':' separates, the rest is the IPv6 address
    ['gw:host-gateway', { ip: 'host-gateway', names: ['gw'] }],
  ])('%s', (spec, want) => expect(parseExtraHost(spec)).toEqual(want));

  it.each(['nohost', ':1.2.3.4', 'a:notanip', 'a b:1.2.3.4'])('refuses %s', (spec) => {
    expect(() => parseExtraHost(spec)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_EXTRA_HOST' }));
    try {
      parseExtraHost(spec);
    } catch (e) {
      expect(isTsnetError(e, 'ERR_INVALID_EXTRA_HOST')).toBe(true);
    }
  });
});
