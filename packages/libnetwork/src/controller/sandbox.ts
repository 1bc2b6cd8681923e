import { conflict, invalid } from '@tsnet/errors';
import type { EndpointRecord, SandboxRecord } from '../model/types.js';
import { sandboxFilePaths, type SandboxFiles } from '../resolver/files.js';
import { EMBEDDED_DNS_IP } from '../resolver/resolvconf.js';
import type { Core } from './core.js';
import type { ConnectOptions } from './endpoints.js';
import { refreshSandboxFiles, sandboxDir, sandboxEndpoints } from './sandboxes.js';

export interface EmbeddedResolverSockets {
  /** UDP socket bound to 127.0.0.11:udpPort inside the sandbox (adopt with dgram `bind({ fd })`). */
  udpFd: number;
  /** Listening TCP socket bound to 127.0.0.11:tcpPort inside the sandbox (adopt with net `listen({ fd })`). */
  tcpFd: number;
  udpPort: number;
  tcpPort: number;
  /** Where the embedded server should forward what it does not know. */
  upstreams: string[];
}

/** The controller operations a handle delegates to (an interface, so the two modules do not import each other). */
export interface SandboxOwner {
  connect(network: string, sandbox: string, opts?: ConnectOptions): Promise<EndpointRecord>;
  disconnect(network: string, sandbox: string): Promise<EndpointRecord>;
  deleteSandbox(ref: string, containerId?: string): Promise<boolean>;
  mutate<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * A handle on one sandbox (a network namespace with its endpoints and resolver files). It reads
 * the controller's current record on every call, so a handle never goes stale.
 */
export class Sandbox {
  readonly id: string;
  readonly #controller: SandboxOwner;
  readonly #core: Core;

  constructor(controller: SandboxOwner, core: Core, id: string) {
    this.#controller = controller;
    this.#core = core;
    this.id = id;
  }

  get record(): SandboxRecord {
    const r = this.#core.sandboxes.get(this.id);
    if (!r) throw invalid('ERR_SANDBOX_GONE', `sandbox ${this.id.slice(0, 12)} was removed`);
    return r;
  }

  get containerId(): string {
    return this.record.containerId;
  }

  /** `/run/netns/tsnet-<id12>` (host mode: the host namespace's path). */
  get nsPath(): string {
    return this.record.nsPath;
  }

  /** The files to bind-mount at /etc/hostname, /etc/hosts and /etc/resolv.conf. */
  get files(): SandboxFiles {
    return sandboxFilePaths(sandboxDir(this.#core, this.id));
  }

  endpoints(): EndpointRecord[] {
    return sandboxEndpoints(this.#core, this.record).map((x) => x.endpoint);
  }

  connect(network: string, opts?: ConnectOptions): Promise<EndpointRecord> {
    return this.#controller.connect(network, this.id, opts);
  }

  disconnect(network: string): Promise<EndpointRecord> {
    return this.#controller.disconnect(network, this.id);
  }

  /** The last container using it removes it (see Controller.deleteSandbox). */
  delete(containerId?: string): Promise<boolean> {
    return this.#controller.deleteSandbox(this.id, containerId);
  }

  /** The servers the embedded resolver forwards to: the sandbox's resolv.conf without 127.0.0.11. */
  upstreams(): string[] {
    return refreshSandboxFiles(this.#core, this.record).resolv.upstreams;
  }

  /**
   * Opens UDP and TCP sockets on 127.0.0.11 (free ports) inside the sandbox's namespace and DNATs
   * 127.0.0.11:53 to them there, so a server in the container may still use port 53 itself. The
   * engine hands the fds to the DNS server. Each call opens new sockets (fds live in this process).
   */
  enableEmbeddedResolver(): Promise<EmbeddedResolverSockets> {
    return this.#controller.mutate(async () => {
      const record = this.record;
      if (record.mode !== 'private') throw conflict('ERR_RESOLVER_HOST_MODE', 'a host-mode sandbox has no embedded resolver');
      const udp = this.#core.kernel.openSocketInNetns(record.nsPath, { type: 'udp', address: EMBEDDED_DNS_IP, port: 0 });
      const tcp = this.#core.kernel.openSocketInNetns(record.nsPath, { type: 'tcp', address: EMBEDDED_DNS_IP, port: 0 });
      await this.#core.firewall.applySandboxResolver(record.nsPath, { udpPort: udp.port, tcpPort: tcp.port });
      return { udpFd: udp.fd, tcpFd: tcp.fd, udpPort: udp.port, tcpPort: tcp.port, upstreams: this.upstreams() };
    });
  }
}
