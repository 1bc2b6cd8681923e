import { invalid } from '@tsnet/errors';
import type { Route } from './context.js';
import { pruneImages } from './disk-usage.js';
import { API_VERSION, boolParam, parseFilters, sendJson, type Ctx } from './http.js';

function streamStatus(c: Ctx, lines: Array<Record<string, unknown>>): void {
  const res = c.res!;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': API_VERSION });
  for (const l of lines) res.write(`${JSON.stringify(l)}\n`);
  res.end();
}

const wildcard = (c: Ctx): string => decodeURIComponent(c.params['*'] ?? '');

export const imageRoutes: Route[] = [
  {
    method: 'POST',
    path: '/images/prune',
    handler: async (c, s) => {
      const filters = parseFilters(c.query, ['dangling', 'until', 'label', 'label!']);
      const dangling = filters.get('dangling')?.[0] ?? 'true';
      sendJson(c, 200, await pruneImages(s, !['false', '0'].includes(dangling), filters));
    },
  },
  {
    method: 'POST',
    path: '/images/create',
    handler: async (c, s) => {
      const fromSrc = c.query.get('fromSrc');
      if (fromSrc === null) {
        const from = c.query.get('fromImage') ?? '';
        throw invalid('ERR_PULL_UNSUPPORTED', `pull access denied for ${from}: tsnet cannot pull images; use docker import (or docker load) instead`);
      }
      if (fromSrc !== '-') throw invalid('ERR_IMPORT_SOURCE', `import from "${fromSrc}" is not supported: send the archive in the request body (fromSrc=-)`);
      const image = await s.images.importRootfs(c.req, {
        ...(c.query.get('repo') ? { repo: c.query.get('repo')! } : {}),
        ...(c.query.get('tag') ? { tag: c.query.get('tag')! } : {}),
        changes: c.query.getAll('changes'),
        ...(c.query.get('message') ? { message: c.query.get('message')! } : {}),
      });
      s.events.emit('image', 'import', image.id, { name: image.repoTags[0] ?? image.id });
      streamStatus(c, [{ status: image.id }]);
    },
  },
  {
    method: 'POST',
    path: '/images/load',
    handler: async (c, s) => {
      const images = await s.images.load(c.req);
      for (const i of images) s.events.emit('image', 'load', i.id, { name: i.repoTags[0] ?? i.id });
      streamStatus(c, images.map((i) => ({ stream: `Loaded image${i.repoTags.length ? '' : ' ID'}: ${i.repoTags[0] ?? i.id}\n` })));
    },
  },
  {
    method: 'GET',
    path: '/images/json',
    handler: async (c, s) => sendJson(c, 200, s.images.list({ all: boolParam(c.query, 'all') })),
  },
  {
    method: 'GET',
    path: '/images/*',
    handler: async (c, s) => {
      const path = wildcard(c);
      if (!path.endsWith('/json')) throw invalid('ERR_NOT_FOUND', 'page not found');
      sendJson(c, 200, s.images.inspect(path.slice(0, -'/json'.length)));
    },
  },
  {
    method: 'POST',
    path: '/images/*',
    handler: async (c, s) => {
      const path = wildcard(c);
      if (!path.endsWith('/tag')) throw invalid('ERR_NOT_FOUND', 'page not found');
      await s.images.tag(path.slice(0, -'/tag'.length), c.query.get('repo') ?? '', c.query.get('tag') || 'latest');
      sendJson(c, 201, {});
    },
  },
  {
    method: 'DELETE',
    path: '/images/*',
    handler: async (c, s) => sendJson(c, 200, await s.images.remove(wildcard(c), { force: boolParam(c.query, 'force') })),
  },
];
