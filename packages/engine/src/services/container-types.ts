import { z } from 'zod';
import type { PlanData } from '@tsnet/volumes';

/**
 * `POST /containers/create` body (Engine API v1.41), type-checked field by field. Unknown fields are
 * kept and ignored as dockerd does (its decoder is not strict), but a known field of the wrong type
 * is a 400 before anything is touched.
 */
const strList = z.array(z.string()).nullish();
const strMap = z.record(z.string(), z.string()).nullish();
const emptyObjMap = z.record(z.string(), z.unknown()).nullish();
const cmd = z.union([z.array(z.string()), z.string()]).nullish();

const endpointSettings = z
  .object({
    IPAMConfig: z.object({ IPv4Address: z.string().optional(), IPv6Address: z.string().optional(), LinkLocalIPs: strList }).loose().nullish(),
    Aliases: strList,
    Links: strList,
    MacAddress: z.string().optional(),
    DriverOpts: strMap,
  })
  .loose();

const portBinding = z.object({ HostIp: z.string().optional(), HostPort: z.string().optional() }).loose();

const mountSchema = z
  .object({
    Type: z.string().optional(),
    Source: z.string().optional(),
    Target: z.string().optional(),
    ReadOnly: z.boolean().optional(),
    Consistency: z.string().optional(),
    BindOptions: z.record(z.string(), z.unknown()).nullish(),
    VolumeOptions: z.record(z.string(), z.unknown()).nullish(),
    TmpfsOptions: z.record(z.string(), z.unknown()).nullish(),
  })
  .loose();

export const hostConfigSchema = z
  .object({
    NetworkMode: z.string().optional(),
    PortBindings: z.record(z.string(), z.array(portBinding).nullable()).nullish(),
    PublishAllPorts: z.boolean().optional(),
    Binds: strList,
    Mounts: z.array(mountSchema).nullish(),
    Tmpfs: strMap,
    VolumesFrom: strList,
    VolumeDriver: z.string().optional(),
    Dns: strList,
    DnsSearch: strList,
    DnsOptions: strList,
    ExtraHosts: strList,
    Links: strList,
    ShmSize: z.number().int().nonnegative().optional(),
    AutoRemove: z.boolean().optional(),
    RestartPolicy: z.object({ Name: z.string().optional(), MaximumRetryCount: z.number().optional() }).loose().nullish(),
    ReadonlyRootfs: z.boolean().optional(),
    CapAdd: strList,
    CapDrop: strList,
    Sysctls: strMap,
    Privileged: z.boolean().optional(),
  })
  .loose();

export const createBodySchema = z
  .object({
    Hostname: z.string().optional(),
    Domainname: z.string().optional(),
    User: z.string().optional(),
    Env: strList,
    Cmd: cmd,
    Entrypoint: cmd,
    Image: z.string().optional(),
    WorkingDir: z.string().optional(),
    Labels: strMap,
    ExposedPorts: emptyObjMap,
    Volumes: emptyObjMap,
    StopSignal: z.string().optional(),
    StopTimeout: z.number().int().nullish(),
    Tty: z.boolean().optional(),
    OpenStdin: z.boolean().optional(),
    HostConfig: hostConfigSchema.nullish(),
    NetworkingConfig: z.object({ EndpointsConfig: z.record(z.string(), endpointSettings.nullable()).nullish() }).loose().nullish(),
  })
  .loose();

export type CreateBody = z.infer<typeof createBodySchema>;
export type HostConfigBody = z.infer<typeof hostConfigSchema>;

/** The network settings a container asked for, per network name (kept for restart and inspect). */
export interface RequestedEndpoint {
  aliases: string[];
  ipv4Address?: string;
  ipv6Address?: string;
  links: string[];
}

/** What the engine persists per container at `/engine/containers/<id>`. */
export interface ContainerRecord {
  id: string;
  /** Without the leading '/'. */
  name: string;
  created: string;
  image: string;
  imageId: string;
  path: string;
  args: string[];
  /** Docker's `Config` as inspect shows it (image defaults merged). */
  config: Record<string, unknown>;
  /** `HostConfig` as given, normalised. */
  hostConfig: Record<string, unknown>;
  /** `default`/`bridge`, `host`, `none`, `container:<id>` or a network name, as given. */
  networkMode: string;
  /** The sandbox this container uses while it runs ('' when not running; container:<x> mode: the other's). */
  sandboxId: string;
  /** Networks asked for at create (and by later connects), by network name. */
  endpoints: Record<string, RequestedEndpoint>;
  mountPlan: PlanData;
  autoRemove: boolean;
  labels: Record<string, string>;
  /** Why the last start failed before the process ran (a taken port...): Docker's State.Error. */
  startError?: string;
  /** Stopped or killed through the API: restart policies leave it stopped (Docker's HasBeenManuallyStopped). */
  manuallyStopped?: boolean;
  /** Restarts done by the restart policy since the last start through the API. */
  restartCount?: number;
}
