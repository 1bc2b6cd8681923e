import { describe, expect, it } from 'vitest';
import { macFromIPv4, newId, newVethName, sandboxNsName, SANDBOX_NS_RE, VETH_NAME_RE } from './ids.js';
import { cidrContains, cidrsOverlap, formatIp, parseCidr, parseIfName, parseIpBig, parseNetworkName } from './names.js';

describe('ids', () => {
  it('are shaped like Docker\'s', () => {
    expect(newId()).toMatch(/^[0-9a-f]{64}$/);
    expect(newVethName()).toMatch(VETH_NAME_RE);
    expect(sandboxNsName(newId())).toMatch(SANDBOX_NS_RE);
    expect(macFromIPv4('172.17.0.2')).toBe('02:42:ac:11:00:02');
  });
});

describe('names', () => {
  it.each(['a', 'my_net', 'net-1.2', 'A9'])('accepts network name %s', (n) => expect(parseNetworkName(n)).toBe(n));
  it.each(['', '-x', 'a b', 'a/b', 'x'.repeat(129), 'é'])('refuses network name %j', (n) => {
    expect(() => parseNetworkName(n)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_NETWORK_NAME' }));
  });
  it.each(['a/b', '', 'x'.repeat(16), 'a b', '..'])('refuses interface name %j', (n) => {
    expect(() => parseIfName(n)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_IFNAME' }));
  });
  it('canonicalises CIDRs and compares them', () => {
    expect(parseCidr('10.1.2.3/16')).toBe('10.1.0.0/16');
    expect(parseCidr('fd00:0:0:0::1/64')).toBe('fd00::/64');
    expect(() => parseCidr('10.0.0.0/33')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_SUBNET' }));
    expect(cidrsOverlap('10.0.0.0/8', '10.1.0.0/16')).toBe(true);
    expect(cidrsOverlap('10.0.0.0/16', '10.1.0.0/16')).toBe(false);
    expect(cidrContains('10.0.0.0/24', '10.0.0.255')).toBe(true);
    expect(formatIp(parseIpBig('2001:db8::ffff:1.2.3.4'), 6)).toBe('2001:db8::ffff:102:304');
  });
});
