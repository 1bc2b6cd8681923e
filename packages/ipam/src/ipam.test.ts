import { type Store, MemoryStore } from '@tsnet/store';
import { describe, expect, it } from 'vitest';
import { IpamErrorCode } from './errors.js';
import { Ipam } from './ipam.js';

const snapshot = async (store: Store) => (await store.list('/')).map((e) => [e.key, e.value, e.modRevision]);

async function fresh(defaultPools?: { base: string; size: number }[]) {
  const store = new MemoryStore();
  const ipam = await Ipam.open({ store, ...(defaultPools === undefined ? {} : { defaultPools }) });
  return { store, ipam };
}

describe('Ipam pools', () => {
  it('names Docker\'s address spaces', async () => {
    const { ipam } = await fresh();
    expect(ipam.defaultAddressSpaces()).toEqual({ local: 'LocalDefault', global: 'GlobalDefault' });
  });

  it('picks Docker\'s defaults in order and skips excluded host routes', async () => {
    const { ipam } = await fresh();
    expect(await ipam.requestPool()).toEqual({ poolId: 'LocalDefault/172.17.0.0/16', pool: '172.17.0.0/16', data: {} });
    expect((await ipam.requestPool({ exclude: ['172.18.0.0/16', '172.19.3.3'] })).pool).toBe('172.20.0.0/16');
    expect((await ipam.requestPool()).pool).toBe('172.18.0.0/16');
    // The global space is separate: its first pick is 172.17 again.
    expect((await ipam.requestPool({ addressSpace: 'GlobalDefault' })).poolId).toBe('GlobalDefault/172.17.0.0/16');
  });

  it('uses default-address-pools when given', async () => {
    const { ipam } = await fresh([{ base: '172.80.0.0/16', size: 24 }]);
    expect((await ipam.requestPool()).pool).toBe('172.80.0.0/24');
    expect((await ipam.requestPool()).pool).toBe('172.80.1.0/24');
  });

  it('refuses an overlapping subnet naming the pool it overlaps, and changes nothing', async () => {
    const { ipam, store } = await fresh();
    await ipam.requestPool({ pool: '10.1.0.0/16' });
    const before = await snapshot(store);
    await expect(ipam.requestPool({ pool: '10.1.2.0/24' })).rejects.toMatchObject({
      code: IpamErrorCode.poolOverlap, message: 'subnet 10.1.2.0/24 overlaps pool LocalDefault/10.1.0.0/16',
    });
    await expect(ipam.requestPool({ pool: '10.0.0.0/8' })).rejects.toMatchObject({ code: IpamErrorCode.poolOverlap });
    expect(await snapshot(store)).toEqual(before);
    // A default pick goes around the explicit pool too.
    await ipam.requestPool({ pool: '172.17.0.0/16' });
    expect((await ipam.requestPool()).pool).toBe('172.18.0.0/16');
  });

  it('reports exhausted defaults', async () => {
    const { ipam } = await fresh([{ base: '10.9.0.0/23', size: 24 }]);
    await ipam.requestPool();
    await ipam.requestPool();
    await expect(ipam.requestPool()).rejects.toMatchObject({ code: IpamErrorCode.noAvailablePool });
    await expect(ipam.requestPool({ v6: true })).rejects.toMatchObject({ code: IpamErrorCode.noAvailablePool, message: expect.stringContaining('IPv6') });
  });

  it('refuses releasing a pool while addresses are held, then releases it', async () => {
    const { ipam, store } = await fresh();
    const { poolId } = await ipam.requestPool({ pool: '10.2.0.0/24', auxAddresses: { router: '10.2.0.254' } });
    await ipam.requestAddress(poolId, { gateway: true });
    await ipam.requestAddress(poolId);
    await expect(ipam.releasePool(poolId)).rejects.toMatchObject({ code: IpamErrorCode.poolInUse, message: `pool ${poolId} has 2 address(es) in use` });
    await ipam.releaseAddress(poolId, '10.2.0.1');
    await ipam.releaseAddress(poolId, '10.2.0.2');
    await ipam.releasePool(poolId); // the auxiliary address belongs to the pool
    expect(await store.list('/ipam/pool/')).toEqual([]);
    await expect(ipam.requestAddress(poolId)).rejects.toMatchObject({ code: IpamErrorCode.poolNotFound });
    await expect(ipam.releasePool(poolId)).rejects.toMatchObject({ code: IpamErrorCode.poolNotFound });
    // The subnet is free again.
    expect((await ipam.requestPool({ pool: '10.2.0.0/24' })).poolId).toBe(poolId);
  });
});

describe('Ipam addresses', () => {
  it('gateway first, then first free, with the prefix length', async () => {
    const { ipam } = await fresh();
    const { poolId } = await ipam.requestPool({ pool: '10.3.0.0/24' });
    expect(await ipam.requestAddress(poolId, { gateway: true })).toEqual({ address: '10.3.0.1/24' });
    expect(await ipam.requestAddress(poolId)).toEqual({ address: '10.3.0.2/24' });
    expect(await ipam.requestAddress(poolId, { address: '10.3.0.50' })).toEqual({ address: '10.3.0.50/24' });
    await expect(ipam.requestAddress(poolId, { address: '10.3.0.50' })).rejects.toMatchObject({ code: IpamErrorCode.addressInUse });
    await ipam.releaseAddress(poolId, '10.3.0.2');
    await ipam.releaseAddress(poolId, '10.3.0.2'); // releasing a free address is not an error
    expect(await ipam.requestAddress(poolId)).toEqual({ address: '10.3.0.2/24' });
  });

  it('a given gateway address, round-robin pools, ip-range', async () => {
    const { ipam } = await fresh();
    const { poolId } = await ipam.requestPool({ pool: '10.4.0.0/16', subPool: '10.4.1.0/24', options: { 'com.docker.network.ipam.serial': 'true' } });
    expect(poolId).toBe('LocalDefault/10.4.0.0/16/10.4.1.0/24');
    expect(await ipam.requestAddress(poolId, { gateway: true, address: '10.4.0.1' })).toEqual({ address: '10.4.0.1/16' });
    expect((await ipam.requestAddress(poolId)).address).toBe('10.4.1.0/16');
    expect((await ipam.requestAddress(poolId)).address).toBe('10.4.1.1/16');
    await ipam.releaseAddress(poolId, '10.4.1.0');
    expect((await ipam.requestAddress(poolId)).address).toBe('10.4.1.2/16');
  });

  it('IPv6 pools', async () => {
    const { ipam } = await fresh([{ base: 'fd00:10::/48', size: 64 }]);
    const { poolId, pool } = await ipam.requestPool({ v6: true });
    expect(pool).toBe('fd00:10::/64');
    expect(await ipam.requestAddress(poolId, { gateway: true })).toEqual({ address: 'fd00:10::1/64' });
    expect(await ipam.requestAddress(poolId)).toEqual({ address: 'fd00:10::2/64' });
    expect(await ipam.requestAddress(poolId, { address: 'fd00:10::ffff:1' })).toEqual({ address: 'fd00:10::ffff:1/64' });
    const info = await ipam.poolInfo(poolId);
    expect(info.addresses).toEqual(['fd00:10::1', 'fd00:10::2', 'fd00:10::ffff:1']);
  });

  it('reports an exhausted pool', async () => {
    const { ipam } = await fresh();
    const { poolId } = await ipam.requestPool({ pool: '10.5.0.0/30' });
    await ipam.requestAddress(poolId);
    await ipam.requestAddress(poolId);
    await expect(ipam.requestAddress(poolId)).rejects.toMatchObject({ code: IpamErrorCode.poolExhausted, message: `no available addresses in pool ${poolId}` });
  });
});

describe('Ipam persistence', () => {
  it('a second Ipam over the same store sees the same state', async () => {
    const { ipam, store } = await fresh();
    const a = await ipam.requestPool({ pool: '10.6.0.0/24', subPool: '10.6.0.128/25', options: { 'com.docker.network.ipam.serial': 'true' } });
    const b = await ipam.requestPool({ v6: false });
    for (let i = 0; i < 5; i += 1) await ipam.requestAddress(a.poolId);
    await ipam.releaseAddress(a.poolId, '10.6.0.130');
    await ipam.requestAddress(b.poolId, { gateway: true });
    const restored = await Ipam.open({ store });
    expect(await restored.pools()).toEqual(await ipam.pools());
    // Round-robin position survives: the next address continues after .132, not at the freed .130.
    expect((await restored.requestAddress(a.poolId)).address).toBe('10.6.0.133/24');
    expect((await restored.requestPool()).pool).toBe('172.18.0.0/16');
  });

  it('refuses a store whose ipam records it cannot read', async () => {
    const store = new MemoryStore();
    await store.put('/ipam/space/LocalDefault', '{not json');
    await expect(Ipam.open({ store })).rejects.toMatchObject({ code: IpamErrorCode.corruptState });
  });

  it('keeps its keys under its prefix', async () => {
    const store = new MemoryStore();
    const ipam = await Ipam.open({ store, prefix: '/tenant-a/ipam/' });
    await ipam.requestPool();
    expect((await store.list('/')).every((e) => e.key.startsWith('/tenant-a/ipam/'))).toBe(true);
  });
});
