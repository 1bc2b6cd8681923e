import { invalid } from '@tsnet/errors';
import type { Proto, RuleOwner } from './types.js';
import type { NormalizedMapping, NormalizedNetwork, NormalizedState } from './validate.js';

/**
 * Docker's iptables layout (libnetwork drivers/bridge setup_ip_tables.go, Docker 20.10) as
 * backend-neutral data. Both renderers (iptables, nftables) and the Docker-named debug view
 * start from these rules, so the three can only differ in syntax.
 */

export type ChainName =
  | 'FORWARD' | 'PREROUTING' | 'OUTPUT' | 'POSTROUTING'
  | 'TSNET' | 'TSNET-USER' | 'TSNET-ISOLATION-STAGE-1' | 'TSNET-ISOLATION-STAGE-2';

export interface Neg {
  value: string;
  neg?: boolean;
}

export type Verdict =
  | { k: 'accept' | 'drop' | 'return' | 'masquerade' }
  | { k: 'jump'; chain: ChainName }
  | { k: 'dnat'; addr: string; port: number };

export interface Rule {
  family: 4 | 6;
  table: 'filter' | 'nat';
  chain: ChainName;
  /** head: inserted before every tail rule of the chain (RETURNs that must win, fixed jumps). */
  pos: 'head' | 'tail';
  src?: Neg;
  dst?: Neg;
  iif?: Neg;
  oif?: Neg;
  proto?: Proto;
  dport?: number;
  /** `-m addrtype --src-type LOCAL` (only in Docker's own form of the loopback masquerade). */
  srcLocal?: boolean;
  /** `-m addrtype --dst-type LOCAL` / `fib daddr type local` */
  dstLocal?: boolean;
  /** `-m conntrack --ctstate RELATED,ESTABLISHED` */
  established?: boolean;
  /** `-m conntrack --ctstate DNAT` / `ct status dnat`: the connection was DNATed (a published port). */
  ctDnat?: boolean;
  verdict: Verdict;
  owner: RuleOwner;
  /** Only one backend needs it: nft's set lookups need guard RETURNs, iptables' chains end in RETURN. */
  only?: 'iptables' | 'nftables';
}

export interface LayoutOptions {
  /** Docker's exact forms (the debug view): addrtype LOCAL for the loopback masquerade. */
  docker?: boolean;
}

const global: RuleOwner = { kind: 'global' };
const LOOPBACK = { 4: '127.0.0.0/8', 6: '::1/128' } as const;

export function hostCidr(ip: string, family: 4 | 6): string {
  return `${ip}/${family === 4 ? 32 : 128}`;
}

function netOwner(n: NormalizedNetwork): RuleOwner {
  return { kind: 'network', network: n.name };
}

export function portOwner(m: NormalizedMapping): Extract<RuleOwner, { kind: 'port' }> {
  const host = m.hostIp === '' ? '' : m.family === 6 ? `[${m.hostIp}]:` : `${m.hostIp}:`;
  return {
    kind: 'port',
    network: m.network,
    container: m.containerId.slice(0, 12),
    endpoint: m.endpointId.slice(0, 12),
    port: `${host}${m.hostPort}/${m.proto}`,
  };
}

/**
 * Published ports across bridges. A container of one bridge network reaching a port another
 * network's container publishes, through a host address, is DNATed in PREROUTING and would then
 * meet the isolation chains as bridge→bridge traffic and be dropped. Docker (userland proxy on, its
 * default) serves it through docker-proxy; without a proxy tsnet lets such connections through
 * instead, ahead of isolation and after the user's rules:
 *  - a DNATed connection jumps to filter TSNET, which accepts only a published container
 *    address/port (`-d ip ! -i br -o br --dport cp`, or the nft set) — anything else returns to isolation;
 *  - packets of a DNATed connection that is already established (its first packet was accepted
 *    by that rule, or it could not exist) are accepted, so the replies cross back.
 * Direct container-to-container traffic between bridges is never DNATed and stays isolated.
 * Not in Docker 20.10's layout, so not in the Docker-named debug view.
 */
function publishedAcrossBridges(family: 4 | 6): Rule[] {
  const f = { family, owner: global, table: 'filter', chain: 'FORWARD', pos: 'head' } as const;
  return [
    { ...f, established: true, ctDnat: true, verdict: { k: 'accept' } },
    { ...f, ctDnat: true, verdict: { k: 'jump', chain: 'TSNET' } },
  ];
}

/** The fixed skeleton of one family: jumps from the built-in chains into ours. */
function baseRules(family: 4 | 6, proxy: boolean, docker: boolean): Rule[] {
  const f = { family, owner: global } as const;
  const output: Rule = { ...f, table: 'nat', chain: 'OUTPUT', pos: 'tail', dstLocal: true, verdict: { k: 'jump', chain: 'TSNET' } };
  // With the userland proxy, loopback traffic is the proxy's; without it the kernel DNATs it too.
  if (proxy) output.dst = { value: LOOPBACK[family], neg: true };
  return [
    { ...f, table: 'filter', chain: 'FORWARD', pos: 'head', verdict: { k: 'jump', chain: 'TSNET-USER' } },
    ...(docker ? [] : publishedAcrossBridges(family)),
    { ...f, table: 'filter', chain: 'FORWARD', pos: 'head', verdict: { k: 'jump', chain: 'TSNET-ISOLATION-STAGE-1' } },
    { ...f, table: 'filter', chain: 'TSNET-USER', pos: 'tail', verdict: { k: 'return' }, only: 'iptables' },
    { ...f, table: 'filter', chain: 'TSNET-ISOLATION-STAGE-1', pos: 'tail', verdict: { k: 'return' }, only: 'iptables' },
    { ...f, table: 'filter', chain: 'TSNET-ISOLATION-STAGE-2', pos: 'tail', verdict: { k: 'return' }, only: 'iptables' },
    { ...f, table: 'nat', chain: 'PREROUTING', pos: 'tail', dstLocal: true, verdict: { k: 'jump', chain: 'TSNET' } },
    output,
  ];
}

function filterRules(n: NormalizedNetwork, family: 4 | 6, subnets: string[], docker: boolean): Rule[] {
  const f = { family, owner: netOwner(n), table: 'filter' } as const;
  const b = n.bridge;
  const rules: Rule[] = [
    { ...f, chain: 'FORWARD', pos: 'tail', oif: { value: b }, established: true, verdict: { k: 'accept' } },
    { ...f, chain: 'FORWARD', pos: 'tail', oif: { value: b }, verdict: { k: 'jump', chain: 'TSNET' } },
  ];
  // Anything else new entering the bridge from elsewhere is dropped: a machine that routes to the
  // container subnet must not reach ports that were never published (F39). Docker 20.10 gets this
  // from FORWARD policy DROP, Docker >= 28 from `! -i br -o br -j DROP` closing its DOCKER chain;
  // ours is a base chain shared with other software, so the drop sits right after the jump into
  // TSNET (same effect: TSNET's published accepts come first, replies were accepted above).
  if (!docker) rules.push({ ...f, chain: 'FORWARD', pos: 'tail', iif: { value: b, neg: true }, oif: { value: b }, verdict: { k: 'drop' } });
  if (!n.internal) rules.push({ ...f, chain: 'FORWARD', pos: 'tail', iif: { value: b }, oif: { value: b, neg: true }, verdict: { k: 'accept' } });
  rules.push({ ...f, chain: 'FORWARD', pos: 'tail', iif: { value: b }, oif: { value: b }, verdict: { k: n.icc ? 'accept' : 'drop' } });
  if (n.internal) {
    // DNATed connections reach filter TSNET before isolation (publishedAcrossBridges): an internal
    // network's traffic must not get out, nor in, that way.
    if (!docker) {
      rules.push({ ...f, chain: 'TSNET', pos: 'head', iif: { value: b }, verdict: { k: 'return' } });
      rules.push({ ...f, chain: 'TSNET', pos: 'head', oif: { value: b }, verdict: { k: 'return' } });
    }
    for (const s of subnets) {
      rules.push({ ...f, chain: 'TSNET-ISOLATION-STAGE-1', pos: 'head', iif: { value: b }, dst: { value: s, neg: true }, verdict: { k: 'drop' } });
      rules.push({ ...f, chain: 'TSNET-ISOLATION-STAGE-1', pos: 'head', oif: { value: b }, src: { value: s, neg: true }, verdict: { k: 'drop' } });
    }
  } else {
    rules.push({ ...f, chain: 'TSNET-ISOLATION-STAGE-1', pos: 'head', iif: { value: b }, oif: { value: b, neg: true }, verdict: { k: 'jump', chain: 'TSNET-ISOLATION-STAGE-2' } });
    rules.push({ ...f, chain: 'TSNET-ISOLATION-STAGE-2', pos: 'head', oif: { value: b }, verdict: { k: 'drop' } });
  }
  // nft's published-port set cannot say "! -i bridge": return first for bridge→same-bridge traffic.
  rules.push({ ...f, chain: 'TSNET', pos: 'head', iif: { value: b }, oif: { value: b }, verdict: { k: 'return' }, only: 'nftables' });
  return rules;
}

function natRules(n: NormalizedNetwork, family: 4 | 6, subnets: string[], proxy: boolean, docker: boolean): Rule[] {
  if (n.internal) return [];
  const f = { family, owner: netOwner(n), table: 'nat' } as const;
  const b = n.bridge;
  const rules: Rule[] = [];
  if (n.masquerade) {
    for (const s of subnets) rules.push({ ...f, chain: 'POSTROUTING', pos: 'tail', src: { value: s }, oif: { value: b, neg: true }, verdict: { k: 'masquerade' } });
  }
  if (!proxy && family === 4) {
    // 127.0.0.1 DNATed to a container (route_localnet) must not keep its loopback source.
    const from: Partial<Rule> = docker ? { srcLocal: true } : { src: { value: LOOPBACK[4] } };
    rules.push({ ...f, ...from, chain: 'POSTROUTING', pos: 'tail', oif: { value: b }, verdict: { k: 'masquerade' } });
  }
  if (proxy) rules.push({ ...f, chain: 'TSNET', pos: 'head', iif: { value: b }, verdict: { k: 'return' } });
  return rules;
}

/** The three rules behind one published port, Docker's way (the nft renderer uses set elements instead). */
export function portRules(m: NormalizedMapping, proxy: boolean): Rule[] {
  const f = { family: m.family, owner: portOwner(m), proto: m.proto } as const;
  const cip = hostCidr(m.containerIp, m.family);
  const dnat: Rule = { ...f, table: 'nat', chain: 'TSNET', pos: 'tail', dport: m.hostPort, verdict: { k: 'dnat', addr: m.containerIp, port: m.containerPort } };
  if (m.hostIp !== '') dnat.dst = { value: hostCidr(m.hostIp, m.family) };
  if (proxy) dnat.iif = { value: m.bridge, neg: true };
  return [
    dnat,
    { ...f, table: 'filter', chain: 'TSNET', pos: 'tail', dst: { value: cip }, iif: { value: m.bridge, neg: true }, oif: { value: m.bridge }, dport: m.containerPort, verdict: { k: 'accept' } },
    { ...f, table: 'nat', chain: 'POSTROUTING', pos: 'tail', src: { value: cip }, dst: { value: cip }, dport: m.containerPort, verdict: { k: 'masquerade' } },
  ];
}

/** Families that need tables at all: a family with no subnet and no mapping leaves the kernel untouched. */
export function familiesOf(state: NormalizedState): Array<4 | 6> {
  const out: Array<4 | 6> = [];
  if (state.networks.some((n) => n.v4.length > 0) || state.portMappings.some((m) => m.family === 4)) out.push(4);
  if (state.networks.some((n) => n.v6.length > 0) || state.portMappings.some((m) => m.family === 6)) out.push(6);
  return out;
}

/** Every network-level rule (no port rules) of the state, in chain order. */
export function networkLayout(state: NormalizedState, options: LayoutOptions = {}): Rule[] {
  const rules: Rule[] = [];
  for (const family of familiesOf(state)) {
    const docker = options.docker ?? false;
    rules.push(...baseRules(family, state.userlandProxy, docker));
    for (const n of state.networks) {
      const subnets = family === 4 ? n.v4 : n.v6;
      if (subnets.length === 0) continue;
      rules.push(...filterRules(n, family, subnets, docker), ...natRules(n, family, subnets, state.userlandProxy, docker));
    }
  }
  return rules;
}

/** Ensures no host (address, port, proto) is mapped twice: the kernel could only honour one. */
export function checkMappings(mappings: NormalizedMapping[]): void {
  const seen = new Map<string, NormalizedMapping>();
  for (const m of mappings) {
    const key = `${m.family}/${m.hostIp}/${m.hostPort}/${m.proto}`;
    const other = seen.get(key);
    if (other && (other.containerIp !== m.containerIp || other.containerPort !== m.containerPort)) {
      throw invalid('ERR_FIREWALL_INVALID_STATE', `host port ${portOwner(m).port} is mapped twice`, { details: { key } });
    }
    seen.set(key, m);
  }
}
