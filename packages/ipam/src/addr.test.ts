import { isTsnetError } from '@tsnet/errors';
import IPCIDR from 'ip-cidr';
import { describe, expect, it } from 'vitest';
import { formatAddress, formatCidr, formatV6, parseAddress, parseCidr } from './addr.js';
import { IpamErrorCode } from './errors.js';

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['172.17.0.0/16', '172.17.0.0/16'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['fd00::/64', 'fd00::/64'],
    ['FD00:0:0::/48', 'fd00::/48'], // case and zero groups are spelling, not host bits
    ['2001:db8:0:1::/64', '2001:db8:0:1::/64'],
  ])('%s → %s', (input, canonical) => {
    expect(formatCidr(parseCidr(input))).toBe(canonical);
  });

  it('refuses host bits and names the canonical form', () => {
    try {
      parseCidr('10.0.0.1/24');
      expect.unreachable();
    } catch (error) {
      expect(isTsnetError(error, IpamErrorCode.invalidCidr)).toBe(true);
      expect((error as Error).message).toContain('10.0.0.0/24');
      expect((error as Error).message).toContain('10.0.0.1/24');
    }
    expect(() => parseCidr('fd00::1/64')).toThrow(/fd00::\/64/);
  });

  it('masks host bits when lenient', () => {
    expect(formatCidr(parseCidr('10.1.2.3/16', 'route', true))).toBe('10.1.0.0/16');
  });

  it.each([
    ['10.0.0/24'], ['10.0.0.0/33'], ['10.0.0.0'], ['010.0.0.0/8'], ['10.0.0.0/024'], [' 10.0.0.0/8'],
    ['10.0.0.0/'], ['2001:db8::/129'], ['fe80::1%eth0/64'], ['hello'], [''],
  ])('refuses malformed %j', (input) => {
    expect(() => parseCidr(input)).toThrow(expect.objectContaining({ code: IpamErrorCode.invalidCidr }));
  });

  it.each([[42], [null], [undefined], [{}]])('refuses non-strings (%j)', (input) => {
    expect(() => parseCidr(input)).toThrow(expect.objectContaining({ code: IpamErrorCode.invalidCidr }));
  });
});

describe('addresses', () => {
  it('round-trips IPv4 and IPv6', () => {
    expect(parseAddress('10.0.0.1')).toEqual({ v6: false, value: 0x0a000001n });
    expect(formatAddress(0xac110002n, false)).toBe('172.17.0.2');
    expect(formatAddress(parseAddress('2001:db8::1').value, true)).toBe('2001:db8::1');
  });

  it.each([
    [0n, '::'],
    [1n, '::1'],
    [0x20010db8000000000000000000000001n, '2001:db8::1'],
    [0x20010db8000000010000000000000001n, '2001:db8:0:1::1'],
    [0x20010db8000000000001000000000001n, '2001:db8::1:0:0:1'], // first of two equal zero runs
    [0x20010db8000100010001000100010001n, '2001:db8:1:1:1:1:1:1'],
    [0x20010000000100000000000000000000n, '2001:0:1::'],
    [0x2001000000010001000100010001000n, '200:1000:0:1000:1000:1000:1000:1000'],
  ])('formats %s as %s (RFC 5952)', (value, text) => {
    expect(formatV6(value)).toBe(text);
  });

  it.each([['10.0.0.256'], ['1.2.3'], ['10.0.0.1/32'], ['fe80::1%eth0'], [''], [7]])('refuses %j', (input) => {
    expect(() => parseAddress(input)).toThrow(expect.objectContaining({ code: IpamErrorCode.invalidAddress }));
  });
});

describe('the dotted-quad fast path', () => {
  it('accepts exactly what ip-cidr accepts, with the same value', () => {
    const inputs = [
      '0.0.0.0', '255.255.255.255', '1.2.3.4', '10.0.0.1', '01.2.3.4', '1.2.3.04', '256.1.1.1', '1.2.3', '1.2.3.4.5',
      '1..3.4', ' 1.2.3.4', '1.2.3.4 ', '+1.2.3.4', '1.2.3.-4', '1e1.2.3.4', '0x1.2.3.4', '199.249.250.251', '200.1.1.1',
    ];
    for (let i = 0; i < 500; i += 1) inputs.push([0, 0, 0, 0].map(() => String(Math.floor(Math.random() * 300))).join('.'));
    for (const text of inputs) {
      const ours = (() => { try { return parseAddress(text).value; } catch { return undefined; } })();
      const theirs = IPCIDR.isValidAddress(text) && !text.includes(':')
        ? BigInt(String(new IPCIDR(`${text}/32`).start({ type: 'bigInteger' })))
        : undefined;
      expect([text, ours]).toEqual([text, theirs]);
    }
  });
});
