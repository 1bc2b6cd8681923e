import { describe, expect, it } from 'vitest';
import { nlaToString, parseNlas } from './codec.js';
import { IFLA, IFLA_INFO, hairpinBody, ifaddrmsg, ifinfomsg, linkByNameBody, linkInfo, ndmsg, newLinkBody, rtmsg } from './messages.js';

/** IFLA_LINKINFO → { kind, data attributes }. */
function decodeLinkInfo(body: Buffer): { kind: string | undefined; data: Map<number, Buffer> } {
  const top = parseNlas(body.subarray(16));
  const info = parseNlas(top.get(IFLA.LINKINFO)!);
  const data = info.get(IFLA_INFO.DATA);
  return { kind: nlaToString(info.get(IFLA_INFO.KIND)), data: data ? parseNlas(data) : new Map() };
}

describe('struct headers', () => {
  it('ifinfomsg is 16 bytes: family, pad, type, index, flags, change', () => {
    expect(ifinfomsg({ family: 7, index: 3, flags: 1, change: 1 }).toString('hex')).toBe('07000000' + '03000000' + '01000000' + '01000000');
  });
  it('ifaddrmsg, rtmsg and ndmsg', () => {
    expect(ifaddrmsg(2, 24, 5).toString('hex')).toBe('0218000005000000');
    expect(rtmsg({ family: 2, dstLen: 16, table: 254, protocol: 3, scope: 253, type: 1 }).toString('hex')).toBe('021000' + '00' + 'fe03fd01' + '00000000');
    // A table id above 255 goes in RTA_TABLE; the header says RT_TABLE_COMPAT.
    expect(rtmsg({ family: 2, dstLen: 0, table: 1000, protocol: 0, scope: 0, type: 1 })[4]).toBe(252);
    expect(ndmsg(7, 4, 0x80, 0x02).toString('hex')).toBe('07000000' + '04000000' + '8000' + '02' + '00');
  });
});

describe('links', () => {
  it('veth: the peer is a whole ifinfomsg with its name, MAC, MTU and namespace fd', () => {
    const body = newLinkBody({ name: 'veth1234567', mtu: 1400 }, { kind: 'veth', peerName: 'eth0', peerMac: '02:42:ac:11:00:02', peerMtu: 1400, peerNsFd: 33 });
    const top = parseNlas(body.subarray(16));
    expect(nlaToString(top.get(IFLA.IFNAME))).toBe('veth1234567');
    expect(top.get(IFLA.MTU)!.readUInt32LE(0)).toBe(1400);
    const { kind, data } = decodeLinkInfo(body);
    expect(kind).toBe('veth');
    const peer = data.get(1 /* VETH_INFO_PEER */)!;
    expect(peer.subarray(0, 16)).toEqual(ifinfomsg());
    const peerAttrs = parseNlas(peer.subarray(16));
    expect(nlaToString(peerAttrs.get(IFLA.IFNAME))).toBe('eth0');
    expect(peerAttrs.get(IFLA.ADDRESS)!.toString('hex')).toBe('0242ac110002');
    expect(peerAttrs.get(IFLA.NET_NS_FD)!.readUInt32LE(0)).toBe(33);
    expect(top.has(IFLA.NET_NS_FD)).toBe(false); // this end stays here
  });

  it('created up and enslaved: ifi_flags/ifi_change and IFLA_MASTER; the peer stays down', () => {
    const body = newLinkBody({ name: 'v0', up: true, masterIndex: 9 }, { kind: 'veth', peerName: 'eth0' });
    expect(body.readUInt32LE(8)).toBe(1);
    expect(body.readUInt32LE(12)).toBe(1);
    expect(parseNlas(body.subarray(16)).get(IFLA.MASTER)!.readUInt32LE(0)).toBe(9);
    const peer = decodeLinkInfo(body).data.get(1)!;
    expect(peer.readUInt32LE(12)).toBe(0);
  });

  it('bridge: kind only', () => {
    const body = newLinkBody({ name: 'br0', mac: '02:00:00:00:00:01' }, { kind: 'bridge' });
    expect(decodeLinkInfo(body)).toEqual({ kind: 'bridge', data: new Map() });
    expect(parseNlas(body.subarray(16)).get(IFLA.ADDRESS)!.toString('hex')).toBe('020000000001');
  });

  it.each([
    ['private', 1],
    ['vepa', 2],
    ['bridge', 4],
    ['passthru', 8],
  ] as const)('macvlan mode %s = %i, parent in IFLA_LINK, optional target namespace', (mode, value) => {
    const body = newLinkBody({ name: 'mv0' }, { kind: 'macvlan', parentIndex: 7, mode }, 12);
    const top = parseNlas(body.subarray(16));
    expect(top.get(IFLA.LINK)!.readUInt32LE(0)).toBe(7);
    expect(top.get(IFLA.NET_NS_FD)!.readUInt32LE(0)).toBe(12);
    expect(decodeLinkInfo(body).data.get(1)!.readUInt32LE(0)).toBe(value);
  });

  it('ipvlan: mode and flags as u16', () => {
    const { kind, data } = decodeLinkInfo(newLinkBody({ name: 'iv0' }, { kind: 'ipvlan', parentIndex: 2, mode: 'l3', flag: 'private' }));
    expect(kind).toBe('ipvlan');
    expect(data.get(1)!.readUInt16LE(0)).toBe(1);
    expect(data.get(2)!.readUInt16LE(0)).toBe(1);
  });

  it('vxlan: id, remote/group, local, dev, port in network order, learning', () => {
    const { data } = decodeLinkInfo(
      newLinkBody({ name: 'vx0' }, { kind: 'vxlan', vni: 4096, group: '239.1.1.1', local: '10.0.0.1', port: 4789, devIndex: 3, learning: false, ttl: 64 }),
    );
    expect(data.get(1)!.readUInt32LE(0)).toBe(4096);
    expect([...data.get(2)!]).toEqual([239, 1, 1, 1]);
    expect([...data.get(4)!]).toEqual([10, 0, 0, 1]);
    expect(data.get(3)!.readUInt32LE(0)).toBe(3);
    expect(data.get(15)!.readUInt16BE(0)).toBe(4789);
    expect(data.get(7)![0]).toBe(0);
    expect(data.get(5)![0]).toBe(64);
    const v6 = decodeLinkInfo(newLinkBody({ name: 'vx1' }, { kind: 'vxlan', vni: 1, group: 'fd00::2', local: 'fd00::1' })).data;
    expect(v6.get(16)!.length).toBe(16); // IFLA_VXLAN_GROUP6
    expect(v6.get(17)!.length).toBe(16); // IFLA_VXLAN_LOCAL6
  });

  it('refuses bad input before encoding anything', () => {
    expect(() => newLinkBody({ name: 'x'.repeat(16) }, { kind: 'bridge' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_IFNAME' }));
    expect(() => newLinkBody({ name: 'v0' }, { kind: 'veth', peerName: 'a/b' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_IFNAME' }));
    expect(() => linkInfo({ kind: 'vxlan', vni: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_VNI' }));
    expect(() => linkInfo({ kind: 'vxlan', vni: 1, port: 70000 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_PORT' }));
    expect(() => linkInfo({ kind: 'vxlan', vni: 1, group: 'nope' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ADDRESS' }));
  });

  it('addresses a link by name with index 0 (the kernel resolves IFLA_IFNAME)', () => {
    const body = linkByNameBody('eth0', [], { flags: 1, change: 1 });
    expect(body.readInt32LE(4)).toBe(0);
    expect(nlaToString(parseNlas(body.subarray(16)).get(IFLA.IFNAME))).toBe('eth0');
  });

  it('hairpin is IFLA_BRPORT_MODE inside IFLA_PROTINFO of an AF_BRIDGE message', () => {
    const body = hairpinBody(5, true);
    expect(body[0]).toBe(7);
    expect(body.readInt32LE(4)).toBe(5);
    expect(parseNlas(parseNlas(body.subarray(16)).get(IFLA.PROTINFO)!).get(4)![0]).toBe(1);
  });
});
