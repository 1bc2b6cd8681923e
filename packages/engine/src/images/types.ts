/**
 * The image configuration as Docker writes it (the JSON whose sha256 is the image id), limited to
 * the fields a container run needs; unknown fields of a loaded image are kept byte for byte
 * because the id is the hash of the original bytes.
 */
export interface ImageRunConfig {
  User?: string;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  ExposedPorts?: Record<string, Record<string, never>> | null;
  Volumes?: Record<string, Record<string, never>> | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  [key: string]: unknown;
}

export interface ImageConfigJson {
  architecture?: string;
  os?: string;
  created?: string;
  author?: string;
  comment?: string;
  config?: ImageRunConfig;
  rootfs?: { type: string; diff_ids: string[] };
  history?: Array<Record<string, unknown>>;
  [key: string]: unknown;
}

/** What the store keeps about one image (besides the rootfs directory and config bytes). */
export interface ImageRecord {
  /** `sha256:<64 hex>` */
  readonly id: string;
  readonly config: ImageConfigJson;
  /** Directory holding the flattened filesystem; an overlay lowerdir, never written. */
  readonly rootfsPath: string;
  readonly size: number;
  readonly repoTags: string[];
  readonly lastTagTime: string;
}

/** One row of `GET /images/json` (Docker API v1.41). */
export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize: number;
  Labels: Record<string, string>;
  Containers: number;
}

/** `GET /images/{name}/json` (Docker API v1.41). */
export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  Container: string;
  DockerVersion: string;
  Author: string;
  Config: ImageRunConfig;
  Architecture: string;
  Os: string;
  Size: number;
  VirtualSize: number;
  GraphDriver: { Name: string; Data: Record<string, string> };
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime: string };
}

/** One row of `DELETE /images/{name}`. */
export type ImageDeleteItem = { Untagged: string } | { Deleted: string };
