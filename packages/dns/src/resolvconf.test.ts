import { describe, expect, it } from 'vitest';
import { upstreamsFromDnsOption, upstreamsFromResolvConf } from './resolvconf.js';

describe('upstreams', () => {
  it('takes resolv.conf nameservers, drops loopback and junk, keeps at most 3', () => {
    const text = [
      '# generated', 'search example.com', 'nameserver 127.0.0.53', 'nameserver 10.0.0.1 ; comment',
      'nameserver ::1', 'nameserver fe80::1%eth0', 'nameserver not-an-ip', 'nameserver 10.0.0.2', 'nameserver 10.0.0.3',
    ].join('\n');
    expect(upstreamsFromResolvConf(text)).toEqual([{ address: '10.0.0.1' }, { address: 'fe80::1' }, { address: '10.0.0.2' }]);
    expect(upstreamsFromResolvConf('nameserver 127.0.0.53\n', { keepLoopback: true })).toEqual([{ address: '127.0.0.53' }]);
  });

  it('validates --dns values', () => {
    expect(upstreamsFromDnsOption(['1.1.1.1', '2606:4700::1111'])).toEqual([{ address: '1.1.1.1' }, { address: '2606:4700::1111' }]);
    expect(() => upstreamsFromDnsOption(['dns.example'])).toThrow(expect.objectContaining({ code: 'ERR_DNS_INVALID_UPSTREAM' }));
  });
});
