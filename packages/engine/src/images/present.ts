import type { ImageInspect, ImageRecord, ImageRunConfig, ImageSummary } from './types.js';

/** Docker's full Config object: fields an image does not set are present with Docker's zero values. */
function fullConfig(config: ImageRunConfig | undefined): ImageRunConfig {
  return {
    Hostname: '',
    Domainname: '',
    User: '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: null,
    Cmd: null,
    Image: '',
    Volumes: null,
    WorkingDir: '',
    Entrypoint: null,
    OnBuild: null,
    Labels: null,
    ...config,
  };
}

function createdSeconds(record: ImageRecord): number {
  const ms = Date.parse(record.config.created ?? '');
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

export function toSummary(record: ImageRecord): ImageSummary {
  return {
    Id: record.id,
    ParentId: '',
    RepoTags: record.repoTags,
    RepoDigests: [],
    Created: createdSeconds(record),
    Size: record.size,
    SharedSize: -1,
    VirtualSize: record.size,
    Labels: record.config.config?.Labels ?? {},
    Containers: -1,
  };
}

export function toInspect(record: ImageRecord): ImageInspect {
  return {
    Id: record.id,
    RepoTags: record.repoTags,
    RepoDigests: [],
    Parent: '',
    Comment: String(record.config.comment ?? record.config.history?.at(-1)?.['comment'] ?? ''),
    Created: record.config.created ?? '0001-01-01T00:00:00Z',
    Container: '',
    DockerVersion: '',
    Author: record.config.author ?? '',
    Config: fullConfig(record.config.config),
    Architecture: record.config.architecture ?? '',
    Os: record.config.os ?? 'linux',
    Size: record.size,
    VirtualSize: record.size,
    GraphDriver: { Name: 'overlay2', Data: { MergedDir: '', UpperDir: '', LowerDir: record.rootfsPath, WorkDir: '' } },
    RootFS: { Type: 'layers', Layers: record.config.rootfs?.diff_ids ?? [] },
    Metadata: { LastTagTime: record.lastTagTime },
  };
}
