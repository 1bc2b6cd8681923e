import { MemoryStore } from '@tsnet/store';
import { beforeAll, describe, expect, it } from 'vitest';
import { IpamErrorCode as E } from './errors.js';
import { Ipam } from './ipam.js';

/**
 * Every refusal has a stable code, a message naming the offending value, and leaves the store
 * exactly as it was (every key, value and revision).
 */
describe('bad input changes nothing', () => {
  const store = new MemoryStore();
  let ipam: Ipam;
  let full: string;

  beforeAll(async () => {
    ipam = await Ipam.open({ store });
    await ipam.requestPool({ pool: '10.0.0.0/16' });
    full = (await ipam.requestPool({ pool: '10.9.0.0/30' })).poolId;
    await ipam.requestAddress(full);
    await ipam.requestAddress(full);
    await ipam.requestAddress('LocalDefault/10.0.0.0/16', { address: '10.0.0.7' });
  });

  const cases: Array<[string, () => Promise<unknown>, string, string]> = [
    ['non-canonical subnet', () => ipam.requestPool({ pool: '10.1.0.1/24' }), E.invalidCidr, '10.1.0.0/24'],
    ['malformed subnet', () => ipam.requestPool({ pool: '10.1.0/24' }), E.invalidCidr, '10.1.0/24'],
    ['prefix too long', () => ipam.requestPool({ pool: '10.1.0.0/33' }), E.invalidCidr, '10.1.0.0/33'],
    ['/31 pool', () => ipam.requestPool({ pool: '10.1.0.0/31' }), E.poolTooSmall, '10.1.0.0/31'],
    ['/32 pool', () => ipam.requestPool({ pool: '10.1.0.0/32' }), E.poolTooSmall, '10.1.0.0/32'],
    ['/128 pool', () => ipam.requestPool({ pool: 'fd00::/128' }), E.poolTooSmall, 'fd00::/128'],
    ['ip-range outside subnet', () => ipam.requestPool({ pool: '10.1.0.0/24', subPool: '10.2.0.0/25' }), E.rangeOutsidePool, '10.2.0.0/25'],
    ['non-canonical ip-range', () => ipam.requestPool({ pool: '10.1.0.0/24', subPool: '10.1.0.1/25' }), E.invalidCidr, '10.1.0.0/25'],
    ['ip-range without subnet', () => ipam.requestPool({ subPool: '10.1.0.0/25' }), E.invalidRequest, '10.1.0.0/25'],
    ['aux address outside subnet', () => ipam.requestPool({ pool: '10.1.0.0/24', auxAddresses: { a: '10.3.0.1' } }), E.addressOutOfRange, '10.3.0.1'],
    ['aux address is the broadcast', () => ipam.requestPool({ pool: '10.1.0.0/24', auxAddresses: { a: '10.1.0.255' } }), E.addressReserved, '10.1.0.255'],
    ['family mismatch', () => ipam.requestPool({ pool: '10.1.0.0/24', v6: true }), E.addressFamily, '10.1.0.0/24'],
    ['overlap', () => ipam.requestPool({ pool: '10.0.128.0/17' }), E.poolOverlap, 'LocalDefault/10.0.0.0/16'],
    ['unknown address space', () => ipam.requestPool({ addressSpace: 'Elsewhere' }), E.unknownAddressSpace, 'Elsewhere'],
    ['malformed excluded route', () => ipam.requestPool({ exclude: ['10.0.0.0/99'] }), E.invalidCidr, '10.0.0.0/99'],
    ['options not strings', () => ipam.requestPool({ options: { a: 1 } as never }), E.invalidRequest, '"a":1'],
    ['v6 not a boolean', () => ipam.requestPool({ v6: 'yes' as never }), E.invalidRequest, 'yes'],
    ['unknown pool id', () => ipam.requestAddress('LocalDefault/10.77.0.0/16'), E.poolNotFound, 'LocalDefault/10.77.0.0/16'],
    ['garbage pool id', () => ipam.requestAddress('no such pool'), E.poolNotFound, 'no such pool'],
    ['pool id with the wrong ip-range', () => ipam.requestAddress('LocalDefault/10.0.0.0/16/10.0.1.0/24'), E.poolNotFound, '10.0.1.0/24'],
    ['release unknown pool', () => ipam.releasePool('LocalDefault/10.77.0.0/16'), E.poolNotFound, '10.77.0.0/16'],
    ['release pool in use', () => ipam.releasePool(full), E.poolInUse, 'LocalDefault/10.9.0.0/30'],
    ['exhausted pool', () => ipam.requestAddress(full), E.poolExhausted, 'LocalDefault/10.9.0.0/30'],
    ['preferred address in use', () => ipam.requestAddress('LocalDefault/10.0.0.0/16', { address: '10.0.0.7' }), E.addressInUse, '10.0.0.7'],
    ['preferred address outside', () => ipam.requestAddress('LocalDefault/10.0.0.0/16', { address: '10.1.0.7' }), E.addressOutOfRange, '10.1.0.7'],
    ['gateway outside', () => ipam.requestAddress('LocalDefault/10.0.0.0/16', { address: '192.168.0.1', gateway: true }), E.addressOutOfRange, '192.168.0.1'],
    ['network address', () => ipam.requestAddress('LocalDefault/10.0.0.0/16', { address: '10.0.0.0' }), E.addressReserved, '10.0.0.0'],
    ['malformed address', () => ipam.requestAddress('LocalDefault/10.0.0.0/16', { address: '10.0.0.300' }), E.invalidAddress, '10.0.0.300'],
    ['address with a prefix', () => ipam.requestAddress('LocalDefault/10.0.0.0/16', { address: '10.0.0.3/16' }), E.invalidAddress, '10.0.0.3/16'],
    ['IPv6 address in IPv4 pool', () => ipam.requestAddress('LocalDefault/10.0.0.0/16', { address: 'fd00::3' }), E.addressOutOfRange, 'fd00::3'],
    ['flag of the wrong type', () => ipam.requestAddress('LocalDefault/10.0.0.0/16', { gateway: 1 as never }), E.invalidRequest, 'gateway'],
    ['release outside', () => ipam.releaseAddress('LocalDefault/10.0.0.0/16', '10.200.0.1'), E.addressOutOfRange, '10.200.0.1'],
    ['release broadcast', () => ipam.releaseAddress('LocalDefault/10.0.0.0/16', '10.0.255.255'), E.addressReserved, '10.0.255.255'],
    ['release malformed', () => ipam.releaseAddress('LocalDefault/10.0.0.0/16', 'ten'), E.invalidAddress, 'ten'],
  ];

  it.each(cases)('%s', async (_name, run, code, named) => {
    const before = await store.list('/');
    const revision = await store.revision();
    const error = await run().then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code });
    expect((error as Error).message).toContain(named);
    expect(await store.list('/')).toEqual(before);
    expect(await store.revision()).toBe(revision);
  });

  it('still works afterwards', async () => {
    expect((await ipam.requestAddress('LocalDefault/10.0.0.0/16')).address).toBe('10.0.0.1/16');
  });
});

describe('default-address-pools validation', () => {
  it('refuses a bad list at open, naming the value', async () => {
    await expect(Ipam.open({ store: new MemoryStore(), defaultPools: [{ base: '172.80.0.1/16', size: 24 }] }))
      .rejects.toMatchObject({ code: E.invalidCidr, message: expect.stringContaining('172.80.0.0/16') });
    await expect(Ipam.open({ store: new MemoryStore(), defaultPools: [{ base: '172.80.0.0/16', size: 12 }] }))
      .rejects.toMatchObject({ code: E.invalidRequest, message: expect.stringContaining('12') });
    await expect(Ipam.open({ store: new MemoryStore(), prefix: 'ipam' })).rejects.toMatchObject({ code: E.invalidRequest, message: expect.stringContaining('"ipam"') });
  });
});
