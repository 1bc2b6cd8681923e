import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildProgram, reportError } from './program.js';
import { socketPathOf } from './client.js';

/** A fake daemon on a unix socket that records what the CLI sends and answers from a table. */
interface Seen {
  method: string;
  url: string;
  body: unknown;
}
const seen: Seen[] = [];
let answers: Record<string, [number, unknown]> = {};
let server: Server;
let dir: string;
let sock: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsnet-cli-'));
  sock = join(dir, 'api.sock');
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, body: text ? JSON.parse(text) : undefined });
      const key = `${req.method} ${req.url!.replace(/^\/v1\.41/, '').split('?')[0]}`;
      const [status, body] = answers[key] ?? [404, { message: `no such route ${key}` }];
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(sock, resolve));
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  seen.length = 0;
  answers = {};
  process.exitCode = undefined;
});

async function tsnet(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  try {
    const { program } = buildProgram();
    try {
      await program.parseAsync(['node', 'tsnet', '-H', `unix://${sock}`, ...args]);
    } catch (error) {
      process.exitCode = reportError(error);
    }
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { out, err, code };
}

describe('tsnet CLI against a recording API server', () => {
  it('network create sends the body and prints the id', async () => {
    answers['POST /networks/create'] = [201, { Id: 'abc123', Warning: '' }];
    const r = await tsnet('network', 'create', '--subnet', '10.10.10.0/24', '-o', 'com.docker.network.bridge.name=br10', '--internal', 'n10');
    expect(r).toMatchObject({ out: 'abc123\n', code: 0 });
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: '/v1.41/networks/create',
      body: { Name: 'n10', Internal: true, IPAM: { Config: [{ Subnet: '10.10.10.0/24' }] }, Options: { 'com.docker.network.bridge.name': 'br10' } },
    });
  });

  it('a bad flag sends nothing and exits 125 with the reason', async () => {
    const r = await tsnet('network', 'create', '--subnet', '10.0.0.0/24', '--gateway', '10.9.9.9', 'n');
    expect(seen).toHaveLength(0);
    expect(r.code).toBe(125);
    expect(r.err).toContain('no matching subnet for gateway 10.9.9.9');
  });

  it('a daemon error is printed as Docker does, exit 1', async () => {
    answers['DELETE /networks/busy'] = [403, { message: 'network busy has active endpoints' }];
    const r = await tsnet('network', 'rm', 'busy');
    expect(r.code).toBe(1);
    expect(r.err).toBe('Error response from daemon: network busy has active endpoints\n');
  });

  it('run -d: create with name and options after the image, then start', async () => {
    answers['POST /containers/create'] = [201, { Id: 'c0ffee', Warnings: [] }];
    answers['POST /containers/c0ffee/start'] = [204, undefined];
    const r = await tsnet('run', '-d', '--name', 'web', '--net', 'n10', '--ip', '10.10.10.51', '-p', '8080:80', 'busybox', 'httpd', '-f', '-p', '80');
    expect(r).toMatchObject({ out: 'c0ffee\n', code: 0 });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /v1.41/containers/create?name=web', 'POST /v1.41/containers/c0ffee/start']);
    expect(seen[0]!.body).toMatchObject({
      Image: 'busybox',
      Cmd: ['httpd', '-f', '-p', '80'], // -p after the image belongs to the command
      HostConfig: { NetworkMode: 'n10', PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] } },
      NetworkingConfig: { EndpointsConfig: { n10: { IPAMConfig: { IPv4Address: '10.10.10.51' } } } },
    });
  });

  it('ps --format json and a template', async () => {
    answers['GET /containers/json'] = [200, [{ Id: 'a'.repeat(64), Names: ['/web'], Image: 'busybox', Command: 'sh', Created: 0, State: 'running', Status: 'Up', Ports: [] }]];
    expect((await tsnet('ps', '--format', '{{.Names}} {{.State}}')).out).toBe('[/web] running\n');
    expect(JSON.parse((await tsnet('ps', '-a', '--format', 'json')).out)).toMatchObject({ Names: ['/web'] });
    expect(seen.at(-1)!.url).toBe('/v1.41/containers/json?all=1');
  });

  it('inspect -f falls through container → network', async () => {
    answers['GET /networks/n10'] = [200, { Name: 'n10', IPAM: { Config: [{ Subnet: '10.10.10.0/24' }] } }];
    const r = await tsnet('inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', 'n10');
    expect(r.out).toBe('10.10.10.0/24\n');
    expect(seen.map((s) => s.url)).toEqual(['/v1.41/containers/n10/json', '/v1.41/images/n10/json', '/v1.41/networks/n10']);
  });

  it('volume prune --all sends the all filter', async () => {
    answers['POST /volumes/prune'] = [200, { VolumesDeleted: ['v1'], SpaceReclaimed: 0 }];
    const r = await tsnet('volume', 'prune', '-f', '--all');
    expect(r.out).toContain('Deleted Volumes:\nv1\n');
    expect(decodeURIComponent(seen[0]!.url)).toContain('filters={"all":{"true":true}}');
  });

  it('cannot connect: names the socket', async () => {
    const { program } = buildProgram();
    let err = '';
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
    try {
      await program.parseAsync(['node', 'tsnet', '-H', `unix://${dir}/nothing.sock`, 'network', 'ls']).catch((x) => reportError(x));
    } finally {
      e.mockRestore();
    }
    expect(err).toContain(`cannot connect to the tsnet daemon at unix://${dir}/nothing.sock: ENOENT`);
  });
});

describe('host resolution', () => {
  it.each([
    [undefined, {}, '/run/tsnet/tsnet.sock'],
    [undefined, { TSNET_HOST: 'unix:///tmp/a.sock' }, '/tmp/a.sock'],
    ['unix:///x/y.sock', { TSNET_HOST: 'unix:///tmp/a.sock' }, '/x/y.sock'], // the flag wins
  ])('%s %j', (flag, env, path) => {
    expect(socketPathOf(flag, env)).toBe(path);
  });
  it.each(['tcp://1.2.3.4:2375', 'unix://relative.sock'])('refuses %s', (host) => {
    expect(() => socketPathOf(host, {})).toThrow(/invalid host/);
  });
});
