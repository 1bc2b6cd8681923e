import type { VolumeName } from '../names.js';

/** What a driver knows about one of its volumes (the plugin protocol's `Get`/`List` shape). */
export interface DriverVolume {
  name: string;
  mountpoint: string;
  status?: Record<string, unknown>;
}

/**
 * A volume driver: the built-in `local` one, or `remote` for a Docker volume plugin. The service
 * keeps the metadata (labels, options, creation time, references) in the store; drivers only
 * hold data. `opts` are the options the volume was created with, passed again on every call so a
 * driver keeps no state of its own that could drift from the store.
 */
export interface VolumeDriver {
  readonly name: string;
  readonly scope: 'local' | 'global';
  /** Refuses options this driver does not know, before anything is created. */
  validateOptions(opts: Record<string, string>): void;
  create(name: VolumeName, opts: Record<string, string>): Promise<void>;
  remove(name: VolumeName, opts: Record<string, string>): Promise<void>;
  /** Makes the data available for `containerId` and returns its host path (a checked directory). */
  mount(name: VolumeName, containerId: string, opts: Record<string, string>): Promise<string>;
  unmount(name: VolumeName, containerId: string, opts: Record<string, string>): Promise<void>;
  /** The mountpoint to show in inspect ('' when a plugin has not mounted it). */
  path(name: VolumeName): Promise<string>;
  /** Bytes used, for prune's SpaceReclaimed (local only; -1 when unknown). */
  usage(name: VolumeName): Promise<number>;
  /** Volumes the driver holds, for adopting a plugin's existing volumes (optional). */
  list?(): Promise<DriverVolume[]>;
}
