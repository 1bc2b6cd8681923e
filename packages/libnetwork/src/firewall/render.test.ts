import { describe, expect, it } from 'vitest';
import { mapping, network, sampleState } from './fixtures.js';
import { iptablesSaveText, renderDockerIptables, renderIptables } from './render-iptables.js';
import { nftScript, renderNft } from './render-nft.js';
import { requiredSysctls } from './firewall.js';
import type { FirewallState } from './types.js';

const proxyState: FirewallState = { ...sampleState, userlandProxy: true };

describe('nftables rendering', () => {
  it('renders the sample state (no userland proxy)', () => {
    expect(nftScript(renderNft(sampleState))).toMatchSnapshot();
  });
  it('renders the sample state with the userland proxy', () => {
    expect(nftScript(renderNft(proxyState))).toMatchSnapshot();
  });
  it('renders nothing for an empty state', () => {
    expect(nftScript(renderNft({ networks: [], portMappings: [] }))).toBe('');
  });
  it('puts 1000 published ports in sets, not rules', () => {
    const net = network('many', 9);
    const portMappings = Array.from({ length: 1000 }, (_, i) => mapping(net, '10.9.0.2', 20000 + i, 20000 + i));
    const r = renderNft({ networks: [net], portMappings });
    expect(r.rules.length).toBeLessThan(30);
    expect(r.elements.length).toBe(3000);
  });
  it('annotates every rule and element with its owner', () => {
    const r = renderNft(sampleState);
    for (const rule of r.rules) expect(rule.text).toMatch(/comment "tsnet( net=\w+)?"$/);
    expect(r.elements.every((e) => e.owner.kind === 'port')).toBe(true);
  });
});

describe('iptables rendering', () => {
  it('renders iptables-save text for both families', () => {
    const rules = renderIptables(sampleState);
    expect(iptablesSaveText(rules, 4)).toMatchSnapshot();
    expect(iptablesSaveText(rules, 6)).toMatchSnapshot();
  });
  it('renders the userland-proxy variant (RETURN for bridge traffic, loopback excluded)', () => {
    const text = iptablesSaveText(renderIptables(proxyState), 4);
    expect(text).toContain('-A TSNET -i br-web -m comment --comment "tsnet net=web" -j RETURN');
    expect(text).toContain('-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL');
    expect(text).toContain('! -i br-web -p tcp -m tcp --dport 8080');
  });
  it("shows what Docker would have written, with Docker's names and forms", () => {
    const docker = renderDockerIptables(proxyState);
    expect(docker.v4).toMatchSnapshot();
    expect(docker.v4).not.toContain('TSNET');
    expect(docker.v4).not.toContain('--comment');
  });
  it('uses the network host_binding_ipv4 for mappings without a host address', () => {
    const net = network('bound', 5, { hostBindingIpv4: '192.0.2.10' });
    const text = iptablesSaveText(renderIptables({ networks: [net], portMappings: [mapping(net, '10.5.0.2', 80, 80)] }), 4);
    expect(text).toContain('-A TSNET -d 192.0.2.10/32 -p tcp -m tcp --dport 80');
  });
  it('lets DNATed connections to published ports pass isolation, after the user chain (both backends)', () => {
    const forward = iptablesSaveText(renderIptables(sampleState), 4).split('\n').filter((l) => l.startsWith('-A FORWARD')).slice(0, 4);
    expect(forward).toEqual([
      '-A FORWARD -m comment --comment "tsnet" -j TSNET-USER',
      '-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -m conntrack --ctstate DNAT -m comment --comment "tsnet" -j ACCEPT',
      '-A FORWARD -m conntrack --ctstate DNAT -m comment --comment "tsnet" -j TSNET',
      '-A FORWARD -m comment --comment "tsnet" -j TSNET-ISOLATION-STAGE-1',
    ]);
    const nft = renderNft(sampleState).rules.filter((r) => r.family === 4 && r.chain === 'FORWARD' && r.pos === 'head').map((r) => r.text);
    expect(nft).toEqual([
      'counter jump TSNET-USER comment "tsnet"',
      'ct state established,related ct status dnat counter accept comment "tsnet"',
      'ct status dnat counter jump TSNET comment "tsnet"',
      'counter jump TSNET-ISOLATION-STAGE-1 comment "tsnet"',
    ]);
    // An internal network gets nothing in or out that way; Docker's own view has none of it.
    expect(iptablesSaveText(renderIptables(sampleState), 4)).toContain('-A TSNET -i br-db -m comment --comment "tsnet net=db" -j RETURN');
    expect(renderDockerIptables(sampleState).v4).not.toContain('--ctstate DNAT');
  });
  it('drops new traffic entering a bridge from elsewhere unless published, in Docker 28 order (F39, both backends)', () => {
    const forward = iptablesSaveText(renderIptables(sampleState), 4).split('\n').filter((l) => l.startsWith('-A FORWARD') && l.includes('br-web'));
    expect(forward).toEqual([
      '-A FORWARD -o br-web -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "tsnet net=web" -j ACCEPT',
      '-A FORWARD -o br-web -m comment --comment "tsnet net=web" -j TSNET',
      '-A FORWARD ! -i br-web -o br-web -m comment --comment "tsnet net=web" -j DROP',
      '-A FORWARD -i br-web ! -o br-web -m comment --comment "tsnet net=web" -j ACCEPT',
      '-A FORWARD -i br-web -o br-web -m comment --comment "tsnet net=web" -j ACCEPT',
    ]);
    const nft = renderNft(sampleState).rules.filter((r) => r.family === 6 && r.chain === 'FORWARD' && r.pos === 'tail').map((r) => r.text);
    expect(nft).toEqual([
      'oifname "br-web" ct state established,related counter accept comment "tsnet net=web"',
      'oifname "br-web" counter jump TSNET comment "tsnet net=web"',
      'iifname != "br-web" oifname "br-web" counter drop comment "tsnet net=web"',
      'iifname "br-web" oifname != "br-web" counter accept comment "tsnet net=web"',
      'iifname "br-web" oifname "br-web" counter accept comment "tsnet net=web"',
    ]);
    // An internal network: dropped too, and no way out at all.
    const db = iptablesSaveText(renderIptables(sampleState), 4).split('\n').filter((l) => l.startsWith('-A FORWARD') && l.includes('br-db'));
    expect(db.map((l) => l.replace(/ -m comment --comment "[^"]*"/, ''))).toEqual([
      '-A FORWARD -o br-db -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A FORWARD -o br-db -j TSNET',
      '-A FORWARD ! -i br-db -o br-db -j DROP',
      '-A FORWARD -i br-db -o br-db -j DROP',
    ]);
  });
  it('publishes nothing for a container on an --internal network (F51: Docker programs no port mapping there)', () => {
    const db = sampleState.networks[1]!;
    const withInternal = { ...sampleState, portMappings: [...sampleState.portMappings, mapping(db, '10.2.0.2', 8900, 80)] };
    expect(iptablesSaveText(renderIptables(withInternal), 4)).toBe(iptablesSaveText(renderIptables(sampleState), 4));
    expect(nftScript(renderNft(withInternal))).toBe(nftScript(renderNft(sampleState)));
    // Still validated: a bad mapping on an internal network is refused, not silently dropped.
    expect(() => renderNft({ ...sampleState, portMappings: [mapping(db, '10.2.0.2', 0, 80)] })).toThrow(expect.objectContaining({ code: 'ERR_FIREWALL_INVALID_STATE' }));
  });
  it('icc=false drops bridge-internal traffic; internal drops everything leaving', () => {
    const text = iptablesSaveText(renderIptables(sampleState), 4);
    expect(text).toContain('-A FORWARD -i br-db -o br-db -m comment --comment "tsnet net=db" -j DROP');
    expect(text).toContain('-A TSNET-ISOLATION-STAGE-1 ! -d 10.2.0.0/24 -i br-db');
    expect(text).not.toContain('-s 10.2.0.0/24 ! -o br-db');
  });
});

describe('state validation', () => {
  const web = network('web', 1);
  const cases: Array<[string, FirewallState]> = [
    ['bridge name with a space', { networks: [{ ...web, bridge: 'br web' }], portMappings: [] }],
    ['bridge name too long', { networks: [{ ...web, bridge: 'a-very-long-bridge-name' }], portMappings: [] }],
    ['bad subnet', { networks: [{ ...web, subnets: ['10.0.0.0/33'] }], portMappings: [] }],
    ['subnet that is no address', { networks: [{ ...web, subnets: ['x/24'] }], portMappings: [] }],
    ['mapping to an unknown network', { networks: [web], portMappings: [{ ...mapping(web, '10.1.0.2', 80, 80), networkId: 'nope' }] }],
    ['port 0', { networks: [web], portMappings: [mapping(web, '10.1.0.2', 0, 80)] }],
    ['port 70000', { networks: [web], portMappings: [mapping(web, '10.1.0.2', 80, 70000)] }],
    ['bad proto', { networks: [web], portMappings: [mapping(web, '10.1.0.2', 80, 80, { proto: 'icmp' as 'tcp' })] }],
    ['v6 host address for a v4 container', { networks: [web], portMappings: [mapping(web, '10.1.0.2', 80, 80, { hostIp: '::1' })] }],
    ['comment injection through a container id', { networks: [web], portMappings: [mapping(web, '10.1.0.2', 80, 80, { containerId: 'x" drop' })] }],
    ['the same host port twice', { networks: [web], portMappings: [mapping(web, '10.1.0.2', 80, 80), mapping(web, '10.1.0.3', 80, 80)] }],
  ];
  it.each(cases)('rejects %s with ERR_FIREWALL_INVALID_STATE', (_name, state) => {
    expect(() => renderNft(state)).toThrow(expect.objectContaining({ code: 'ERR_FIREWALL_INVALID_STATE' }));
    expect(() => renderIptables(state)).toThrow(expect.objectContaining({ code: 'ERR_FIREWALL_INVALID_STATE' }));
  });
  it('canonicalises subnets the way the kernel lists them', () => {
    const net = network('c', 1, { subnets: ['10.1.0.5/24', 'FD00:0:0:1::9/64'] });
    const text = nftScript(renderNft({ networks: [net], portMappings: [] }));
    expect(text).toContain('ip saddr 10.1.0.0/24');
    expect(text).toContain('ip6 saddr fd00:0:0:1::/64');
  });
});

describe('requiredSysctls', () => {
  it('asks for route_localnet on each bridge without the userland proxy only', () => {
    expect(requiredSysctls(sampleState)).toEqual([{ key: 'net.ipv4.conf.br-web.route_localnet', value: '1' }]);
    expect(requiredSysctls(proxyState)).toEqual([]);
  });
});
