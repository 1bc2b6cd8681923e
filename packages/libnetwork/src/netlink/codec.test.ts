import { describe, expect, it } from 'vitest';
import {
  broadcastOf,
  bytesToIp,
  bytesToMac,
  checkIfName,
  checkMtu,
  ipToBytes,
  macToBytes,
  networkOf,
  nla,
  nlaString,
  nlaU16,
  nlaU32,
  nlaToString,
  parseCidr,
  parseNlas,
} from './codec.js';

describe('interface names', () => {
  it.each(['eth0', 'veth1a2b3c4', 'br-0123456789ab', 'a', 'x'.repeat(15), 'eth0.10', 'tsnet0'])('accepts %s', (name) => {
    expect(checkIfName(name)).toBe(name);
  });
  it.each([
    [''],
    ['x'.repeat(16)], // IFNAMSIZ is 16 with the NUL
    ['a/b'],
    ['a:b'], // alias syntax, not a name
    ['a b'],
    ['.'],
    ['..'],
    ['é'.repeat(8)], // 16 bytes in UTF-8
  ])('refuses %j with ERR_INVALID_IFNAME', (name) => {
    expect(() => checkIfName(name)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_IFNAME', kind: 'invalid' }));
  });
  it('checks MTUs', () => {
    expect(checkMtu(1500)).toBe(1500);
    for (const bad of [67, 65536, 1.5, Number.NaN]) expect(() => checkMtu(bad)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_MTU' }));
  });
});

describe('IP addresses', () => {
  it.each([
    ['10.0.0.1', '0a000001'],
    ['255.255.255.255', 'ffffffff'],
    ['::', '0'.repeat(32)],
    ['::1', `${'0'.repeat(31)}1`],
    ['fd00::1', `fd00${'0'.repeat(27)}1`],
    ['2001:db8:0:0:1:0:0:1', '20010db8000000000001000000000001'],
    ['::ffff:10.1.2.3', '00000000000000000000ffff0a010203'], // embedded IPv4
    ['fe80::1:2', `fe80${'0'.repeat(20)}00010002`],
  ])('%s ⇄ bytes', (ip, hex) => {
    expect(ipToBytes(ip).toString('hex')).toBe(hex);
  });
  it.each([
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // RFC 5952 §4.2.3: first of equal runs
    ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // §4.2.2: a lone zero group is not compressed
    ['0:0:0:0:0:0:0:0', '::'],
    ['fd00:0:0:0:0:0:0:0', 'fd00::'],
    ['10.1.2.3', '10.1.2.3'],
  ])('formats %s as %s', (ip, text) => {
    expect(bytesToIp(ipToBytes(ip))).toBe(text);
  });
  it('refuses what is not an address', () => {
    for (const bad of ['10.0.0', '10.0.0.256', 'fd00:::1', 'example.com', '']) {
      expect(() => ipToBytes(bad)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ADDRESS' }));
    }
  });
});

describe('CIDRs', () => {
  it('parses interface addresses and keeps host bits', () => {
    expect(parseCidr('10.0.0.2/24')).toMatchObject({ family: 4, address: '10.0.0.2', prefixLen: 24 });
    expect(parseCidr('fd00::2/64')).toMatchObject({ family: 6, address: 'fd00::2', prefixLen: 64 });
    expect(parseCidr('0.0.0.0/0').prefixLen).toBe(0);
  });
  it('computes networks and broadcasts', () => {
    expect(networkOf(parseCidr('10.1.2.3/16')).address).toBe('10.1.0.0');
    expect(networkOf(parseCidr('10.1.2.3/0')).address).toBe('0.0.0.0');
    expect(networkOf(parseCidr('fd00:1:2:3::7/48')).address).toBe('fd00:1:2::');
    expect(bytesToIp(broadcastOf(parseCidr('172.17.0.2/16')))).toBe('172.17.255.255');
    expect(bytesToIp(broadcastOf(parseCidr('10.0.0.1/30')))).toBe('10.0.0.3');
  });
  it.each(['10.0.0.1', '10.0.0.1/33', 'fd00::/129', '10.0.0.1/-1', '10.0.0/8', 'x/8', '10.0.0.1/24/1', '/24'])(
    'refuses %j with ERR_INVALID_CIDR',
    (bad) => {
      expect(() => parseCidr(bad)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CIDR', kind: 'invalid' }));
    },
  );
});

describe('MAC addresses', () => {
  it('round-trips', () => {
    expect(macToBytes('02:42:AC:11:00:02').toString('hex')).toBe('0242ac110002');
    expect(bytesToMac(Buffer.from('0242ac110002', 'hex'))).toBe('02:42:ac:11:00:02');
  });
  it.each(['02:42:ac:11:00', '0242ac110002', '02-42-ac-11-00-02', 'zz:42:ac:11:00:02'])('refuses %s', (bad) => {
    expect(() => macToBytes(bad)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_MAC' }));
  });
});

describe('netlink attributes', () => {
  it('encodes header, payload and padding to 4 bytes', () => {
    // len=9 (4 header + "eth0\0"), type 3 (IFLA_IFNAME), padded to 12.
    expect(nlaString(3, 'eth0').toString('hex')).toBe('0900030065746830000000' + '00');
    expect(nlaU32(4, 1500).toString('hex')).toBe('08000400dc050000');
    expect(nlaU16(15, 4789, true).toString('hex')).toBe('06000f0012b50000'); // network byte order
    expect(nla(1, Buffer.alloc(0)).toString('hex')).toBe('04000100');
  });
  it('parses what it encodes, stripping the nested flag', () => {
    const buf = Buffer.concat([nlaString(1, 'veth'), nla(2 | 0x8000, nlaU32(7, 42)), nlaU32(3, 9)]);
    const attrs = parseNlas(buf);
    expect(nlaToString(attrs.get(1))).toBe('veth');
    expect(parseNlas(attrs.get(2)!).get(7)!.readUInt32LE(0)).toBe(42);
    expect(attrs.get(3)!.readUInt32LE(0)).toBe(9);
  });
  it('stops at a truncated attribute instead of reading past the end', () => {
    const buf = Buffer.concat([nlaU32(1, 1), Buffer.from([0x20, 0x00, 0x02, 0x00])]);
    expect([...parseNlas(buf).keys()]).toEqual([1]);
  });
});
