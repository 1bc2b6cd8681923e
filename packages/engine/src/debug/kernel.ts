/**
 * Kernel reads for the debug views, in the daemon's namespace (the CLI runs where the daemon
 * runs) or in the one named by --netns. Links and addresses come from our netlink layer; the
 * netnsid → name map comes from `ip netns list` run in that namespace (ids are per namespace).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { Netlink, type Link } from '@tsnet/libnetwork';

export interface Where {
  /** undefined = this process's own namespace. */
  nsPath?: string;
  label: string;
}

export function whereOf(netns: string | undefined): Where {
  if (!netns) return { label: 'this namespace' };
  const nsPath = netns.startsWith('/') ? netns : `/run/netns/${netns}`;
  if (!existsSync(nsPath)) throw new Error(`network namespace "${netns}" not found (${nsPath})`);
  return { nsPath, label: netns };
}

/** Runs argv inside a namespace (nsenter --net, so /sys and cgroups stay as they are). */
export function inNs(nsPath: string | undefined, argv: string[], timeoutMs = 10_000): { status: number; stdout: string; stderr: string } {
  const full = nsPath ? ['nsenter', `--net=${nsPath}`, '--', ...argv] : argv;
  const r = spawnSync(full[0]!, full.slice(1), { encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? String(r.error) : '') };
}

/** netnsid (as seen from `nsPath`) → namespace name under /run/netns. */
export function netnsIds(nsPath: string | undefined): Map<number, string> {
  const out = new Map<number, string>();
  const r = inNs(nsPath, ['ip', 'netns', 'list']);
  for (const line of r.stdout.split('\n')) {
    const m = /^(\S+)\s+\(id:\s*(\d+)\)/.exec(line);
    if (m) out.set(Number(m[2]), m[1]!);
  }
  return out;
}

export function namedNamespaces(): string[] {
  try {
    return readdirSync('/run/netns').sort();
  } catch {
    return [];
  }
}

export interface PortInfo {
  link: Link;
  addresses: string[];
  peer?: { ns: string; nsPath: string; name: string; mac: string; addresses: string[]; up: boolean };
}

export interface BridgeInfo {
  link: Link;
  addresses: string[];
  ports: PortInfo[];
}

async function peerOf(link: Link, ids: Map<number, string>): Promise<PortInfo['peer']> {
  if (link.kind !== 'veth' || link.linkNetnsId === undefined || link.parentIndex === undefined) return undefined;
  const ns = ids.get(link.linkNetnsId);
  if (!ns) return undefined;
  const nsPath = `/run/netns/${ns}`;
  try {
    const nl = await Netlink.forNamespace(nsPath);
    const peer = await nl.linkByIndex(link.parentIndex);
    if (!peer) return undefined;
    const addresses = (await nl.addresses(peer.name)).filter((a) => !a.startsWith('fe80:'));
    return { ns, nsPath, name: peer.name, mac: peer.mac, addresses, up: peer.up };
  } catch {
    return undefined; // the namespace went away while we looked
  }
}

/** Every bridge in the namespace with its ports and, for veths, the far end. */
export async function readBridges(where: Where): Promise<{ bridges: BridgeInfo[]; links: Link[]; ids: Map<number, string> }> {
  const nl = await Netlink.forNamespace(where.nsPath);
  const links = await nl.links();
  const ids = netnsIds(where.nsPath);
  const bridges: BridgeInfo[] = [];
  for (const br of links.filter((l) => l.kind === 'bridge')) {
    const ports: PortInfo[] = [];
    for (const port of links.filter((l) => l.masterIndex === br.index)) {
      const info: PortInfo = { link: port, addresses: await nl.addresses(port.name).catch(() => []) };
      const peer = await peerOf(port, ids);
      if (peer) info.peer = peer;
      ports.push(info);
    }
    bridges.push({ link: br, addresses: (await nl.addresses(br.name)).filter((a) => !a.startsWith('fe80:')), ports });
  }
  return { bridges, links, ids };
}

export async function vethPeer(link: Link, ids: Map<number, string>): Promise<PortInfo['peer']> {
  return peerOf(link, ids);
}

export function closeKernel(): void {
  Netlink.closeAll();
}
