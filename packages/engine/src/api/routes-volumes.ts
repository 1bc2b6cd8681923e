import { z } from 'zod';
import { invalid } from '@tsnet/errors';
import type { Route } from './context.js';
import { boolParam, olderThan, parseFilters, readObject, sendEmpty, sendJson } from './http.js';
import { zodProblem } from './validate.js';

const strMap = z.record(z.string(), z.string()).nullish();
const createSchema = z.object({ Name: z.string().optional(), Driver: z.string().optional(), DriverOpts: strMap, Labels: strMap }).loose();

const asInput = (m: Map<string, string[]>): Record<string, string[]> => Object.fromEntries(m);

export const volumeRoutes: Route[] = [
  {
    method: 'GET',
    path: '/volumes',
    handler: async (c, s) => sendJson(c, 200, await s.volumes.list(asInput(parseFilters(c.query, ['name', 'label', 'label!', 'dangling', 'driver'])))),
  },
  {
    method: 'POST',
    path: '/volumes/create',
    handler: async (c, s) => {
      const parsed = createSchema.safeParse(await readObject(c));
      if (!parsed.success) throw invalid('ERR_VOLUME_CONFIG', zodProblem(parsed.error));
      const b = parsed.data;
      const existed = b.Name ? s.volumes.has(b.Name) : false;
      const volume = await s.volumes.create({
        ...(b.Name ? { Name: b.Name } : {}),
        ...(b.Driver ? { Driver: b.Driver } : {}),
        ...(b.DriverOpts ? { DriverOpts: b.DriverOpts } : {}),
        ...(b.Labels ? { Labels: b.Labels } : {}),
      });
      if (!existed) s.events.emit('volume', 'create', volume.Name, { driver: volume.Driver });
      sendJson(c, 201, volume);
    },
  },
  {
    method: 'GET',
    path: '/volumes/:name',
    handler: async (c, s) => sendJson(c, 200, await s.volumes.get(c.params.name!)),
  },
  {
    method: 'DELETE',
    path: '/volumes/:name',
    handler: async (c, s) => {
      const name = c.params.name!;
      const existed = s.volumes.has(name);
      await s.volumes.remove(name, { force: boolParam(c.query, 'force') });
      if (existed) s.events.emit('volume', 'destroy', name, {});
      sendEmpty(c, 204);
    },
  },
  {
    method: 'POST',
    path: '/volumes/prune',
    handler: async (c, s) => {
      const filters = parseFilters(c.query, ['label', 'label!', 'all']);
      // Before API 1.42 prune removed every unused volume, named ones too (dockerd keeps that for old clients).
      if (olderThan(c, '1.42') && !filters.has('all')) filters.set('all', ['true']);
      const result = await s.volumes.prune({ filters: asInput(filters) });
      for (const name of result.VolumesDeleted) s.events.emit('volume', 'destroy', name, {});
      sendJson(c, 200, result);
    },
  },
];
