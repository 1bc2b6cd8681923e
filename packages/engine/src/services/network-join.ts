import type { Controller, ExposedPort, PortBindingRequest } from '@tsnet/libnetwork';
import type { ContainerRecord, RequestedEndpoint } from './container-types.js';
import { parseLink } from './container-create.js';

export interface JoinDeps {
  controller: Controller;
  find(ref: string): ContainerRecord;
}

/**
 * Connects a container's sandbox to one network with what it asked for; the primary network also
 * carries the published ports (Docker maps ports on the endpoint that holds the gateway).
 */
export async function connectEndpoint(
  deps: JoinDeps,
  record: ContainerRecord,
  network: string,
  req: RequestedEndpoint,
  primary: boolean,
  ports: { bindings?: PortBindingRequest[]; exposed?: ExposedPort[]; publishAll?: boolean } = {},
): Promise<void> {
  const links = req.links.map(parseLink).map((l) => ({ container: deps.find(l.container).name, alias: l.alias }));
  await deps.controller.connect(network, record.sandboxId, {
    aliases: req.aliases,
    ...(req.ipv4Address ? { ipv4Address: req.ipv4Address } : {}),
    ...(req.ipv6Address ? { ipv6Address: req.ipv6Address } : {}),
    ...(links.length ? { links } : {}),
    exposedPorts: ports.exposed ?? [],
    ...(primary && ports.bindings?.length ? { portBindings: ports.bindings } : {}),
    ...(primary && ports.publishAll ? { publishAll: true } : {}),
  });
  record.endpoints[network] = req;
}
