import { describe, expect, it } from 'vitest';
import { formatAddress, parseAddress, parseCidr } from './addr.js';
import { IpamErrorCode } from './errors.js';
import { checkPoolSize, checkSubPool, PoolState } from './pool.js';

const v4 = (pool: string, extra: { subPool?: string; serial?: boolean } = {}) =>
  new PoolState({
    space: 'LocalDefault', pool: parseCidr(pool), serial: extra.serial ?? false, options: {},
    ...(extra.subPool === undefined ? {} : { subPool: parseCidr(extra.subPool) }),
  });
const ip = (text: string) => parseAddress(text);
const text = (state: PoolState, value: bigint) => formatAddress(value, state.v6);

describe('PoolState', () => {
  it('hands out the gateway .1 first, then first-free, never network or broadcast', () => {
    const pool = v4('10.0.0.0/29');
    expect(text(pool, pool.allocate({ gateway: true }))).toBe('10.0.0.1');
    const got = [2, 3, 4, 5, 6].map(() => text(pool, pool.allocate()));
    expect(got).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
    expect(() => pool.allocate()).toThrow(expect.objectContaining({ code: IpamErrorCode.poolExhausted }));
    pool.release(ip('10.0.0.4'));
    expect(text(pool, pool.allocate())).toBe('10.0.0.4'); // first-free reuses at once, like Docker
  });

  it('round-robin does not reuse a freed address at once and wraps', () => {
    const pool = v4('10.0.0.0/29', { serial: true });
    const first = [1, 2, 3].map(() => text(pool, pool.allocate()));
    expect(first).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    pool.release(ip('10.0.0.2'));
    expect(text(pool, pool.allocate())).toBe('10.0.0.4');
    expect(text(pool, pool.allocate())).toBe('10.0.0.5');
    expect(text(pool, pool.allocate())).toBe('10.0.0.6');
    expect(text(pool, pool.allocate())).toBe('10.0.0.2'); // wraps to the start of the range
  });

  it('round-robin per request on a first-free pool', () => {
    const pool = v4('10.0.0.0/28');
    pool.allocate();
    pool.allocate();
    pool.release(ip('10.0.0.1'));
    expect(text(pool, pool.allocate({ serial: true }))).toBe('10.0.0.3');
    expect(text(pool, pool.allocate())).toBe('10.0.0.1');
  });

  it('limits dynamic allocation to the ip-range, static addresses anywhere in the subnet', () => {
    const pool = v4('10.0.0.0/24', { subPool: '10.0.0.128/30' });
    expect(text(pool, pool.allocate())).toBe('10.0.0.128');
    expect(text(pool, pool.allocate({ address: ip('10.0.0.7') }))).toBe('10.0.0.7');
    ['10.0.0.129', '10.0.0.130', '10.0.0.131'].forEach((want) => expect(text(pool, pool.allocate())).toBe(want));
    expect(() => pool.allocate()).toThrow(expect.objectContaining({ code: IpamErrorCode.poolExhausted }));
    expect(text(pool, pool.allocate({ address: ip('10.0.0.200') }))).toBe('10.0.0.200');
  });

  it('honours or refuses a preferred address', () => {
    const pool = v4('10.0.0.0/24');
    pool.allocate({ address: ip('10.0.0.9') });
    expect(() => pool.allocate({ address: ip('10.0.0.9') })).toThrow(expect.objectContaining({ code: IpamErrorCode.addressInUse }));
    expect(() => pool.allocate({ address: ip('10.0.1.9') })).toThrow(expect.objectContaining({ code: IpamErrorCode.addressOutOfRange, message: expect.stringContaining('10.0.1.9') }));
    expect(() => pool.allocate({ address: ip('10.0.0.0') })).toThrow(expect.objectContaining({ code: IpamErrorCode.addressReserved, message: expect.stringContaining('network') }));
    expect(() => pool.allocate({ address: ip('10.0.0.255') })).toThrow(expect.objectContaining({ code: IpamErrorCode.addressReserved, message: expect.stringContaining('broadcast') }));
    expect(() => pool.allocate({ address: ip('fd00::1') })).toThrow(expect.objectContaining({ code: IpamErrorCode.addressOutOfRange }));
    expect(pool.held()).toBe(1);
  });

  it('counts auxiliary addresses apart from held ones', () => {
    const pool = v4('10.0.0.0/24');
    pool.allocate({ address: ip('10.0.0.5'), reserve: true });
    pool.allocate({ gateway: true });
    expect(pool.held()).toBe(1);
    expect(pool.auxCount()).toBe(1);
    expect([...pool.addresses()]).toEqual(['10.0.0.1', '10.0.0.5']);
  });

  it('IPv6: reserves the subnet-router anycast address, not a broadcast', () => {
    const pool = new PoolState({ space: 'LocalDefault', pool: parseCidr('fd00:1::/126'), serial: false, options: {} });
    expect(['fd00:1::1', 'fd00:1::2', 'fd00:1::3'].map(() => formatAddress(pool.allocate(), true))).toEqual(['fd00:1::1', 'fd00:1::2', 'fd00:1::3']);
    expect(() => pool.allocate({ address: parseAddress('fd00:1::') })).toThrow(expect.objectContaining({ code: IpamErrorCode.addressReserved }));
  });

  it('IPv6 round-robin wraps and survives a record round trip', () => {
    const pool = new PoolState({ space: 'LocalDefault', pool: parseCidr('fd00:2::/64'), subPool: parseCidr('fd00:2::10/126'), serial: true, options: {} });
    const got = () => formatAddress(pool.allocate(), true);
    expect([got(), got()]).toEqual(['fd00:2::10', 'fd00:2::11']);
    pool.release(parseAddress('fd00:2::10'));
    const copy = PoolState.fromRecord(JSON.parse(JSON.stringify(pool.toRecord())), '/k');
    expect(formatAddress(copy.allocate(), true)).toBe('fd00:2::12');
    expect(formatAddress(copy.allocate(), true)).toBe('fd00:2::13');
    expect(formatAddress(copy.allocate(), true)).toBe('fd00:2::10'); // wraps to the start of the range
    expect(() => copy.allocate()).toThrow(expect.objectContaining({ code: IpamErrorCode.poolExhausted }));
  });

  it('round-trips through its record', () => {
    const pool = v4('10.0.0.0/16', { subPool: '10.0.8.0/22', serial: true });
    for (let i = 0; i < 50; i += 1) pool.allocate();
    pool.release(ip('10.0.8.20'));
    pool.allocate({ address: ip('10.0.0.3'), reserve: true });
    const copy = PoolState.fromRecord(JSON.parse(JSON.stringify(pool.toRecord())), '/k');
    expect(copy.toRecord()).toEqual(pool.toRecord());
    expect(copy.held()).toBe(pool.held());
    expect(text(copy, copy.allocate())).toBe(text(pool, pool.allocate()));
  });

  it('refuses a corrupt record with a stable code', () => {
    const record = { ...v4('10.0.0.0/24').toRecord(), allocated: '5-1' };
    expect(() => PoolState.fromRecord(record, '/ipam/pool/x')).toThrow(expect.objectContaining({ code: IpamErrorCode.corruptState }));
  });
});

describe('pool size and range checks', () => {
  it.each([['10.0.0.0/31'], ['10.0.0.0/32'], ['fd00::/127'], ['fd00::/128']])('%s is too small', (cidr) => {
    expect(() => checkPoolSize(parseCidr(cidr))).toThrow(expect.objectContaining({ code: IpamErrorCode.poolTooSmall, message: expect.stringContaining(cidr) }));
  });
  it('an IPv4 pool larger than /8 is refused', () => {
    expect(() => checkPoolSize(parseCidr('10.0.0.0/7'))).toThrow(expect.objectContaining({ code: IpamErrorCode.poolTooLarge }));
  });
  it('a /30 and a /126 are fine', () => {
    expect(() => checkPoolSize(parseCidr('10.0.0.0/30'))).not.toThrow();
    expect(() => checkPoolSize(parseCidr('fd00::/126'))).not.toThrow();
  });
  it('an ip-range outside the subnet is refused naming both', () => {
    expect(() => checkSubPool(parseCidr('10.0.0.0/24'), parseCidr('10.0.1.0/25'))).toThrow(
      expect.objectContaining({ code: IpamErrorCode.rangeOutsidePool, message: 'ip-range 10.0.1.0/25 is not inside subnet 10.0.0.0/24' }));
  });
});
