/**
 * The controller's event stream: one event per committed change, carrying what a consumer needs
 * without calling back (the engine's DNS glue keeps per-network records from these alone; the
 * `/events` API and `tsnet debug events` print them).
 */
export interface NetworkEventData {
  id: string;
  name: string;
  driver: string;
  scope: string;
  internal: boolean;
  /** The network gets the embedded DNS server (user-defined, not host/none/default bridge). */
  embeddedDns: boolean;
  subnets: string[];
  labels: Record<string, string>;
}

export interface SandboxEventData {
  id: string;
  containerId: string;
  containerName: string;
  hostname: string;
  /** Containers sharing this sandbox (`--network container:<id>`). */
  sharers: string[];
  nsPath: string;
  mode: 'private' | 'host';
}

export interface EndpointEventData {
  id: string;
  name: string;
  /** Interface inside the sandbox ('' for host/none). */
  ifName: string;
  macAddress: string;
  /** Plain addresses ('' when none). */
  ipv4: string;
  ipv6: string;
  aliases: string[];
}

export type ControllerEvent =
  | { type: 'network.create' | 'network.delete'; time: number; network: NetworkEventData }
  | {
      type: 'endpoint.create' | 'endpoint.join' | 'endpoint.leave' | 'endpoint.delete';
      time: number;
      network: NetworkEventData;
      endpoint: EndpointEventData;
      sandbox: SandboxEventData;
    }
  | { type: 'sandbox.create' | 'sandbox.delete'; time: number; sandbox: SandboxEventData };

export type ControllerEventType = ControllerEvent['type'];

/** One endpoint with its network and sandbox: the state a late subscriber starts from. */
export interface EndpointView {
  network: NetworkEventData;
  endpoint: EndpointEventData;
  sandbox: SandboxEventData;
}
