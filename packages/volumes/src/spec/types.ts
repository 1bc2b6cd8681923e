/**
 * Docker's mount shapes. `ApiMount` is the Engine API's `HostConfig.Mounts[]` object (and what
 * `--mount` parses into); `MountRecord` is one mount of a container after planning — what the
 * engine persists with the container, shows in inspect's `Mounts`, and hands to `--volumes-from`.
 */

export type MountType = 'bind' | 'volume' | 'tmpfs';

export type Propagation = 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';

export const PROPAGATIONS: readonly Propagation[] = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];

export const DEFAULT_PROPAGATION: Propagation = 'rprivate';

export interface ApiDriverConfig {
  Name?: string;
  Options?: Record<string, string>;
}

export interface ApiMount {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: {
    Propagation?: string;
    NonRecursive?: boolean;
    CreateMountpoint?: boolean;
    ReadOnlyNonRecursive?: boolean;
    ReadOnlyForceRecursive?: boolean;
  };
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string>;
    DriverConfig?: ApiDriverConfig;
    Subpath?: string;
  };
  TmpfsOptions?: {
    SizeBytes?: number;
    Mode?: number;
    Options?: string[][];
  };
  ImageOptions?: Record<string, unknown>;
  ClusterOptions?: Record<string, unknown>;
}

/** Where a mount came from; decides precedence and whether copy-up may happen. */
export type MountOrigin = 'image' | 'volumes-from' | 'bind-flag' | 'mount-flag' | 'tmpfs-flag';

export interface MountRecord {
  type: MountType;
  /** Clean absolute path inside the container. */
  destination: string;
  /** bind: the host path. volume: filled in when mounted (the volume's mountpoint). tmpfs: ''. */
  source: string;
  /** volume only: the volume's name (anonymous volumes get a 64-hex name at plan time). */
  name: string;
  /** volume only: the volume driver ('local' by default). */
  driver: string;
  anonymous: boolean;
  rw: boolean;
  /** The mode text of a `-v` spec ('ro,z'...), '' otherwise — Docker shows it in inspect. */
  mode: string;
  /** bind only; '' for volumes and tmpfs. */
  propagation: Propagation | '';
  /** Fill an empty volume with the image's content at `destination` first. */
  copyData: boolean;
  origin: MountOrigin;
  /** bind from `-v`: a missing host path is created (0755, root); from `--mount`: an error. */
  createSource: boolean;
  nonRecursive: boolean;
  /** volume: a path inside the volume to mount instead of its root. */
  subpath: string;
  /** volume: driver options and labels used when the volume is created on first use. */
  volumeOptions: Record<string, string>;
  volumeLabels: Record<string, string>;
  /** tmpfs: the data options (size=..., mode=..., exec...) as Docker passes them. */
  tmpfsOptions: string;
}
