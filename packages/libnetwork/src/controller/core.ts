import { Subject } from 'rxjs';
import type { Store } from '@tsnet/store';
import type { Driver, DriverContext } from '../drivers/types.js';
import type { Firewall } from '../firewall/types.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../model/types.js';
import type { Kernel } from '../system/types.js';
import type { ControllerConfig } from './config.js';
import type { ControllerEvent, EndpointEventData, NetworkEventData, SandboxEventData } from './events.js';
import type { IpamLike } from './ipam.js';
import type { PortBook } from './ports.js';
import type { LinkReaper } from './reaper.js';

/**
 * The controller's state shared by its operation modules (networks.ts, endpoints.ts,
 * sandboxes.ts, restore.ts). The maps mirror the store: they change only after a commit.
 */
export interface Core {
  readonly store: Store;
  readonly ipam: IpamLike;
  readonly firewall: Firewall;
  readonly kernel: Kernel;
  readonly config: ControllerConfig;
  readonly drivers: Map<string, Driver>;
  readonly hostNsPath: string | undefined;
  readonly dataDir: string;
  readonly networks: Map<string, NetworkRecord>;
  readonly endpoints: Map<string, EndpointRecord>;
  readonly sandboxes: Map<string, SandboxRecord>;
  readonly events: Subject<ControllerEvent>;
  readonly ports: PortBook;
  reaper: LinkReaper;
  ctx: DriverContext;
}

export function driverOf(core: Core, network: NetworkRecord): Driver {
  const driver = core.drivers.get(network.driver);
  if (!driver) throw new Error(`driver ${network.driver} of network ${network.name} is not loaded`);
  return driver;
}

/** User-defined networks get the embedded DNS server; the default bridge, host and none do not. */
export function hasEmbeddedDns(network: NetworkRecord): boolean {
  if (network.predefined) return false;
  return network.driver !== 'host' && network.driver !== 'null';
}

export function networkEvent(network: NetworkRecord): NetworkEventData {
  return {
    id: network.id,
    name: network.name,
    driver: network.driver,
    scope: network.scope,
    internal: network.internal,
    embeddedDns: hasEmbeddedDns(network),
    subnets: network.pools.map((p) => p.pool),
    labels: network.labels,
  };
}

export function sandboxEvent(sandbox: SandboxRecord): SandboxEventData {
  return {
    id: sandbox.id,
    containerId: sandbox.containerId,
    containerName: sandbox.containerName,
    hostname: sandbox.hostname,
    sharers: [...sandbox.sharers],
    nsPath: sandbox.nsPath,
    mode: sandbox.mode,
  };
}

export function endpointEvent(endpoint: EndpointRecord): EndpointEventData {
  return {
    id: endpoint.id,
    name: endpoint.name,
    ifName: endpoint.ifName,
    macAddress: endpoint.macAddress,
    ipv4: endpoint.ipv4.split('/')[0] ?? '',
    ipv6: endpoint.ipv6.split('/')[0] ?? '',
    aliases: [...endpoint.aliases],
  };
}

export const now = (): number => Date.now();
