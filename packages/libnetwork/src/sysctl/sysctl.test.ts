import { describe, expect, it } from 'vitest';
import { sysctlPath } from './index.js';

describe('sysctl keys', () => {
  it.each([
    ['net.ipv4.ip_forward', '/proc/sys/net/ipv4/ip_forward'],
    ['net.ipv4.conf.all.route_localnet', '/proc/sys/net/ipv4/conf/all/route_localnet'],
    ['net/ipv4/conf/eth0.10/forwarding', '/proc/sys/net/ipv4/conf/eth0.10/forwarding'], // slashes: dots stay in names
    ['net.ipv6.conf.br-1a2b.disable_ipv6', '/proc/sys/net/ipv6/conf/br-1a2b/disable_ipv6'],
  ])('%s → %s', (key, path) => {
    expect(sysctlPath(key)).toBe(path);
  });
  it.each(['', '..', 'net/../../etc/shadow', 'net..ipv4', '/net/ipv4', 'net.ipv4.ip_forward ', 'net/ipv4/', 'a;b'])('refuses %j', (key) => {
    expect(() => sysctlPath(key)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_SYSCTL_KEY', kind: 'invalid' }));
  });
});
