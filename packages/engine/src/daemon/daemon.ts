import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runAll } from '@tsnet/errors';
import { Ipam } from '@tsnet/ipam';
import { bridge, Controller, createFirewall, host, none } from '@tsnet/libnetwork';
import { openFileStore, type Store } from '@tsnet/store';
import { VolumeService } from '@tsnet/volumes';
import { ApiServer } from '../api/server.js';
import type { ApiServices } from '../api/context.js';
import { controllerConfigOf, loadDaemonConfig, type DaemonConfig } from '../config/index.js';
import { ImageStore } from '../images/index.js';
import { Runtime } from '../runtime/index.js';
import { ContainerService } from '../services/containers.js';
import { DnsGlue } from '../services/dns.js';
import { EventBus } from '../services/events.js';
import { ExecService } from '../services/exec.js';

export interface DaemonOptions {
  /** Default /var/lib/tsnet (or daemon.json's data-root). */
  dataRoot?: string;
  /** `unix:///path`; default unix:///run/tsnet/tsnet.sock. */
  host?: string;
  /** daemon.json; default /etc/tsnet/daemon.json (missing = defaults). */
  configPath?: string;
  log?: (message: string) => void;
  /** Slow-client guard for request headers (tests shorten it). */
  headersTimeoutMs?: number;
}

/** A running tsnetd: every service, and the API on its socket. */
export interface Daemon {
  readonly config: DaemonConfig;
  readonly services: ApiServices;
  /** Graceful stop: the API closes; containers keep running with live-restore, else they stop. */
  stop(): Promise<void>;
}

/**
 * Builds the daemon bottom-up: store (its lock = one daemon per data root) → ipam → firewall →
 * controller (restores and reconciles the kernel) → volumes → runtime (adopts running containers)
 * → images → DNS glue → containers (records, volume refs, DNS listeners) → API. The daemon's own
 * network namespace is the "host" of everything it makes.
 */
export async function startDaemon(options: DaemonOptions = {}): Promise<Daemon> {
  const log = options.log ?? ((m: string) => process.stderr.write(`tsnetd: ${m}\n`));
  const config = await loadDaemonConfig(options);
  await mkdir(config.dataRoot, { recursive: true, mode: 0o711 });
  const store: Store = await openFileStore(join(config.dataRoot, 'store'));
  const cleanup: Array<() => unknown> = [() => store.close()];
  try {
    const pools = config.file['default-address-pools'];
    const ipam = await Ipam.open({ store, ...(pools ? { defaultPools: pools } : {}) });
    const firewall = createFirewall({ backend: config.file.iptables === false ? 'none' : config.firewallBackend });
    const controller = new Controller({
      store,
      ipam,
      drivers: [bridge(), host(), none()],
      firewall,
      dataDir: join(config.dataRoot, 'network'),
      config: controllerConfigOf(config.file),
      log,
    });
    await controller.start();
    cleanup.unshift(() => controller.stop());
    const volumes = await VolumeService.open({ store, root: config.dataRoot });
    const runtime = await Runtime.open({ dataRoot: config.dataRoot });
    cleanup.unshift(() => runtime.close());
    const events = new EventBus();
    // Every endpoint joined or left is a Docker `network connect/disconnect` event, whoever asked.
    const endpointEvents = controller.events.subscribe((e) => {
      if (e.type !== 'endpoint.join' && e.type !== 'endpoint.leave') return;
      events.emit('network', e.type === 'endpoint.join' ? 'connect' : 'disconnect', e.network.id, { name: e.network.name, type: e.network.driver, container: e.sandbox.containerId });
    });
    cleanup.unshift(() => endpointEvents.unsubscribe());
    const dns = new DnsGlue(controller, log);
    dns.start();
    cleanup.unshift(() => dns.close());
    let containers!: ContainerService;
    const images = await ImageStore.open({
      dataRoot: config.dataRoot,
      usage: (imageId) => {
        const users = containers.records().filter((r) => r.imageId === imageId);
        if (users.length === 0) return undefined;
        return users.some((r) => runtime.state(r.id).status === 'running') ? 'running' : 'stopped';
      },
    });
    containers = new ContainerService({ store, controller, runtime, images, volumes, dns, events, defaultShmSize: config.defaultShmSize, log });
    await containers.open();
    const execs = new ExecService(runtime, containers);
    const services: ApiServices = { config, controller, volumes, images, runtime, containers, execs, events, startedAt: new Date() };
    const api = new ApiServer(services, { log, ...(options.headersTimeoutMs ? { headersTimeoutMs: options.headersTimeoutMs } : {}) });
    await api.listen(config.host);
    log(`API listening on ${config.host} (data root ${config.dataRoot}, firewall ${firewall.backend})`);
    let stopping: Promise<void> | undefined;
    return {
      config,
      services,
      stop() {
        stopping ??= runAll('stop tsnetd', [
          () => api.close(),
          () => containers.shutdown(config.liveRestore),
          ...cleanup,
          () => events.close(),
        ]);
        return stopping;
      },
    };
  } catch (error) {
    await runAll('abort tsnetd start', cleanup).catch(() => undefined);
    throw error;
  }
}

/**
 * `tsnet daemon`: starts tsnetd and serves until SIGTERM/SIGINT, then stops gracefully.
 * Resolves once stopped.
 */
export async function runDaemon(options: DaemonOptions & { dataRoot?: string; host?: string; configPath?: string } = {}): Promise<void> {
  const daemon = await startDaemon(options);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.stderr.write(`tsnetd: ${signal}: stopping\n`);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      void daemon.stop().catch((e: unknown) => process.stderr.write(`tsnetd: stop: ${String(e)}\n`)).finally(resolve);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
