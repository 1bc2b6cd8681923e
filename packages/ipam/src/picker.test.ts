import { describe, expect, it } from 'vitest';
import { endOf, formatCidr, parseCidr } from './addr.js';
import { IpamErrorCode } from './errors.js';
import { DOCKER_DEFAULT_POOLS, findOverlap, parseDefaultPools, pickSubnet, type Taken } from './picker.js';

const taken = (...cidrs: string[]): Taken[] =>
  cidrs.map((c) => parseCidr(c)).map((c) => ({ start: c.base, end: endOf(c), id: `LocalDefault/${formatCidr(c)}` }))
    .sort((a, b) => (a.start < b.start ? -1 : 1));

describe('pickSubnet with Docker defaults', () => {
  const defaults = parseDefaultPools(DOCKER_DEFAULT_POOLS);

  it('walks Docker\'s list in order: 172.17-19, 172.20-31 as /16s, then 192.168 as /20s', () => {
    const got: string[] = [];
    const used: string[] = [];
    for (;;) {
      const pick = pickSubnet(defaults, false, taken(...used), []);
      if (pick === undefined) break;
      got.push(formatCidr(pick));
      used.push(formatCidr(pick));
    }
    const expected = [
      ...Array.from({ length: 15 }, (_, i) => `172.${17 + i}.0.0/16`),
      ...Array.from({ length: 16 }, (_, i) => `192.168.${i * 16}.0/20`),
    ];
    expect(got).toEqual(expected);
  });

  it('skips subnets overlapping host routes and nameservers', () => {
    const exclude = [parseCidr('172.17.5.0/24'), parseCidr('172.18.0.53/32'), parseCidr('172.16.0.0/13')];
    // 172.16.0.0/13 covers 172.16-23; the next free /16 is 172.24.
    expect(formatCidr(pickSubnet(defaults, false, [], exclude)!)).toBe('172.24.0.0/16');
  });

  it('has no IPv6 default', () => {
    expect(pickSubnet(defaults, true, [], [])).toBeUndefined();
  });
});

describe('pickSubnet with default-address-pools', () => {
  it('splits a custom base', () => {
    const defaults = parseDefaultPools([{ base: '172.80.0.0/16', size: 24 }]);
    expect(formatCidr(pickSubnet(defaults, false, taken('172.80.0.0/24', '172.80.2.0/23'), [])!)).toBe('172.80.1.0/24');
    expect(formatCidr(pickSubnet(defaults, false, taken('172.80.0.0/22'), [])!)).toBe('172.80.4.0/24');
  });

  it('jumps past a large blocker in one step and picks v6 from a v6 base', () => {
    const defaults = parseDefaultPools([{ base: '10.0.0.0/8', size: 24 }, { base: 'fd00::/48', size: 64 }]);
    expect(formatCidr(pickSubnet(defaults, false, taken('10.0.0.0/9'), [])!)).toBe('10.128.0.0/24');
    expect(formatCidr(pickSubnet(defaults, true, [], [parseCidr('fd00::/63')])!)).toBe('fd00:0:0:2::/64');
  });

  it.each([
    [[{ base: '10.0.0.1/8', size: 24 }], IpamErrorCode.invalidCidr],
    [[{ base: '10.0.0.0/16', size: 8 }], IpamErrorCode.invalidRequest], // size smaller than the base
    [[{ base: '10.0.0.0/16', size: 31 }], IpamErrorCode.invalidRequest],
    [[{ base: '10.0.0.0/16', size: '24' }], IpamErrorCode.invalidRequest],
    ['10.0.0.0/8', IpamErrorCode.invalidRequest],
  ])('refuses %j', (list, code) => {
    expect(() => parseDefaultPools(list)).toThrow(expect.objectContaining({ code }));
  });
});

describe('findOverlap', () => {
  it('finds the overlapping pool by binary search', () => {
    const list = taken('10.0.0.0/24', '10.0.2.0/24', '10.0.4.0/22');
    const at = (c: string) => findOverlap(list, parseCidr(c).base, endOf(parseCidr(c)))?.id;
    expect(at('10.0.0.0/16')).toBe('LocalDefault/10.0.4.0/22');
    expect(at('10.0.1.0/24')).toBeUndefined();
    expect(at('10.0.5.128/25')).toBe('LocalDefault/10.0.4.0/22');
    expect(at('9.0.0.0/8')).toBeUndefined();
  });
});
