import { describe, expect, it } from 'vitest';
import { buildResolvConf, parseResolvConf } from './resolvconf.js';

const HOST = 'nameserver 127.0.0.53\nnameserver 10.0.0.2\nnameserver 2001:db8::1\nsearch example.com corp\noptions edns0 rotate\n';

describe('parseResolvConf', () => {
  it('reads nameservers, the last search line and every option', () => {
    expect(parseResolvConf('# c\nnameserver 1.1.1.1 # x\ndomain a\nsearch b c\noptions x\noptions y\n')).toEqual({
      nameservers: ['1.1.1.1'],
      search: ['b', 'c'],
      options: ['x', 'y'],
    });
  });
});

describe('buildResolvConf', () => {
  it.each([
    {
      why: 'drops loopback and (without IPv6) IPv6 servers, keeps search and options',
      input: { host: HOST, ipv6: false, embeddedDns: false },
      content: 'nameserver 10.0.0.2\nsearch example.com corp\noptions edns0 rotate\n',
      upstreams: ['10.0.0.2'],
    },
    {
      why: 'keeps IPv6 servers when the sandbox has IPv6',
      input: { host: HOST, ipv6: true, embeddedDns: false },
      content: 'nameserver 10.0.0.2\nnameserver 2001:db8::1\nsearch example.com corp\noptions edns0 rotate\n',
      upstreams: ['10.0.0.2', '2001:db8::1'],
    },
    {
      why: "falls back to Google's servers when only loopback was left",
      input: { host: 'nameserver 127.0.0.53\n', ipv6: false, embeddedDns: false },
      content: 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n',
      upstreams: ['8.8.8.8', '8.8.4.4'],
    },
    {
      why: '--dns/--dns-search/--dns-option replace the host values one by one',
      input: { host: HOST, dns: ['9.9.9.9'], dnsOptions: ['timeout:2'], ipv6: false, embeddedDns: false },
      content: 'nameserver 9.9.9.9\nsearch example.com corp\noptions timeout:2\n',
      upstreams: ['9.9.9.9'],
    },
    {
      why: 'user-defined network: the embedded server with ndots:0, external servers become upstreams',
      input: { host: HOST, ipv6: false, embeddedDns: true },
      content: 'nameserver 127.0.0.11\nsearch example.com corp\noptions edns0 rotate ndots:0\n',
      upstreams: ['10.0.0.2'],
    },
    {
      why: "a user's ndots wins over the resolver's",
      input: { host: HOST, dnsOptions: ['ndots:3'], ipv6: false, embeddedDns: true },
      content: 'nameserver 127.0.0.11\nsearch example.com corp\noptions ndots:3\n',
      upstreams: ['10.0.0.2'],
    },
    {
      why: '--dns-search . means no search list',
      input: { host: HOST, dnsSearch: ['.'], ipv6: false, embeddedDns: false },
      content: 'nameserver 10.0.0.2\noptions edns0 rotate\n',
      upstreams: ['10.0.0.2'],
    },
    {
      why: 'host mode copies the host file as it is',
      input: { host: HOST, ipv6: false, embeddedDns: false, hostMode: true },
      content: HOST,
      upstreams: ['127.0.0.53', '10.0.0.2', '2001:db8::1'],
    },
  ])('$why', ({ input, content, upstreams }) => {
    const out = buildResolvConf(input);
    expect(out.content).toBe(content);
    expect(out.upstreams).toEqual(upstreams);
  });
});
