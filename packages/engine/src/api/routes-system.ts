import { cpus, hostname, release, totalmem, arch } from 'node:os';
import { eventMatches, type DockerEvent } from '../services/events.js';
import { systemDf } from './disk-usage.js';
import type { Route } from './context.js';
import { API_VERSION, MIN_API_VERSION, parseFilters, sendJson, type Ctx } from './http.js';

export const VERSION = '0.1.0';
const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

/** What `/_ping` answers, with the headers the docker CLI negotiates from. */
function ping(c: Ctx): void {
  const headers = {
    'Api-Version': API_VERSION,
    'Builder-Version': '1',
    'Docker-Experimental': 'false',
    'Ostype': 'linux',
    'Swarm': 'inactive',
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    'Pragma': 'no-cache',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': '2',
  };
  c.res!.writeHead(200, headers);
  c.res!.end(c.req.method === 'HEAD' ? undefined : 'OK');
}

function unixTime(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  const n = Number(value);
  if (Number.isFinite(n)) return n;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t / 1000;
}

const EVENT_FILTERS = ['type', 'event', 'container', 'network', 'volume', 'image', 'label', 'scope', 'daemon'];

export const systemRoutes: Route[] = [
  { method: 'GET', path: '/system/df', handler: async (c, s) => sendJson(c, 200, await systemDf(s)) },
  // No builder here: `docker system prune` calls this last and must succeed.
  {
    method: 'POST',
    path: '/build/prune',
    handler: async (c) => {
      parseFilters(c.query, ['until', 'id', 'parent', 'type', 'description', 'inuse', 'shared', 'private', 'unused-for', 'label', 'label!']);
      sendJson(c, 200, { CachesDeleted: [], SpaceReclaimed: 0 });
    },
  },
  { method: 'GET', path: '/_ping', handler: async (c) => ping(c) },
  { method: 'HEAD', path: '/_ping', handler: async (c) => ping(c) },
  {
    method: 'GET',
    path: '/version',
    handler: async (c) => {
      const common = { Version: VERSION, ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, GitCommit: 'tsnet', GoVersion: `node ${process.version}`, Os: 'linux', Arch: GO_ARCH[arch()] ?? arch(), KernelVersion: release(), BuildTime: '' };
      sendJson(c, 200, { Platform: { Name: 'tsnet' }, Components: [{ Name: 'Engine', Version: VERSION, Details: { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: 'linux', Arch: common.Arch, KernelVersion: release() } }], ...common });
    },
  },
  {
    method: 'GET',
    path: '/info',
    handler: async (c, s) => {
      const states = s.runtime.list();
      const running = states.filter((x) => x.status === 'running').length;
      sendJson(c, 200, {
        ID: 'tsnet',
        Containers: s.containers.records().length,
        ContainersRunning: running,
        ContainersPaused: 0,
        ContainersStopped: s.containers.records().length - running,
        Images: s.images.records().length,
        Driver: 'overlay2',
        DriverStatus: [],
        Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file'] },
        MemoryLimit: false, SwapLimit: false, CpuCfsPeriod: false, CpuCfsQuota: false, CPUShares: false, CPUSet: false, PidsLimit: false,
        IPv4Forwarding: true, BridgeNfIptables: true, BridgeNfIp6tables: true, Debug: false,
        NFd: 0, NGoroutines: 0, SystemTime: new Date().toISOString(), LoggingDriver: 'json-file', CgroupDriver: 'cgroupfs', CgroupVersion: '2',
        NEventsListener: 0, KernelVersion: release(), OperatingSystem: 'tsnet', OSVersion: '', OSType: 'linux', Architecture: arch(),
        IndexServerAddress: '', RegistryConfig: null, NCPU: cpus().length, MemTotal: totalmem(), GenericResources: null,
        DockerRootDir: s.config.dataRoot, HttpProxy: '', HttpsProxy: '', NoProxy: '', Name: hostname(), Labels: [], ExperimentalBuild: false,
        ServerVersion: VERSION, Runtimes: { runc: { path: 'runc' } }, DefaultRuntime: 'runc',
        Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
        LiveRestoreEnabled: s.config.liveRestore, Isolation: '', InitBinary: '', SecurityOptions: [], Warnings: null,
        DefaultAddressPools: (s.config.file['default-address-pools'] ?? []).map((p) => ({ Base: p.base, Size: p.size })),
      });
    },
  },
  {
    method: 'GET',
    path: '/events',
    handler: async (c, s) => {
      const filters = parseFilters(c.query, EVENT_FILTERS);
      const since = unixTime(c.query.get('since'));
      const until = unixTime(c.query.get('until'));
      const res = c.res!;
      res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': API_VERSION });
      res.flushHeaders();
      const send = (e: DockerEvent): void => {
        if (since !== undefined && e.timeNano / 1e9 < since) return;
        if (until !== undefined && e.timeNano / 1e9 > until) return;
        if (eventMatches(e, filters)) res.write(`${JSON.stringify(e)}\n`);
      };
      if (since !== undefined) for (const e of s.events.recent()) send(e);
      if (until !== undefined && until <= Date.now() / 1000) {
        res.end();
        return;
      }
      const sub = s.events.events.subscribe({ next: send, complete: () => res.end() });
      const timer = until !== undefined ? setTimeout(() => res.end(), (until - Date.now() / 1000) * 1000) : undefined;
      await new Promise<void>((resolve) => res.once('close', () => resolve()));
      sub.unsubscribe();
      if (timer) clearTimeout(timer);
    },
  },
];
