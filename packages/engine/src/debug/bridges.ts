import type { ContainerView, Model } from './model.js';
import { readBridges, type BridgeInfo, type Where } from './kernel.js';

export interface BridgePortRow {
  bridge: string;
  network: string;
  port: string;
  state: string;
  mac: string;
  peerNs: string;
  peerIf: string;
  container: string;
  address: string;
  peerMac: string;
}

export interface BridgesReport {
  where: string;
  bridges: Array<{ name: string; network: string; state: string; mac: string; addresses: string[]; ports: BridgePortRow[] }>;
}

/** Containers living in that namespace: its owner first, then any --network container:<owner>. */
function containersOfNs(model: Model | undefined, nsPath: string | undefined): ContainerView[] {
  if (!model || !nsPath) return [];
  const here = model.containers.filter((c) => c.sandboxKey === nsPath);
  return [...here.filter((c) => !c.networkMode.startsWith('container:')), ...here.filter((c) => c.networkMode.startsWith('container:'))];
}

function state(up: boolean, lowerUp: boolean, operstate: string): string {
  if (!up) return 'down';
  return lowerUp ? operstate.toLowerCase() === 'unknown' ? 'up' : operstate.toLowerCase() : 'no-carrier';
}

export function bridgesReport(where: Where, bridges: BridgeInfo[], model: Model | undefined): BridgesReport {
  return {
    where: where.label,
    bridges: bridges.map((b) => {
      const network = model?.networks.find((n) => n.bridge === b.link.name)?.name ?? '';
      return {
        name: b.link.name,
        network,
        state: state(b.link.up, b.link.lowerUp, b.link.operstate),
        mac: b.link.mac,
        addresses: b.addresses,
        ports: b.ports.map((p) => {
          const owners = containersOfNs(model, p.peer?.nsPath);
          return {
            bridge: b.link.name,
            network,
            port: p.link.name,
            state: state(p.link.up, p.link.lowerUp, p.link.operstate),
            mac: p.link.mac,
            peerNs: p.peer?.ns ?? (p.link.linkNetnsId !== undefined ? `netnsid ${p.link.linkNetnsId}` : ''),
            peerIf: p.peer?.name ?? '',
            container: owners.map((c) => c.name).join(','),
            address: (p.peer?.addresses ?? p.addresses).join(','),
            peerMac: p.peer?.mac ?? '',
          };
        }),
      };
    }),
  };
}

export async function bridges(where: Where, model: Model | undefined): Promise<BridgesReport> {
  const { bridges: found } = await readBridges(where);
  return bridgesReport(where, found, model);
}
