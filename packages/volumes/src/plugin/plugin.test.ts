import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTsnetError } from '@tsnet/errors';
import { MemoryStore } from '@tsnet/store';
import { VolumeService } from '../service.js';
import { volumePluginHandlers, type VolumePluginHandler } from './handlers.js';
import { checkMountpoint, discoverPlugin } from '../drivers/remote.js';
import { planMounts } from '../mount-plan.js';

let dir: string;
const servers: Server[] = [];

/** A third-party plugin: an HTTP server on a unix socket in the plugin dir, answering with `handler`. */
async function servePlugin(name: string, handler: VolumePluginHandler, file = `${name}.sock`): Promise<string[]> {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      calls.push(req.url ?? '');
      void handler(req.url ?? '', body ? JSON.parse(body) : {}).then((r) => {
        res.writeHead(r.status, { 'Content-Type': 'application/vnd.docker.plugins.v1.2+json' });
        res.end(JSON.stringify(r.body));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(join(dir, 'plugins', file), resolve));
  servers.push(server);
  return calls;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsnet-plugin-'));
  mkdirSync(join(dir, 'plugins'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  rmSync(dir, { recursive: true, force: true });
});

describe('volume plugin protocol', () => {
  it('handlers answer every endpoint in Docker\'s shapes', async () => {
    const svc = await VolumeService.open({ store: new MemoryStore(), root: join(dir, 'a') });
    const h = volumePluginHandlers(svc);
    expect(await h('/Plugin.Activate', {})).toEqual({ status: 200, body: { Implements: ['VolumeDriver'] } });
    expect(await h('/VolumeDriver.Capabilities', {})).toEqual({ status: 200, body: { Capabilities: { Scope: 'local' } } });
    expect(await h('/VolumeDriver.Create', { Name: 'pv', Opts: {} })).toEqual({ status: 200, body: { Err: '' } });
    const mp = join(dir, 'a/volumes/pv/_data');
    expect(await h('/VolumeDriver.Mount', { Name: 'pv', ID: 'x1' })).toEqual({ status: 200, body: { Mountpoint: mp, Err: '' } });
    expect(await h('/VolumeDriver.Path', { Name: 'pv' })).toEqual({ status: 200, body: { Mountpoint: mp, Err: '' } });
    expect((await h('/VolumeDriver.Get', { Name: 'pv' })).body).toMatchObject({ Volume: { Name: 'pv', Mountpoint: mp, Status: {} }, Err: '' });
    expect((await h('/VolumeDriver.List', {})).body).toMatchObject({ Volumes: [{ Name: 'pv', Mountpoint: mp }], Err: '' });
    const busy = await h('/VolumeDriver.Remove', { Name: 'pv' });
    expect(busy.status).toBe(409);
    expect(busy.body['Err']).toContain('volume is in use');
    expect(await h('/VolumeDriver.Unmount', { Name: 'pv', ID: 'x1' })).toEqual({ status: 200, body: { Err: '' } });
    expect(await h('/VolumeDriver.Remove', { Name: 'pv' })).toEqual({ status: 200, body: { Err: '' } });
    expect((await h('/VolumeDriver.Get', { Name: 'pv' })).status).toBe(404);
    expect((await h('/VolumeDriver.Create', { Name: '../evil' })).status).toBe(400);
    expect((await h('/Nope', {})).status).toBe(404);
  });

  it('the remote driver uses a plugin found on a unix socket, for real', async () => {
    const backend = await VolumeService.open({ store: new MemoryStore(), root: join(dir, 'backend') });
    const calls = await servePlugin('tsfake', volumePluginHandlers(backend));
    const svc = await VolumeService.open({ store: new MemoryStore(), root: join(dir, 'front'), pluginDir: join(dir, 'plugins') });
    const v = await svc.create({ Name: 'remote1', Driver: 'tsfake', DriverOpts: {} });
    expect(v).toMatchObject({ Name: 'remote1', Driver: 'tsfake', Scope: 'local', Mountpoint: join(dir, 'backend/volumes/remote1/_data') });
    expect(backend.has('remote1')).toBe(true);
    // A container plan over the remote volume: mount goes to the plugin and comes back checked.
    const plan = planMounts({ containerId: 'c1', mounts: [{ Type: 'volume', Source: 'remote1', Target: '/data', VolumeOptions: { DriverConfig: { Name: 'tsfake' } } }] });
    const prepared = await plan.prepare(svc);
    expect(prepared.toOciMounts()[1]).toEqual({ destination: '/data', type: 'bind', source: join(dir, 'backend/volumes/remote1/_data'), options: ['rbind'] });
    expect(backend.refs('remote1')).toEqual(['c1']);
    await prepared.release();
    expect(backend.refs('remote1')).toEqual([]);
    await plan.unregister(svc);
    await svc.remove('remote1');
    expect(backend.has('remote1')).toBe(false);
    expect(calls).toEqual(expect.arrayContaining(['/Plugin.Activate', '/VolumeDriver.Create', '/VolumeDriver.Mount', '/VolumeDriver.Unmount', '/VolumeDriver.Remove']));
  });

  it('finds plugins by .spec file', async () => {
    writeFileSync(join(dir, 'plugins', 'viaspec.spec'), `unix://${join(dir, 'plugins', 'elsewhere.sock')}\n`);
    expect(discoverPlugin('viaspec', join(dir, 'plugins'))).toEqual({ socketPath: join(dir, 'plugins', 'elsewhere.sock') });
    writeFileSync(join(dir, 'plugins', 'tcp.spec'), 'tcp://127.0.0.1:9999');
    expect(discoverPlugin('tcp', join(dir, 'plugins'))).toEqual({ host: '127.0.0.1', port: 9999 });
    expect(discoverPlugin('absent', join(dir, 'plugins'))).toBeUndefined();
  });

  it('reports plugin errors: Err on 200, non-200, missing plugin, not a VolumeDriver', async () => {
    await servePlugin('errs', async (path) => {
      if (path === '/Plugin.Activate') return { status: 200, body: { Implements: ['VolumeDriver'] } };
      if (path === '/VolumeDriver.Create') return { status: 200, body: { Err: 'disk on fire' } };
      return { status: 500, body: { Err: 'boom' } };
    });
    await servePlugin('netonly', async () => ({ status: 200, body: { Implements: ['NetworkDriver'] } }));
    const store = new MemoryStore();
    const svc = await VolumeService.open({ store, root: join(dir, 'f'), pluginDir: join(dir, 'plugins') });
    const err = async (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (isTsnetError(e) ? `${e.code} ${e.message}` : String(e)));
    expect(await err(svc.create({ Name: 'v1', Driver: 'errs' }))).toContain('ERR_VOLUME_PLUGIN volume plugin /VolumeDriver.Create: disk on fire');
    expect(svc.has('v1')).toBe(false);
    expect(await store.list('/volumes/')).toEqual([]);
    expect(await err(svc.create({ Name: 'v2', Driver: 'missing' }))).toMatch(/^ERR_VOLUME_DRIVER_NOT_FOUND/);
    expect(await err(svc.create({ Name: 'v3', Driver: 'netonly' }))).toMatch(/^ERR_VOLUME_DRIVER_NOT_FOUND .*does not implement VolumeDriver/);
  });

  it('checks a plugin\'s returned mountpoint: absolute, existing, a directory', async () => {
    const file = join(dir, 'file');
    writeFileSync(file, '');
    for (const [bad, why] of [['relative/path', 'not an absolute path'], [join(dir, 'missing'), 'does not exist'], [file, 'not a directory'], ['', 'empty'], [`${dir}/../x`, 'contains ".."'], [42, 'empty']] as const) {
      let got = '';
      try {
        checkMountpoint('p', bad);
      } catch (e) {
        got = isTsnetError(e) ? `${e.code} ${e.message}` : '';
      }
      expect(got).toMatch(/^ERR_VOLUME_PLUGIN_MOUNTPOINT/);
      expect(got).toContain(why);
    }
    expect(checkMountpoint('p', dir)).toBe(dir);
    // And through a real plugin mount:
    await servePlugin('liar', async (path) =>
      path === '/Plugin.Activate' ? { status: 200, body: { Implements: ['VolumeDriver'] } } : { status: 200, body: { Mountpoint: '/etc/passwd', Err: '' } });
    const svc = await VolumeService.open({ store: new MemoryStore(), root: join(dir, 'g'), pluginDir: join(dir, 'plugins') });
    await svc.create({ Name: 'lv', Driver: 'liar' });
    await expect(svc.mount('lv', 'c1')).rejects.toMatchObject({ code: 'ERR_VOLUME_PLUGIN_MOUNTPOINT' });
  });
});
