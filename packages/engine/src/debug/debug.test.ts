import { describe, expect, it } from 'vitest';
import type { AnnotatedRule } from '@tsnet/libnetwork';
import { bridgesReport } from './bridges.js';
import { countersMoved, dockerRules } from './firewall.js';
import { topology, toDot, toMermaid } from './graph.js';
import { containerView, netView, wantedState, type Model } from './model.js';

const ID = (c: string): string => c.repeat(64);

const model: Model = {
  networks: [
    netView({ Id: ID('a'), Name: 'mynet', Driver: 'bridge', Internal: false, IPAM: { Config: [{ Subnet: '10.10.10.0/24', Gateway: '10.10.10.1' }] }, Options: {} }),
    netView({ Id: ID('b'), Name: 'bridge', Driver: 'bridge', Internal: false, IPAM: { Config: [{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }] },
      Options: { 'com.docker.network.bridge.name': 'tsnet0', 'com.docker.network.bridge.enable_icc': 'false', 'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0' } }),
    netView({ Id: ID('c'), Name: 'host', Driver: 'host', Internal: false, IPAM: { Config: [] }, Options: null }),
  ],
  containers: [
    containerView({
      Id: ID('1'), Name: '/web', State: { Running: true, Pid: 10 }, HostConfig: { NetworkMode: 'mynet' },
      NetworkSettings: {
        SandboxKey: '/run/netns/tsnet-111111111111',
        Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }], '53/udp': null },
        Networks: { mynet: { NetworkID: ID('a'), EndpointID: ID('e'), IPAddress: '10.10.10.2', IPPrefixLen: 24, Gateway: '10.10.10.1', MacAddress: '02:42:0a:0a:0a:02', Aliases: ['www'] } },
      },
    }),
    containerView({
      Id: ID('2'), Name: '/side', State: { Running: true, Pid: 11 }, HostConfig: { NetworkMode: 'container:web' },
      NetworkSettings: { SandboxKey: '/run/netns/tsnet-111111111111', Ports: null, Networks: null },
    }),
  ],
};

describe('model from the API', () => {
  it('names bridges as libnetwork does and reads icc/masquerade options', () => {
    expect(model.networks.map((n) => [n.name, n.bridge, n.icc, n.masquerade])).toEqual([
      ['mynet', `br-${'a'.repeat(12)}`, true, true],
      ['bridge', 'tsnet0', false, true],
      ['host', undefined, true, true],
    ]);
  });

  it('rebuilds the wanted firewall state: bridge networks and published ports on the first bridge endpoint', () => {
    const state = wantedState(model);
    expect(state.networks.map((n) => n.name)).toEqual(['mynet', 'bridge']);
    expect(state.networks[1]).toMatchObject({ icc: false, hostBindingIpv4: '0.0.0.0', gateway: '172.17.0.1' });
    expect(state.portMappings).toEqual([
      { networkId: ID('a'), endpointId: ID('e'), containerId: ID('1'), bridge: `br-${'a'.repeat(12)}`, proto: 'tcp', hostIp: '', hostPort: 8080, containerIp: '10.10.10.2', containerPort: 80 },
    ]);
  });

  it("renders Docker's rules for the same state", () => {
    const { v4 } = dockerRules(wantedState(model));
    expect(v4).toContain('-A DOCKER -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.10.10.2:80');
    expect(v4).toContain('-A POSTROUTING -s 10.10.10.0/24 ! -o br-aaaaaaaaaaaa -j MASQUERADE');
    expect(v4).not.toContain('TSNET');
  });
});

describe('views', () => {
  const kernel = bridgesReport({ label: 'test' }, [
    {
      link: { index: 3, name: `br-${'a'.repeat(12)}`, kind: 'bridge', up: true, lowerUp: true, operstate: 'up', mtu: 1500, mac: 'aa:aa:aa:aa:aa:aa' },
      addresses: ['10.10.10.1/24'],
      ports: [{
        link: { index: 5, name: 'veth123', kind: 'veth', up: true, lowerUp: true, operstate: 'up', mtu: 1500, mac: 'bb:bb:bb:bb:bb:bb', masterIndex: 3, parentIndex: 2, linkNetnsId: 0 },
        addresses: [],
        peer: { ns: 'tsnet-111111111111', nsPath: '/run/netns/tsnet-111111111111', name: 'eth0', mac: '02:42:0a:0a:0a:02', addresses: ['10.10.10.2/24'], up: true },
      }],
    },
  ], model);

  it('bridges: each port with its peer namespace and every container sharing it, owner first', () => {
    expect(kernel.bridges[0]).toMatchObject({ network: 'mynet', state: 'up' });
    expect(kernel.bridges[0]!.ports[0]).toMatchObject({ port: 'veth123', peerNs: 'tsnet-111111111111', peerIf: 'eth0', container: 'web,side', address: '10.10.10.2/24' });
  });

  it('graph: DOT and Mermaid with the veth, the address and the published port; host/none are not nodes', () => {
    const t = topology(model, kernel);
    expect(t.networks.map((n) => n.id)).toEqual(['net_mynet', 'net_bridge']);
    const dot = toDot(t);
    expect(dot).toMatch(/^digraph tsnet \{/);
    expect(dot).toContain('net_mynet -> ctr_web [label="eth 10.10.10.2/24\\nveth veth123"]');
    expect(dot).toContain('0.0.0.0:8080 → 80/tcp');
    expect(dot).toContain('--network container:web');
    const mermaid = toMermaid(t);
    expect(mermaid).toMatch(/^flowchart LR\n/);
    expect(mermaid).toContain('host ==>|"0.0.0.0:8080 → 80/tcp"| ctr_web');
  });

  it('countersMoved: only rules whose counter went up, with the delta', () => {
    const rule = (text: string, packets: number): AnnotatedRule => ({ family: 4, table: 'filter', chain: 'FORWARD', kind: 'rule', text, owner: { kind: 'global' }, packets, bytes: 0 });
    expect(countersMoved([rule('a', 1), rule('b', 5)], [rule('a', 1), rule('b', 7), rule('c', 2)]).map((r) => [r.text, r.delta])).toEqual([['b', 2], ['c', 2]]);
  });
});
