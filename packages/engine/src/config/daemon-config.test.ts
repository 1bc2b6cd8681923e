import { describe, expect, it } from 'vitest';
import { isTsnetError } from '@tsnet/errors';
import { controllerConfigOf, parseDaemonConfig } from './daemon-config.js';

const message = (text: string): string => {
  try {
    parseDaemonConfig(text);
  } catch (error) {
    if (isTsnetError(error, 'ERR_DAEMON_CONFIG')) return error.message;
    throw error;
  }
  return '';
};

describe('daemon.json', () => {
  it('accepts Docker\'s network and volume keys and maps them to the controller', () => {
    const file = parseDaemonConfig(JSON.stringify({ bip: '10.1.0.1/24', 'fixed-cidr': '10.1.0.128/25', icc: false, 'ip-masq': false, mtu: 1400, iptables: true, 'ip-forward': true, 'userland-proxy': false, dns: ['1.1.1.1'], 'dns-search': ['x'], 'dns-opts': ['ndots:2'], 'default-address-pools': [{ base: '172.80.0.0/16', size: 24 }], 'live-restore': true, 'data-root': '/d', 'default-shm-size': '64M', 'firewall-backend': 'iptables' }));
    expect(controllerConfigOf(file)).toEqual({
      defaultBridge: { bip: '10.1.0.1/24', fixedCidr: '10.1.0.128/25', icc: false, ipMasq: false },
      defaultAddressPools: [{ base: '172.80.0.0/16', size: 24 }],
      mtu: 1400,
      iptables: true,
      ipForward: true,
      userlandProxy: false,
      dns: ['1.1.1.1'],
      dnsSearch: ['x'],
      dnsOptions: ['ndots:2'],
    });
  });

  it('Docker keys tsnet does not implement are ignored with a warning; unknown keys still refused', () => {
    const warnings: string[] = [];
    const file = parseDaemonConfig(JSON.stringify({ 'log-driver': 'json-file', 'storage-driver': 'overlay2', ipv6: false, debug: true, hosts: ['unix:///x'], 'log-opts': { 'max-size': '10m' }, bip: '172.30.0.1/24', 'host-gateway-ip': '10.9.9.9' }), 'd.json', (m) => warnings.push(m));
    expect(file).toEqual({ bip: '172.30.0.1/24', 'host-gateway-ip': '10.9.9.9' });
    expect(warnings).toEqual(['d.json: ignoring Docker settings tsnet does not implement: log-driver, storage-driver, ipv6, debug, hosts, log-opts']);
    expect(message('{"log-driver": "json-file", "bogus-key": 1}')).toMatch(/don't match any configuration option: bogus-key/);
    expect(message('{"host-gateway-ip": "nope"}')).toMatch(/host-gateway-ip/);
    expect(parseDaemonConfig('{"ip": "127.0.0.1"}')).toEqual({ ip: '127.0.0.1' });
    expect(message('{"ip": "localhost"}')).toMatch(/ip: an IPv4 address/);
  });

  it('an empty file is no settings', () => {
    expect(parseDaemonConfig('')).toEqual({});
    expect(parseDaemonConfig('{}')).toEqual({});
  });

  it.each([
    ['{"bogus": 1}', /don't match any configuration option: bogus/],
    ['{"mtu": "1500"}', /mtu/],
    ['{"icc": "no"}', /icc/],
    ['{"default-address-pools": [{"base": "x", "size": 200}]}', /size/],
    ['{"default-address-pools": [{"base": "x", "size": 24, "extra": 1}]}', /extra/],
    ['{"firewall-backend": "pf"}', /firewall-backend/],
    ['{"dns": "1.1.1.1"}', /dns/],
    ['[1]', /expected object/],
    ['{oops', /unable to configure the daemon/],
  ])('%s is refused naming the problem', (text, pattern) => {
    expect(message(text)).toMatch(pattern);
  });
});
