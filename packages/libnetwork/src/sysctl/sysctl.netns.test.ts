import { readFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { describeNetns, trackedTestNs, type TestNs } from '@tsnet/testkit';
import { ensureSysctl, readSysctl, writeSysctl } from './index.js';

describeNetns('sysctl per namespace', () => {
  const made: TestNs[] = [];
  afterEach(() => {
    for (const ns of made.splice(0)) ns.destroy();
  });
  const testNs = (): TestNs => {
    const ns = trackedTestNs();
    made.push(ns);
    return ns;
  };

  it('writes a namespace\'s value and leaves the host\'s alone', () => {
    const ns = testNs();
    const host = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
    expect(ns.sh('cat /proc/sys/net/ipv4/ip_forward').trim()).toBe('0');
    writeSysctl(ns.path, 'net.ipv4.ip_forward', '1');
    expect(ns.sh('cat /proc/sys/net/ipv4/ip_forward').trim()).toBe('1');
    expect(readSysctl(ns.path, 'net.ipv4.ip_forward')).toBe('1');
    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim()).toBe(host);
  });

  it('reads and writes per-interface keys, slashes allowed for names with dots', () => {
    const ns = testNs();
    ns.sh('ip link add a.1 type veth peer name b.1');
    writeSysctl(ns.path, 'net/ipv4/conf/a.1/route_localnet', '1');
    expect(ns.sh('cat /proc/sys/net/ipv4/conf/a.1/route_localnet').trim()).toBe('1');
    expect(readSysctl(ns.path, 'net/ipv4/conf/a.1/route_localnet')).toBe('1');
    expect(ensureSysctl(ns.path, 'net/ipv4/conf/a.1/route_localnet', '1')).toBe(false);
    expect(ensureSysctl(ns.path, 'net/ipv4/conf/a.1/route_localnet', '0')).toBe(true);
    expect(ns.sh('cat /proc/sys/net/ipv4/conf/a.1/route_localnet').trim()).toBe('0');
  });

  it('refuses bad keys with a stable code and reports missing ones like Node', () => {
    const ns = testNs();
    for (const bad of ['', '../etc/passwd', 'net/../../etc', 'net..ipv4', 'a b']) {
      expect(() => writeSysctl(ns.path, bad, '1')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_SYSCTL_KEY' }));
    }
    expect(() => readSysctl(ns.path, 'net.ipv4.conf.nosuchdev.forwarding')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
