import { describe, expect, it } from 'vitest';
import { FlagError } from './common.js';
import { networkConnectBody, networkCreateBody } from './network.js';

describe('network create flags → POST /networks/create body', () => {
  it('passes Docker defaults through', () => {
    expect(networkCreateBody('n1', {})).toEqual({
      Name: 'n1',
      CheckDuplicate: true,
      Driver: 'bridge',
      Internal: false,
      Attachable: false,
      EnableIPv6: false,
      IPAM: { Driver: 'default', Config: [], Options: {} },
      Options: {},
      Labels: {},
    });
  });

  it.each([
    ['subnet only', { subnet: ['10.10.10.0/24'] }, [{ Subnet: '10.10.10.0/24' }]],
    ['gateway and range matched to their subnet', { subnet: ['10.1.0.0/16', '10.2.0.0/16'], gateway: ['10.2.0.254'], ipRange: ['10.1.5.0/24'] },
      [{ Subnet: '10.1.0.0/16', IPRange: '10.1.5.0/24' }, { Subnet: '10.2.0.0/16', Gateway: '10.2.0.254' }]],
    ['aux addresses', { subnet: ['10.3.0.0/24'], auxAddress: ['router=10.3.0.5', 'printer=10.3.0.6'] },
      [{ Subnet: '10.3.0.0/24', AuxiliaryAddresses: { router: '10.3.0.5', printer: '10.3.0.6' } }]],
    ['IPv4 and IPv6 side by side', { subnet: ['10.4.0.0/24', 'fd00:1::/64'], gateway: ['fd00:1::1', '10.4.0.1'] },
      [{ Subnet: '10.4.0.0/24', Gateway: '10.4.0.1' }, { Subnet: 'fd00:1::/64', Gateway: 'fd00:1::1' }]],
  ])('%s', (_name, flags, config) => {
    expect(networkCreateBody('n', flags).IPAM.Config).toEqual(config);
  });

  it('maps -o, --label, --internal, --attachable, --ipv6, -d', () => {
    const body = networkCreateBody('n', {
      driver: 'macvlan',
      opt: ['com.docker.network.bridge.name=br0', 'parent=eth0'],
      label: ['team=net', 'flag'],
      internal: true,
      attachable: true,
      ipv6: true,
    });
    expect(body).toMatchObject({
      Driver: 'macvlan',
      Internal: true,
      Attachable: true,
      EnableIPv6: true,
      Options: { 'com.docker.network.bridge.name': 'br0', parent: 'eth0' },
      Labels: { team: 'net', flag: '' },
    });
  });

  it.each([
    ['bad name', 'my/net', {}, /invalid network name "my\/net"/],
    ['not a CIDR', 'n', { subnet: ['10.0.0.0'] }, /invalid --subnet "10.0.0.0": not a CIDR/],
    ['prefix too long', 'n', { subnet: ['10.0.0.0/33'] }, /invalid --subnet/],
    ['gateway without subnet', 'n', { gateway: ['10.0.0.1'] }, /every ip-range or gateway must have a corresponding subnet/],
    ['gateway outside subnet', 'n', { subnet: ['10.0.0.0/24'], gateway: ['10.0.1.1'] }, /no matching subnet for gateway 10.0.1.1/],
    ['range outside subnet', 'n', { subnet: ['10.0.0.0/24'], ipRange: ['10.9.0.0/24'] }, /no matching subnet for range 10.9.0.0\/24/],
    ['two gateways in one subnet', 'n', { subnet: ['10.0.0.0/24', '10.1.0.0/24'], gateway: ['10.0.0.1', '10.0.0.2'] }, /cannot configure multiple gateways/],
    ['overlapping subnets', 'n', { subnet: ['10.0.0.0/16', '10.0.5.0/24'] }, /overlapping subnet/],
    ['aux address without =', 'n', { subnet: ['10.0.0.0/24'], auxAddress: ['10.0.0.5'] }, /expected KEY=VALUE/],
    ['aux address outside', 'n', { subnet: ['10.0.0.0/24'], auxAddress: ['a=10.1.0.5'] }, /no matching subnet for aux-address 10.1.0.5/],
    ['gateway not an IP', 'n', { subnet: ['10.0.0.0/24'], gateway: ['gw'] }, /invalid --gateway "gw"/],
    ['empty option key', 'n', { opt: ['=x'] }, /invalid --opt "=x": empty key/],
  ])('refuses %s with a clear error', (_n, name, flags, message) => {
    expect(() => networkCreateBody(name, flags)).toThrow(FlagError);
    expect(() => networkCreateBody(name, flags)).toThrow(message);
  });
});

describe('network connect flags', () => {
  it.each([
    [{}, { Container: 'c', EndpointConfig: {} }],
    [{ ip: '10.0.0.7', alias: ['db', 'x'] }, { Container: 'c', EndpointConfig: { IPAMConfig: { IPv4Address: '10.0.0.7' }, Aliases: ['db', 'x'] } }],
    [{ ip6: 'fd00::7' }, { Container: 'c', EndpointConfig: { IPAMConfig: { IPv6Address: 'fd00::7' } } }],
  ])('%j', (flags, body) => {
    expect(networkConnectBody('c', flags)).toEqual(body);
  });

  it('refuses an --ip that is not IPv4', () => {
    expect(() => networkConnectBody('c', { ip: 'fd00::1' })).toThrow(/invalid --ip "fd00::1"/);
  });
});
