import { httpStatusOf } from '@tsnet/errors';
import type { VolumeService } from '../service.js';

export interface PluginResponse {
  status: number;
  body: Record<string, unknown>;
}

export type VolumePluginHandler = (path: string, body: unknown) => Promise<PluginResponse>;

type Req = { Name?: unknown; Opts?: unknown; ID?: unknown };

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const opts = (v: unknown): Record<string, string> =>
  v && typeof v === 'object' ? Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)])) : {};

/**
 * Docker's volume plugin protocol served over a VolumeService, as pure handlers: the engine
 * mounts them on its plugin socket (`/run/docker/plugins/tsnet.sock`). Errors are `{Err}` with
 * the HTTP status of the error's kind (Docker's client treats either as failure).
 */
export function volumePluginHandlers(service: VolumeService): VolumePluginHandler {
  const routes: Record<string, (req: Req) => Promise<Record<string, unknown>>> = {
    '/Plugin.Activate': async () => ({ Implements: ['VolumeDriver'] }),
    '/VolumeDriver.Capabilities': async () => ({ Capabilities: { Scope: 'local' } }),
    '/VolumeDriver.Create': async (r) => {
      await service.create({ Name: str(r.Name), DriverOpts: opts(r.Opts) });
      return { Err: '' };
    },
    '/VolumeDriver.Remove': async (r) => {
      await service.remove(str(r.Name));
      return { Err: '' };
    },
    '/VolumeDriver.Mount': async (r) => {
      const id = str(r.ID) || 'plugin';
      const mountpoint = await service.mount(str(r.Name), id);
      // A plugin mount holds the volume like a container does until Unmount.
      await service.addRef(str(r.Name), id);
      return { Mountpoint: mountpoint, Err: '' };
    },
    '/VolumeDriver.Unmount': async (r) => {
      const id = str(r.ID) || 'plugin';
      await service.unmount(str(r.Name), id);
      await service.removeRef(str(r.Name), id);
      return { Err: '' };
    },
    '/VolumeDriver.Path': async (r) => ({ Mountpoint: (await service.get(str(r.Name))).Mountpoint, Err: '' }),
    '/VolumeDriver.Get': async (r) => {
      const v = await service.get(str(r.Name));
      return { Volume: { Name: v.Name, Mountpoint: v.Mountpoint, CreatedAt: v.CreatedAt, Status: {} }, Err: '' };
    },
    '/VolumeDriver.List': async () => {
      const { Volumes } = await service.list();
      return { Volumes: Volumes.map((v) => ({ Name: v.Name, Mountpoint: v.Mountpoint, CreatedAt: v.CreatedAt })), Err: '' };
    },
  };
  return async (path, body) => {
    const route = routes[path];
    if (!route) return { status: 404, body: { Err: `unknown plugin endpoint ${path}` } };
    try {
      return { status: 200, body: await route((body && typeof body === 'object' ? body : {}) as Req) };
    } catch (error) {
      return { status: httpStatusOf(error), body: { Err: error instanceof Error ? error.message : String(error) } };
    }
  };
}
