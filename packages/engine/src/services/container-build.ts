import { hostname as osHostname } from 'node:os';
import { invalid, isTsnetError, notFound, runAll } from '@tsnet/errors';
import { linkEnvironment, type Controller } from '@tsnet/libnetwork';
import { parseVolumesFrom, planMounts, type ApiMount, type MountPlan, type PreparedMounts, type VolumeService } from '@tsnet/volumes';
import { containerProcess, type ImageRecord, type ImageStore } from '../images/index.js';
import type { OciMount, Runtime } from '../runtime/index.js';
import { argv, exposedPorts, list, mergeEnv, parseLink, parseNetworkMode, portRequests, type NetworkModeKind } from './container-create.js';
import type { ContainerRecord, CreateBody, RequestedEndpoint } from './container-types.js';
import type { DnsGlue } from './dns.js';
import { PENDING_NETNS, RESOLVER_FILES } from './container-network.js';

export interface BuildDeps {
  controller: Controller;
  runtime: Runtime;
  images: ImageStore;
  volumes: VolumeService;
  dns: DnsGlue;
  defaultShmSize: number;
  find(ref: string): ContainerRecord;
  log: (m: string) => void;
}

function resolveImage(images: ImageStore, ref: string | undefined): ImageRecord {
  if (!ref) throw invalid('ERR_CONTAINER_CONFIG', 'Config cannot be empty in order to create a container');
  try {
    return images.resolve(ref);
  } catch (error) {
    if (isTsnetError(error) && error.kind === 'not-found') throw notFound('ERR_IMAGE_NOT_FOUND', `No such image: ${ref.includes(':') || ref.startsWith('sha256') ? ref : `${ref}:latest`}`, { cause: error });
    throw error;
  }
}

/** Which network the container joins first, and the settings it asked for there. */
function primaryNetwork(mode: NetworkModeKind, controller: Controller): string | undefined {
  switch (mode.kind) {
    case 'default':
      return 'bridge';
    case 'host':
      return 'host';
    case 'none':
      return 'none';
    case 'network':
      return controller.network(mode.name).name;
    case 'container':
      return undefined;
  }
}

function requested(cfg: { Aliases?: string[] | null | undefined; Links?: string[] | null | undefined; IPAMConfig?: { IPv4Address?: string | undefined; IPv6Address?: string | undefined } | null | undefined } | null | undefined, links: string[] = []): RequestedEndpoint {
  return {
    aliases: list(cfg?.Aliases),
    links: [...links, ...list(cfg?.Links)],
    ...(cfg?.IPAMConfig?.IPv4Address ? { ipv4Address: cfg.IPAMConfig.IPv4Address } : {}),
    ...(cfg?.IPAMConfig?.IPv6Address ? { ipv6Address: cfg.IPAMConfig.IPv6Address } : {}),
  };
}

/**
 * `docker create`: validate everything that can be validated without side effects, record the
 * networks asked for, prepare the mounts and write the runc bundle. The network itself is made at
 * start (container-network.ts). Whatever was made is undone when a later step fails.
 */
export async function buildContainer(deps: BuildDeps, id: string, name: string, body: CreateBody): Promise<{ record: ContainerRecord; prepared: PreparedMounts }> {
  const hc = body.HostConfig ?? {};
  const image = resolveImage(deps.images, body.Image);
  const imageCfg = image.config.config ?? {};
  const mode = parseNetworkMode(hc.NetworkMode);
  const shared = mode.kind === 'container' ? deps.find(mode.ref) : undefined;
  const primary = primaryNetwork(mode, deps.controller);
  const links = list(hc.Links);
  if (links.length && mode.kind !== 'default' && mode.kind !== 'network') throw invalid('ERR_LINK_MODE', `conflicting options: links and the network mode ${hc.NetworkMode}`);
  const linkTargets = links.map(parseLink).map((l) => ({ ...l, target: deps.find(l.container) }));
  for (const l of linkTargets) {
    if (deps.runtime.state(l.target.id).status !== 'running') throw invalid('ERR_LINK_NOT_RUNNING', `Cannot link to a non running container: /${l.target.name} AS /${name}/${l.alias}`);
  }
  const exposed = exposedPorts(imageCfg.ExposedPorts, body.ExposedPorts);
  // Published ports are validated now (a bad spec is a create error), reserved at start.
  if (mode.kind === 'default' || mode.kind === 'network') portRequests(hc.PortBindings);
  // Docker: host mode takes the host's name, container:<x> mode the other container's.
  const hostname = mode.kind === 'host' ? osHostname() : shared ? String(shared.config.Hostname ?? shared.id.slice(0, 12)) : body.Hostname || id.slice(0, 12);
  const linkEnv = linkTargets.flatMap((l) => linkEnvFor(deps, name, l.alias, l.target));
  const process = await containerProcess(imageCfg, {
    cmd: argv(body.Cmd),
    entrypoint: argv(body.Entrypoint),
    env: list(body.Env),
    ...(body.WorkingDir ? { workingDir: body.WorkingDir } : {}),
    ...(body.User ? { user: body.User } : {}),
    hostname,
    linkEnv,
  }, image.rootfsPath);
  const plan = planMounts({
    containerId: id,
    binds: list(hc.Binds),
    mounts: (hc.Mounts ?? []) as ApiMount[],
    tmpfs: hc.Tmpfs ?? {},
    volumesFrom: list(hc.VolumesFrom).map((spec) => ({ spec, mounts: deps.find(parseVolumesFrom(spec).id).mountPlan.mounts })),
    imageVolumes: [...Object.keys(imageCfg.Volumes ?? {}), ...Object.keys(body.Volumes ?? {})],
    ...(hc.VolumeDriver ? { volumeDriver: hc.VolumeDriver } : {}),
    shmSize: hc.ShmSize || deps.defaultShmSize,
  });
  const endpointsConfig = body.NetworkingConfig?.EndpointsConfig ?? {};
  const record: ContainerRecord = {
    id,
    name,
    created: new Date().toISOString(),
    image: body.Image!,
    imageId: image.id,
    path: process.args[0]!,
    args: process.args.slice(1),
    config: dockerConfig(body, imageCfg, mergeEnv(imageCfg.Env, body.Env), hostname, exposed.map((p) => `${p.port}/${p.proto}`)),
    hostConfig: { ...hc, NetworkMode: mode.kind === 'default' ? 'bridge' : hc.NetworkMode },
    networkMode: shared ? `container:${shared.id}` : mode.kind === 'default' ? 'bridge' : hc.NetworkMode!,
    sandboxId: '',
    endpoints: {},
    mountPlan: plan.toJSON(),
    autoRemove: hc.AutoRemove ?? false,
    labels: { ...(imageCfg.Labels ?? {}), ...(body.Labels ?? {}) },
  };
  // Only what was asked is recorded here: the sandbox, endpoints, ports and DNS are made at start
  // (container-network.ts) and released at stop, as dockerd does.
  if (primary !== undefined) {
    const cfg = endpointsConfig[primary] ?? (mode.kind === 'network' ? endpointsConfig[mode.name] : undefined) ?? (mode.kind === 'default' ? endpointsConfig.default : undefined);
    record.endpoints[primary] = requested(cfg, links);
    for (const [net, extra] of Object.entries(endpointsConfig)) {
      if (net === primary || (mode.kind === 'network' && net === mode.name) || net === 'default') continue;
      const n = deps.controller.network(net).name;
      record.endpoints[n] ??= requested(extra);
    }
  }
  const undo: Array<() => unknown> = [];
  const trace = phaseTrace(deps.log, id);
  try {
    trace('validated');
    // prepare() registers volume references before it mounts: a failure half-way must drop them too.
    undo.unshift(() => plan.unregister(deps.volumes, { removeAnonymous: true }));
    const prepared = await plan.prepare(deps.volumes, { imageRootfs: image.rootfsPath });
    undo.unshift(() => prepared.release());
    record.mountPlan = plan.toJSON(); // register filled in volume sources and drivers
    trace('mounts');
    // Sources and namespace path are the sandbox's, rewritten at every start (container-network.ts).
    const resolverMounts: OciMount[] = RESOLVER_FILES.map((destination) => ({ destination, type: 'bind', source: '/dev/null', options: ['rbind', 'rprivate'] }));
    await deps.runtime.create({
      id,
      rootfs: image.rootfsPath,
      process,
      hostname,
      ...(body.Domainname ? { domainname: body.Domainname } : {}),
      network: mode.kind === 'host' ? 'host' : { path: PENDING_NETNS },
      mounts: [...resolverMounts, ...prepared.toOciMounts()],
      shmSize: plan.shmSize,
      ...(hc.ReadonlyRootfs ? { readonlyRootfs: true } : {}),
      ...(hc.CapAdd ? { capAdd: list(hc.CapAdd) } : {}),
      ...(hc.CapDrop ? { capDrop: list(hc.CapDrop) } : {}),
      ...(hc.Sysctls ? { sysctls: hc.Sysctls } : {}),
      ...(body.StopSignal ?? imageCfg.StopSignal ? { stopSignal: (body.StopSignal ?? imageCfg.StopSignal)! } : {}),
      annotations: { name },
    });
    trace('bundle');
    return { record, prepared };
  } catch (error) {
    await runAll(`undo create of ${id.slice(0, 12)}`, undo).catch((e: unknown) => deps.log(String(e)));
    throw error;
  }
}

/** With TSNET_API_TRACE set, logs the time of each create phase. */
function phaseTrace(log: (m: string) => void, id: string): (phase: string) => void {
  if (!process.env.TSNET_API_TRACE) return () => undefined;
  let last = performance.now();
  return (phase) => {
    const now = performance.now();
    log(`create ${id.slice(0, 12)}: ${phase} ${(now - last).toFixed(1)}ms`);
    last = now;
  };
}

function linkEnvFor(deps: BuildDeps, parentName: string, alias: string, target: ContainerRecord): string[] {
  const ep = deps.controller.endpoints().find((e) => e.sandboxId === target.sandboxId && deps.controller.networks().find((n) => n.id === e.networkId)?.name === 'bridge');
  if (!ep?.ipv4) return [];
  const cfg = target.config as { Env?: string[]; ExposedPorts?: Record<string, unknown> };
  return linkEnvironment({
    parentName,
    alias,
    childIp: ep.ipv4.split('/')[0]!,
    exposedPorts: exposedPorts(cfg.ExposedPorts),
    childEnv: cfg.Env ?? [],
  });
}

function dockerConfig(body: CreateBody, imageCfg: Record<string, unknown>, env: string[], hostname: string, exposed: string[]): Record<string, unknown> {
  const entrypoint = argv(body.Entrypoint) ?? (imageCfg.Entrypoint as string[] | null | undefined) ?? null;
  return {
    Hostname: hostname,
    Domainname: body.Domainname ?? '',
    User: body.User ?? (imageCfg.User as string | undefined) ?? '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ...(exposed.length ? { ExposedPorts: Object.fromEntries(exposed.map((p) => [p, {}])) } : {}),
    // No terminal is allocated (non-interactive engine), but a Tty container's streams are raw, as the CLI expects.
    Tty: body.Tty ?? false,
    OpenStdin: false,
    StdinOnce: false,
    Env: env,
    Cmd: argv(body.Cmd) ?? (imageCfg.Cmd as string[] | null | undefined) ?? null,
    Image: body.Image,
    Volumes: body.Volumes ?? (imageCfg.Volumes as Record<string, unknown> | undefined) ?? null,
    WorkingDir: body.WorkingDir ?? (imageCfg.WorkingDir as string | undefined) ?? '',
    Entrypoint: entrypoint,
    OnBuild: null,
    ...(typeof body.StopTimeout === 'number' ? { StopTimeout: body.StopTimeout } : {}),
    Labels: { ...((imageCfg.Labels as Record<string, string> | null | undefined) ?? {}), ...(body.Labels ?? {}) },
  };
}

export type { MountPlan };
