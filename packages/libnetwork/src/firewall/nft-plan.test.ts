import { describe, expect, it } from 'vitest';
import { mapping, network, sampleState } from './fixtures.js';
import { parseElements, parseNftListing } from './nft-parse.js';
import { emptyView, learnHandles, nftDrift, planNft, recordAdds, type View } from './nft-plan.js';
import { renderNft } from './render-nft.js';
import type { FirewallState } from './types.js';

/** Applies a plan to a view the way the kernel would, giving added rules fresh handles. */
function applied(state: FirewallState, view: View): { script: string[]; view: View } {
  const plan = planNft(renderNft(state), view);
  recordAdds(plan);
  let handle = 1000;
  for (const list of plan.next.rules.values()) for (const r of list) if (r.handle < 0) r.handle = handle++;
  return { script: plan.script, view: plan.next };
}

describe('nft planning', () => {
  it('creates the tables once, then sends nothing for the same state (idempotent)', () => {
    const first = applied(sampleState, emptyView());
    expect(first.script.filter((c) => c.startsWith('add table'))).toHaveLength(4);
    expect(applied(sampleState, first.view).script).toEqual([]);
  });

  it('adding a network sends only that network’s rules', () => {
    const { view } = applied(sampleState, emptyView());
    const extra = network('extra', 7);
    const { script } = applied({ ...sampleState, networks: [...sampleState.networks, extra] }, view);
    expect(script.length).toBeGreaterThan(0);
    expect(script.every((c) => c.includes('br-extra') && /^(add|insert) rule ip tsnet-/.test(c))).toBe(true);
  });

  it('removing a network deletes its rules by handle and nothing else', () => {
    const extra = network('extra', 7);
    const { view } = applied({ ...sampleState, networks: [...sampleState.networks, extra] }, emptyView());
    const { script } = applied(sampleState, view);
    expect(script.length).toBe(10); // 5 FORWARD (with the drop of new outside traffic), 2 isolation, 1 TSNET guard, 2 masquerades
    expect(script.every((c) => /^delete rule ip tsnet-\w+ \S+ handle \d+$/.test(c))).toBe(true);
  });

  it('asks for handles it does not know before deleting', () => {
    const extra = network('extra', 7);
    const plan = planNft(renderNft({ ...sampleState, networks: [...sampleState.networks, extra] }), emptyView());
    recordAdds(plan);
    const again = planNft(renderNft(sampleState), plan.next);
    expect(again.needHandles.size).toBeGreaterThan(0);
    const listing = parseNftListing(
      'table ip tsnet-filter { # handle 3\n\tchain FORWARD { # handle 9\n\t\toifname "br-extra" counter packets 5 bytes 300 jump TSNET comment "tsnet net=extra" # handle 77\n\t}\n}\n',
      () => true,
    );
    learnHandles(plan.next, listing);
    expect(plan.next.rules.get('4/filter/FORWARD')?.find((r) => r.text.startsWith('oifname "br-extra" counter jump'))?.handle).toBe(77);
  });

  it('upgrading a kernel that holds the older FORWARD chain rebuilds it with the DNAT rules before isolation', () => {
    const { view } = applied(sampleState, emptyView());
    // What an older tsnet left: the same chain without the two `ct status dnat` rules.
    const old = view.rules.get('4/filter/FORWARD')!.filter((r) => !r.text.includes('ct status dnat'));
    view.rules.set('4/filter/FORWARD', old);
    const { script } = applied(sampleState, view);
    const forward = script.filter((c) => c.includes(' FORWARD'));
    expect(forward[0]).toBe('flush chain ip tsnet-filter FORWARD');
    expect(forward.slice(1, 5).map((c) => c.replace('add rule ip tsnet-filter FORWARD ', ''))).toEqual([
      'counter jump TSNET-USER comment "tsnet"',
      'ct state established,related ct status dnat counter accept comment "tsnet"',
      'ct status dnat counter jump TSNET comment "tsnet"',
      'counter jump TSNET-ISOLATION-STAGE-1 comment "tsnet"',
    ]);
  });

  it('upgrading a kernel without the drop of new outside traffic only appends that drop (F39)', () => {
    const { view } = applied(sampleState, emptyView());
    const old = view.rules.get('4/filter/FORWARD')!.filter((r) => !r.text.startsWith('iifname != '));
    view.rules.set('4/filter/FORWARD', old);
    const { script } = applied(sampleState, view);
    expect(script.filter((c) => c.includes(' FORWARD'))).toEqual([
      'add rule ip tsnet-filter FORWARD iifname != "br-web" oifname "br-web" counter drop comment "tsnet net=web"',
      'add rule ip tsnet-filter FORWARD iifname != "br-db" oifname "br-db" counter drop comment "tsnet net=db"',
    ]);
  });

  it('publishing and unpublishing a port touches only set elements', () => {
    const { view } = applied(sampleState, emptyView());
    const web = sampleState.networks[0]!;
    const more = { ...sampleState, portMappings: [...sampleState.portMappings, mapping(web, '10.1.0.4', 81, 81)] };
    const add = applied(more, view);
    expect(add.script).toHaveLength(3);
    expect(add.script.every((c) => c.startsWith('add element'))).toBe(true);
    const del = applied(sampleState, add.view);
    expect(del.script).toHaveLength(3);
    expect(del.script.every((c) => c.startsWith('delete element'))).toBe(true);
  });

  it('rebuilds a table whose skeleton is incomplete', () => {
    const { view } = applied(sampleState, emptyView());
    view.tables.get('4/filter')!.chains.delete('TSNET-ISOLATION-STAGE-2');
    const { script } = applied(sampleState, view);
    expect(script[0]).toBe('delete table ip tsnet-filter');
    expect(script).toContain('add table ip tsnet-filter');
  });

  it('reports drift entry by entry, ignoring the user’s chain', () => {
    const desired = renderNft(sampleState);
    const { view } = applied(sampleState, emptyView());
    expect(nftDrift(desired, view)).toEqual({ missing: [], extra: [] });
    const forward = view.rules.get('4/filter/FORWARD')!;
    view.rules.set('4/filter/FORWARD', [...forward.slice(1), { text: 'counter accept', handle: 5 }]);
    view.rules.set('4/filter/TSNET-USER', [{ text: 'ip saddr 1.2.3.4 drop', handle: 6 }]);
    const d = nftDrift(desired, view);
    expect(d.missing.map((m) => m.text)).toEqual([forward[0]!.text]);
    expect(d.extra.map((m) => m.text)).toEqual(['counter accept']);
  });
});

describe('nft listing parser', () => {
  it('reads rules, counters, handles and set elements', () => {
    const text = [
      'table ip other { # handle 1',
      '\tchain c { # handle 1',
      '\t\tcounter packets 1 bytes 2 accept # handle 2',
      '\t}',
      '}',
      'table ip tsnet-nat { # handle 4',
      '\tmap TSNET-DNAT { # handle 1',
      '\t\ttype inet_proto . inet_service : ipv4_addr . inet_service',
      '\t\tcounter',
      '\t\telements = { tcp . 8080 counter packets 3 bytes 180 comment "tsnet net=web ctr=a ep=b port=8080/tcp" : 10.1.0.2 . 80,',
      '\t\t\t     udp . 53 counter packets 0 bytes 0 : 10.1.0.3 . 53 }',
      '\t}',
      '\tchain POSTROUTING { # handle 7',
      '\t\ttype nat hook postrouting priority srcnat; policy accept;',
      '\t\toifname != "br-web" ip saddr 10.1.0.0/24 counter packets 9 bytes 900 masquerade comment "tsnet net=web" # handle 12',
      '\t}',
      '}',
    ].join('\n');
    const l = parseNftListing(text, (t) => t.startsWith('tsnet-'));
    expect(l.tables.map((t) => t.table)).toEqual(['tsnet-nat']);
    expect(l.rules).toEqual([
      {
        family: 4,
        table: 'tsnet-nat',
        chain: 'POSTROUTING',
        text: 'oifname != "br-web" ip saddr 10.1.0.0/24 counter masquerade comment "tsnet net=web"',
        handle: 12,
        packets: 9,
        bytes: 900,
        comment: 'tsnet net=web',
      },
    ]);
    expect(l.elements.map((e) => [e.key, e.value, e.packets, e.comment])).toEqual([
      ['tcp . 8080', '10.1.0.2 . 80', 3, 'tsnet net=web ctr=a ep=b port=8080/tcp'],
      ['udp . 53', '10.1.0.3 . 53', 0, undefined],
    ]);
  });
  it('reads plain set elements', () => {
    expect(parseElements('10.1.0.2 . tcp . 80, 10.1.0.3 . udp . 53').map((e) => e.key)).toEqual(['10.1.0.2 . tcp . 80', '10.1.0.3 . udp . 53']);
  });
});
