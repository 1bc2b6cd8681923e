import { describe, expect, it } from 'vitest';
import { loadControllerConfig } from '../../controller/config.js';
import type { NetworkRecord } from '../../model/types.js';
import { inspectOptions, loadBridgeConfig, OPT } from './config.js';

const daemon = loadControllerConfig({ mtu: 1450, defaultBridge: { name: 'tsnet9', icc: false, ipMasq: false } });
const spec = (options: Record<string, string>, extra: Partial<{ internal: boolean; enableIPv6: boolean }> = {}) => ({
  id: 'abcdef0123456789'.repeat(4),
  name: 'n',
  options,
  internal: extra.internal ?? false,
  enableIPv6: extra.enableIPv6 ?? false,
  predefined: false,
});

describe('loadBridgeConfig', () => {
  it('defaults: br-<id12>, icc and masquerade on, MTU 1500 (the daemon mtu is the default bridge\'s only), eth prefix', () => {
    expect(loadBridgeConfig(spec({}), [], daemon)).toEqual({
      bridgeName: 'br-abcdef012345',
      icc: true,
      masquerade: true,
      hostBindingIpv4: '',
      mtu: 1500,
      defaultBridge: false,
      internal: false,
      enableIPv6: false,
      ifacePrefix: 'eth',
    });
  });

  it('the default bridge takes the daemon settings (bridge name, icc, ip-masq)', () => {
    const c = loadBridgeConfig(spec({ [OPT.defaultBridge]: 'true' }), [], daemon);
    expect(c).toMatchObject({ bridgeName: 'tsnet9', icc: false, masquerade: false, defaultBridge: true, mtu: 1450 });
  });

  it.each([
    [{ [OPT.name]: 'br0' }, { bridgeName: 'br0' }],
    [{ [OPT.icc]: 'false' }, { icc: false }],
    [{ [OPT.icc]: '0' }, { icc: false }], // Go's ParseBool
    [{ [OPT.masquerade]: 'F' }, { masquerade: false }],
    [{ [OPT.hostBindingIpv4]: '127.0.0.1' }, { hostBindingIpv4: '127.0.0.1' }],
    [{ [OPT.hostBindingIpv4]: '0.0.0.0' }, { hostBindingIpv4: '' }],
    [{ [OPT.mtu]: '9000' }, { mtu: 9000 }],
    [{ [OPT.ifacePrefix]: 'net' }, { ifacePrefix: 'net' }],
    [{ 'com.example.whatever': 'kept' }, { bridgeName: 'br-abcdef012345' }], // unknown generic options are accepted
  ])('%j', (options, want) => {
    expect(loadBridgeConfig(spec(options), [], daemon)).toMatchObject(want);
  });

  it.each([
    [{ [OPT.icc]: 'yes' }, 'ERR_INVALID_OPTION'],
    [{ [OPT.mtu]: '67' }, 'ERR_INVALID_OPTION'],
    [{ [OPT.mtu]: '1e3' }, 'ERR_INVALID_OPTION'],
    [{ [OPT.hostBindingIpv4]: '::1' }, 'ERR_INVALID_ADDRESS'],
    [{ [OPT.name]: 'much-too-long-name' }, 'ERR_INVALID_IFNAME'],
    [{ [OPT.ifacePrefix]: 'ETH' }, 'ERR_INVALID_OPTION'],
    [{ [OPT.defaultBridge]: 'maybe' }, 'ERR_INVALID_OPTION'],
  ])('refuses %j with %s', (options, code) => {
    expect(() => loadBridgeConfig(spec(options), [], daemon)).toThrow(expect.objectContaining({ code }));
  });

  it('refuses a bridge name another network uses', () => {
    const other = { name: 'web', driver: 'bridge', driverConfig: { bridgeName: 'br0' } } as NetworkRecord;
    expect(() => loadBridgeConfig(spec({ [OPT.name]: 'br0' }), [other], daemon)).toThrow(expect.objectContaining({ code: 'ERR_BRIDGE_NAME_IN_USE' }));
  });

  it('inspect shows the default bridge\'s effective options like Docker', () => {
    const c = loadBridgeConfig(spec({ [OPT.defaultBridge]: 'true' }), [], daemon);
    expect(inspectOptions({ options: {}, driverConfig: c } as unknown as NetworkRecord)).toEqual({
      [OPT.defaultBridge]: 'true',
      [OPT.icc]: 'false',
      [OPT.masquerade]: 'false',
      [OPT.hostBindingIpv4]: '0.0.0.0',
      [OPT.name]: 'tsnet9',
      [OPT.mtu]: '1450',
    });
  });
});
