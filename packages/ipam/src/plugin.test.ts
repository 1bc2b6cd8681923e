import { MemoryStore } from '@tsnet/store';
import { beforeEach, describe, expect, it } from 'vitest';
import { Ipam } from './ipam.js';
import { type IpamPluginHandler, ipamPluginHandlers } from './plugin.js';

describe('Docker remote IPAM plugin protocol', () => {
  let store: MemoryStore;
  let handle: IpamPluginHandler;

  beforeEach(async () => {
    store = new MemoryStore();
    handle = ipamPluginHandlers(await Ipam.open({ store }));
  });

  it('activates as an IpamDriver and reports capabilities and address spaces', async () => {
    expect(await handle('/Plugin.Activate', '')).toEqual({ status: 200, body: { Implements: ['IpamDriver'] } });
    expect(await handle('/IpamDriver.GetCapabilities', {})).toEqual({ status: 200, body: { RequiresMACAddress: false, RequiresRequestReplay: false } });
    expect(await handle('/IpamDriver.GetDefaultAddressSpaces', null)).toEqual({
      status: 200, body: { LocalDefaultAddressSpace: 'LocalDefault', GlobalDefaultAddressSpace: 'GlobalDefault' },
    });
  });

  it('runs a network\'s life: pool, gateway, container, release', async () => {
    // The bodies libnetwork sends (Go zero values included), as raw JSON text.
    const pool = await handle('/IpamDriver.RequestPool', JSON.stringify({ AddressSpace: 'LocalDefault', Pool: '', SubPool: '', Options: null, V6: false }));
    expect(pool).toEqual({ status: 200, body: { PoolID: 'LocalDefault/172.17.0.0/16', Pool: '172.17.0.0/16', Data: {} } });
    const gw = await handle('/IpamDriver.RequestAddress', { PoolID: 'LocalDefault/172.17.0.0/16', Address: '', Options: { RequestAddressType: 'com.docker.network.gateway' } });
    expect(gw).toEqual({ status: 200, body: { Address: '172.17.0.1/16', Data: {} } });
    const c1 = await handle('/IpamDriver.RequestAddress', { PoolID: 'LocalDefault/172.17.0.0/16', Address: '', Options: {} });
    expect(c1.body).toEqual({ Address: '172.17.0.2/16', Data: {} });
    const c2 = await handle('/IpamDriver.RequestAddress', { PoolID: 'LocalDefault/172.17.0.0/16', Address: '172.17.0.9' });
    expect(c2.body).toEqual({ Address: '172.17.0.9/16', Data: {} });
    const busy = await handle('/IpamDriver.ReleasePool', { PoolID: 'LocalDefault/172.17.0.0/16' });
    expect(busy.status).toBe(409);
    expect(busy.body['Err']).toContain('3 address(es) in use');
    for (const address of ['172.17.0.1', '172.17.0.2', '172.17.0.9']) {
      expect(await handle('/IpamDriver.ReleaseAddress', { PoolID: 'LocalDefault/172.17.0.0/16', Address: address })).toEqual({ status: 200, body: {} });
    }
    expect(await handle('/IpamDriver.ReleasePool', { PoolID: 'LocalDefault/172.17.0.0/16' })).toEqual({ status: 200, body: {} });
    expect(await store.list('/ipam/pool/')).toEqual([]);
  });

  it('serves an explicit IPv6 pool with a sub-pool, and serial allocation', async () => {
    const pool = await handle('/IpamDriver.RequestPool', { AddressSpace: 'GlobalDefault', Pool: 'fd00:1::/64', SubPool: 'fd00:1::100/120', V6: true });
    expect(pool.body).toEqual({ PoolID: 'GlobalDefault/fd00:1::/64/fd00:1::100/120', Pool: 'fd00:1::/64', Data: {} });
    const id = pool.body['PoolID'];
    const a = await handle('/IpamDriver.RequestAddress', { PoolID: id, Options: { 'com.docker.network.ipam.serial': 'true' } });
    expect(a.body['Address']).toBe('fd00:1::100/64');
  });

  it.each([
    ['/IpamDriver.RequestPool', { Pool: 42 }, 400, 'Pool must be a string'],
    ['/IpamDriver.RequestPool', { V6: 'true' }, 400, 'V6 must be a boolean'],
    ['/IpamDriver.RequestPool', { Options: ['x'] }, 400, 'Options must be a map of strings'],
    ['/IpamDriver.RequestPool', { Options: { a: 1 } }, 400, 'Options must be a map of strings'],
    ['/IpamDriver.RequestPool', { AddressSpace: 7 }, 400, 'AddressSpace must be a string'],
    ['/IpamDriver.RequestPool', { Pool: '10.0.0.1/8' }, 400, '10.0.0.0/8'],
    ['/IpamDriver.RequestPool', { Pool: '10.0.0.0/8', SubPool: '11.0.0.0/24' }, 400, '11.0.0.0/24'],
    ['/IpamDriver.RequestPool', { AddressSpace: 'Nowhere' }, 400, 'Nowhere'],
    ['/IpamDriver.RequestPool', '{"Pool": ', 400, 'not JSON'],
    ['/IpamDriver.RequestPool', [1, 2], 400, 'body must be a JSON object'],
    ['/IpamDriver.ReleasePool', {}, 400, 'PoolID must be a non-empty string'],
    ['/IpamDriver.ReleasePool', { PoolID: 'LocalDefault/10.0.0.0/8' }, 404, 'LocalDefault/10.0.0.0/8'],
    ['/IpamDriver.RequestAddress', { PoolID: 5 }, 400, 'PoolID must be a string'],
    ['/IpamDriver.RequestAddress', { PoolID: 'LocalDefault/10.0.0.0/8', Address: true }, 400, 'Address must be a string'],
    ['/IpamDriver.RequestAddress', { PoolID: 'nope' }, 404, 'nope'],
    ['/IpamDriver.ReleaseAddress', { PoolID: 'LocalDefault/10.0.0.0/8' }, 400, 'Address must be a non-empty string'],
    ['/IpamDriver.Nope', {}, 404, '/IpamDriver.Nope'],
  ])('%s %j → %i', async (path, body, status, named) => {
    const before = await store.list('/');
    const response = await handle(path, body);
    expect(response.status).toBe(status);
    expect(Object.keys(response.body)).toEqual(['Err']);
    expect(response.body['Err']).toContain(named);
    expect(await store.list('/')).toEqual(before);
  });

  it('answers 409 for a used address and 503 for an exhausted pool', async () => {
    const { body } = await handle('/IpamDriver.RequestPool', { Pool: '10.1.0.0/30' });
    const id = body['PoolID'];
    await handle('/IpamDriver.RequestAddress', { PoolID: id, Address: '10.1.0.1' });
    expect((await handle('/IpamDriver.RequestAddress', { PoolID: id, Address: '10.1.0.1' })).status).toBe(409);
    await handle('/IpamDriver.RequestAddress', { PoolID: id });
    const exhausted = await handle('/IpamDriver.RequestAddress', { PoolID: id });
    expect(exhausted).toEqual({ status: 503, body: { Err: `no available addresses in pool ${String(id)}` } });
  });
});
