import type { Controller } from '@tsnet/libnetwork';
import type { VolumeService } from '@tsnet/volumes';
import type { DaemonConfig } from '../config/index.js';
import type { ImageStore } from '../images/index.js';
import type { Runtime } from '../runtime/index.js';
import type { ContainerService } from '../services/containers.js';
import type { EventBus } from '../services/events.js';
import type { ExecService } from '../services/exec.js';
import type { Ctx } from './http.js';

/** Everything the API handlers reach: the daemon's services. */
export interface ApiServices {
  config: DaemonConfig;
  controller: Controller;
  volumes: VolumeService;
  images: ImageStore;
  runtime: Runtime;
  containers: ContainerService;
  execs: ExecService;
  events: EventBus;
  startedAt: Date;
}

export type Handler = (c: Ctx, s: ApiServices) => Promise<void>;

export interface Route {
  method: 'GET' | 'HEAD' | 'POST' | 'DELETE' | 'PUT';
  path: string;
  handler: Handler;
}
