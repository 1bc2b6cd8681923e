import { describeNetns, trackedTestNs, type TestNs } from '@tsnet/testkit';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { IptablesFirewall } from './iptables-backend.js';
import { NftFirewall } from './nft-backend.js';
import { netnsRunner } from './runner.js';
import { mapping, network, sampleState } from './fixtures.js';
import type { Firewall, FirewallState } from './types.js';

/**
 * apply → read the kernel back (nft -j / iptables-save, in the test namespace only) → apply again
 * changes nothing → tamper → drift sees it → apply repairs → teardown leaves nothing of ours and
 * everything of others'.
 */

interface Case {
  name: string;
  make(ns: TestNs): Firewall;
  /** Everything tsnet-related the kernel holds, as text. */
  dump(ns: TestNs): string;
  /** Deletes one of our rules behind tsnet's back. */
  tamperRemove(ns: TestNs): void;
  /** Adds a rule to one of our chains behind tsnet's back. */
  tamperAdd(ns: TestNs): void;
  /** A rule of someone else's, which tsnet must leave alone. */
  foreign(ns: TestNs): void;
  /** A rule of the user's in TSNET-USER (after tsnet made the chain). */
  userRule(ns: TestNs): void;
  foreignLeft(ns: TestNs): boolean;
}

const nftJson = (ns: TestNs) => JSON.parse(ns.sh('nft -j list ruleset')) as { nftables: Array<Record<string, { table?: string; name?: string; chain?: string; comment?: string }>> };
const nftTables = (ns: TestNs) => nftJson(ns).nftables.flatMap((o) => (o.table ? [o.table.name] : []));

const nftCase: Case = {
  name: 'nftables',
  make: (ns) => new NftFirewall(ns.path),
  // Sorted: a repaired rule comes back at the end of its chain, where order does not matter.
  dump: (ns) =>
    nftJson(ns)
      .nftables.filter((o) => !('metainfo' in o))
      .map((o) => JSON.stringify(o, (k, v) => (k === 'handle' ? undefined : v)))
      .sort()
      .join('\n'),
  tamperRemove: (ns) => {
    const rule = nftJson(ns).nftables.find((o) => o.rule?.chain === 'FORWARD' && o.rule.comment === 'tsnet net=db')!.rule as unknown as { handle: number };
    ns.sh(`nft delete rule ip tsnet-filter FORWARD handle ${rule.handle}`);
  },
  tamperAdd: (ns) => ns.sh('nft add rule ip tsnet-filter FORWARD ip saddr 198.51.100.7 drop'),
  foreign: (ns) => ns.sh('nft add table ip mine && nft add chain ip mine c && nft add rule ip mine c counter accept'),
  userRule: (ns) => ns.sh('nft add rule ip tsnet-filter TSNET-USER ip saddr 203.0.113.9 drop'),
  foreignLeft: (ns) => nftTables(ns).includes('mine'),
};

const iptCase = (flavour: 'nft' | 'legacy'): Case => {
  const ipt = `iptables-${flavour}`;
  return {
    name: `iptables (${flavour})`,
    make: (ns) => new IptablesFirewall(ns.path, flavour),
    dump: (ns) =>
      [ns.sh(`${ipt}-save`), ns.sh(`ip6tables-${flavour}-save`)]
        .join('')
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .sort()
        .join('\n'),
    tamperRemove: (ns) => ns.sh(`${ipt} -D FORWARD -i br-db -o br-db -m comment --comment "tsnet net=db" -j DROP`),
    tamperAdd: (ns) => ns.sh(`${ipt} -I TSNET-ISOLATION-STAGE-2 -s 198.51.100.7 -j DROP`),
    foreign: (ns) => ns.sh(`${ipt} -A FORWARD -s 192.0.2.99 -j ACCEPT && ${ipt} -t nat -A POSTROUTING -s 192.0.2.98 -j MASQUERADE`),
    userRule: (ns) => ns.sh(`${ipt} -I TSNET-USER -s 203.0.113.9 -j DROP`),
    foreignLeft: (ns) => ns.sh(`${ipt}-save`).includes('-A FORWARD -s 192.0.2.99/32 -j ACCEPT') && ns.sh(`${ipt}-save -t nat`).includes('192.0.2.98'),
  };
};

for (const c of [nftCase, iptCase('nft'), iptCase('legacy')]) {
  describeNetns(`${c.name}: lifecycle in a fresh namespace`, () => {
    let ns: TestNs;
    let fw: Firewall;
    beforeEach(() => {
      ns = trackedTestNs('tsnet-fw');
      fw = c.make(ns);
    });
    afterEach(() => {
      fw.close?.();
      ns.destroy();
    });

    it('applies, is idempotent, reports and repairs drift, tears down only its own', async () => {
      const empty = c.dump(ns);
      c.foreign(ns); // someone else's rules exist first
      await fw.apply(sampleState);
      c.userRule(ns);
      const applied = c.dump(ns);
      expect(applied).toContain('br-web');
      expect(await fw.drift(sampleState)).toEqual({ missing: [], extra: [] });

      // Same state again, from this instance and from a fresh one (startup reconcile): no change.
      await fw.apply(sampleState);
      await c.make(ns).apply(sampleState);
      expect(c.dump(ns)).toBe(applied);

      c.tamperRemove(ns);
      c.tamperAdd(ns);
      const drift = await fw.drift(sampleState);
      expect(drift.missing).toHaveLength(1);
      expect(drift.missing[0]!.text).toContain('br-db');
      expect(drift.extra).toHaveLength(1);
      expect(drift.extra[0]!.text).toContain('198.51.100.7');
      await fw.apply(sampleState);
      expect(await fw.drift(sampleState)).toEqual({ missing: [], extra: [] });
      expect(c.dump(ns)).toBe(applied);

      const listed = await fw.list();
      expect(listed.some((r) => r.owner.kind === 'port' && r.owner.port === '8080/tcp')).toBe(true);
      expect(listed.some((r) => r.owner.kind === 'network' && r.owner.network === 'db')).toBe(true);
      expect(listed.some((r) => r.owner.kind === 'user')).toBe(true); // the TSNET-USER rule, kept

      await fw.teardown();
      expect(c.foreignLeft(ns)).toBe(true);
      expect(c.dump(ns)).not.toMatch(/tsnet|TSNET/i);
      expect(empty).not.toMatch(/tsnet/i);
    });

    it('adds and removes a network and a port as a delta', async () => {
      await fw.apply(sampleState);
      const extra = network('extra', 7);
      const more: FirewallState = { ...sampleState, networks: [...sampleState.networks, extra], portMappings: [...sampleState.portMappings, mapping(extra, '10.7.0.2', 7070, 70)] };
      await fw.apply(more);
      expect(c.dump(ns)).toContain('br-extra');
      expect(await fw.drift(more)).toEqual({ missing: [], extra: [] });
      await fw.apply(sampleState);
      expect(c.dump(ns)).not.toContain('br-extra');
      expect(await fw.drift(sampleState)).toEqual({ missing: [], extra: [] });
      await fw.apply({ networks: [], portMappings: [] });
      expect(c.dump(ns)).not.toMatch(/br-web|TSNET-ISOLATION/);
    });

    it('rejects a bad state with a stable code and changes nothing', async () => {
      await fw.apply(sampleState);
      const before = c.dump(ns);
      const bad = { ...sampleState, networks: [{ ...sampleState.networks[0]!, bridge: 'br;drop' }] };
      await expect(fw.apply(bad)).rejects.toMatchObject({ code: 'ERR_FIREWALL_INVALID_STATE' });
      expect(c.dump(ns)).toBe(before);
    });
  });
}

describeNetns('nftables: the hot path', () => {
  it('adds and removes a network through the coprocess alone, with no re-listing of the kernel', async () => {
    const ns = trackedTestNs('tsnet-fw');
    const oneShot: string[] = [];
    const fw = new NftFirewall(ns.path, (p) => {
      const inner = netnsRunner(p);
      return { run: (cmd, args, input) => (oneShot.push(`${cmd} ${args.join(' ')}`), inner.run(cmd, args, input)) };
    });
    try {
      await fw.apply(sampleState);
      expect(oneShot).toEqual(['nft -a list ruleset']); // the startup reconcile
      const extra = network('extra', 7);
      for (let i = 0; i < 3; i++) {
        await fw.apply({ ...sampleState, networks: [...sampleState.networks, extra] });
        await fw.apply(sampleState);
      }
      expect(oneShot).toHaveLength(1);
      expect(await fw.drift(sampleState)).toEqual({ missing: [], extra: [] });
    } finally {
      fw.close();
      ns.destroy();
    }
  });
});

describeNetns('iptables: the hot path', () => {
  it('adds and removes a network with one iptables-restore per family and no iptables-save', async () => {
    const ns = trackedTestNs('tsnet-fw');
    const calls: string[] = [];
    const fw = new IptablesFirewall(ns.path, 'nft', (p) => {
      const inner = netnsRunner(p);
      return { run: (cmd, args, input) => (calls.push(cmd), inner.run(cmd, args, input)) };
    });
    try {
      await fw.apply(sampleState);
      calls.length = 0;
      const extra = network('extra', 7);
      await fw.apply({ ...sampleState, networks: [...sampleState.networks, extra] });
      await fw.apply(sampleState);
      expect(calls).toEqual(['iptables-nft-restore', 'iptables-nft-restore']); // extra has IPv4 only
      expect(await fw.drift(sampleState)).toEqual({ missing: [], extra: [] });
    } finally {
      ns.destroy();
    }
  });
});
