/**
 * The Engine API itself: what the docker CLI negotiates from, Docker-style errors, hostile input
 * answered 4xx with the state unchanged, slow clients cut off, and a socket that is not
 * world-accessible.
 */
import { statSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNetns } from '@tsnet/testkit';
import { startTsnetd, type Tsnetd } from './support/tsnetd.js';

describeNetns('tsnetd API (raw HTTP and docker CLI)', () => {
  let d: Tsnetd;
  beforeAll(async () => {
    d = await startTsnetd({ args: ['--api-headers-timeout', '1500'] });
    d.dockerOk(['network', 'create', '--subnet', '10.70.0.0/24', 'keep']);
    d.dockerOk(['volume', 'create', 'keepvol']);
  });
  afterAll(async () => {
    await d?.destroy();
  });

  /** Everything a bad request must leave untouched. */
  const state = async () => ({
    networks: (await d.http('GET', '/networks')).json<Array<{ Id: string }>>().map((n) => n.Id).sort(),
    volumes: (await d.http('GET', '/volumes')).json<{ Volumes: Array<{ Name: string }> }>().Volumes.map((v) => v.Name).sort(),
    containers: (await d.http('GET', '/containers/json?all=1')).json<Array<{ Id: string }>>().map((c) => c.Id).sort(),
    links: d.ns.ipJson<Array<{ ifname: string }>>('link').map((l) => l.ifname).sort(),
  });

  it('the socket is mode 0660 (not world-accessible) and /_ping carries the negotiation headers', async () => {
    const st = statSync(d.sock);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o660);
    const ping = await d.http('GET', '/_ping');
    expect(ping.text).toBe('OK');
    expect(ping.headers['api-version']).toBe('1.42');
    expect(ping.headers['ostype']).toBe('linux');
    const head = await d.http('HEAD', '/_ping');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    const v = (await d.http('GET', '/v1.41/version')).json();
    expect(v).toMatchObject({ ApiVersion: '1.42', MinAPIVersion: '1.24', Os: 'linux' });
    expect(d.dockerOk(['version', '--format', '{{.Server.APIVersion}}'])).toBe('1.42');
    expect(d.dockerOk(['info', '--format', '{{.OSType}} {{.Driver}}'])).toBe('linux overlay2');
  });

  it('unknown routes are 404 {"message": "page not found"}; too-new API versions are refused', async () => {
    const r = await d.http('GET', '/v1.41/nothing/here');
    expect(r.status).toBe(404);
    expect(r.json()).toEqual({ message: 'page not found' });
    expect((await d.http('PUT', '/networks')).status).toBe(404);
    const tooNew = await d.http('GET', '/v1.99/networks');
    expect(tooNew.status).toBe(400);
    expect(tooNew.json().message).toMatch(/too new/);
  });

  it('errors are {"message"} with the status of their kind', async () => {
    const missing = await d.http('GET', '/networks/nope');
    expect(missing.status).toBe(404);
    expect(missing.json().message).toMatch(/nope/);
    const dup = await d.http('POST', '/networks/create', { Name: 'keep' });
    expect(dup.status).toBe(409);
    expect(dup.json().message).toMatch(/keep.*already exists/);
    const noContainer = await d.http('POST', '/containers/nope/start');
    expect(noContainer.status).toBe(404);
    expect(noContainer.json().message).toBe('No such container: nope');
  });

  it('malformed JSON, wrong types and bad filters are 400 and change nothing', async () => {
    const before = await state();
    const cases: Array<[string, string, unknown]> = [
      ['POST', '/networks/create', '{"Name": "x",'],
      ['POST', '/networks/create', '[1,2]'],
      ['POST', '/networks/create', { Name: 5 }],
      ['POST', '/networks/create', { Name: 'typed', Internal: 'yes' }],
      ['POST', '/networks/create', { Name: 'typed', IPAM: { Config: [{ Subnet: 10 }] } }],
      ['POST', '/networks/create', { Name: 'badsub', IPAM: { Config: [{ Subnet: '10.0.0.0/33' }] } }],
      ['POST', '/volumes/create', { Name: 'v', Labels: { a: 1 } }],
      ['POST', '/containers/create?name=typed', { Image: 'busybox', Cmd: 'true', HostConfig: { Binds: 'oops' } }],
      ['POST', '/containers/create?name=typed', { Image: 'busybox', HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '99999' }] } } }],
      ['POST', '/containers/create?name=typed', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'nosuchnet' } }],
      ['POST', '/networks/keep/connect', { Container: 42 }],
      ['GET', '/networks?filters=notjson', undefined],
      ['GET', '/networks?filters={"bogus":["x"]}', undefined],
      ['GET', '/containers/json?filters={"status":{"running":"yes"}}', undefined],
    ];
    for (const [method, path, body] of cases) {
      const r = await d.http(method, path, body);
      expect([400, 404], `${method} ${path} ${JSON.stringify(body)} → ${r.status} ${r.text}`).toContain(r.status);
      expect(r.json().message).toEqual(expect.any(String));
    }
    expect(await state()).toEqual(before);
  });

  it('names with "/" or ".." are refused everywhere', async () => {
    const before = await state();
    for (const [path, body] of [
      ['/networks/create', { Name: '../escape' }],
      ['/networks/create', { Name: 'a/b' }],
      ['/volumes/create', { Name: '../../etc' }],
      ['/volumes/create', { Name: 'a/b' }],
      ['/containers/create?name=a%2Fb', { Image: 'busybox', Cmd: ['true'] }],
      ['/containers/create?name=..', { Image: 'busybox', Cmd: ['true'] }],
    ] as const) {
      const r = await d.http('POST', path, body);
      expect(r.status, `${path} ${JSON.stringify(body)}`).toBe(400);
    }
    expect((await d.http('GET', '/volumes/..%2F..%2Fetc')).status).toBe(404);
    expect((await d.http('DELETE', '/volumes/..')).status).toBe(404);
    expect(await state()).toEqual(before);
  });

  it('a huge body is 413 before it is parsed; the daemon keeps serving', async () => {
    const before = await state();
    const big = JSON.stringify({ Name: 'big', Labels: { pad: 'x'.repeat(2 * 1024 * 1024) } });
    const r = await d.http('POST', '/networks/create', big).catch((e: Error) => ({ status: -1, text: e.message, json: () => ({}) }));
    expect([413, -1]).toContain(r.status);
    expect((await d.http('GET', '/_ping')).status).toBe(200);
    expect(await state()).toEqual(before);
  });

  it('a slow client (headers never finished) is cut off; others are served meanwhile', async () => {
    const sock = connect(d.sock);
    const closed = new Promise<{ data: string; ms: number }>((resolve) => {
      let data = '';
      const t0 = Date.now();
      sock.on('data', (b) => (data += b.toString()));
      sock.on('close', () => resolve({ data, ms: Date.now() - t0 }));
      sock.on('error', () => undefined);
    });
    sock.write('GET /_ping HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => sock.writable && sock.write('X-Slow: 1\r\n'), 200);
    expect((await d.http('GET', '/_ping')).status).toBe(200);
    const { data, ms } = await closed;
    clearInterval(trickle);
    expect(ms).toBeLessThan(8000);
    expect(data).toMatch(/^HTTP\/1\.1 408|^$/);
  });

  it('concurrent creates of one name: exactly one wins, the others get 409', async () => {
    const results = await Promise.all([1, 2, 3].map(() => d.http('POST', '/containers/create?name=racer', { Image: 'busybox', Cmd: ['true'] })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    const nets = await Promise.all([1, 2, 3].map(() => d.http('POST', '/networks/create', { Name: 'racenet' })));
    expect(nets.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    expect((await d.http('DELETE', '/containers/racer')).status).toBe(204);
    expect((await d.http('DELETE', '/networks/racenet')).status).toBe(204);
  });

  it('unknown body fields are ignored as dockerd does', async () => {
    const r = await d.http('POST', '/volumes/create', { Name: 'extra', Whatever: true });
    expect(r.status).toBe(201);
    expect((await d.http('DELETE', '/volumes/extra')).status).toBe(204);
  });

  it('/events streams Docker-shaped events with since/until and filters', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    d.dockerOk(['network', 'create', 'evnet']);
    d.dockerOk(['run', '--rm', '--name', 'evc', '--net', 'evnet', 'busybox', 'true']);
    d.dockerOk(['network', 'rm', 'evnet']);
    const until = Math.floor(Date.now() / 1000) + 1;
    const cli = d.dockerOk(['events', '--since', String(since), '--until', String(until), '--filter', 'type=network', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}']);
    expect(cli.split('\n')).toEqual(expect.arrayContaining(['network create evnet', 'network destroy evnet']));
    const raw = await d.http('GET', `/events?since=${since}&until=${until}&filters=${encodeURIComponent('{"type":["container"],"container":["evc"]}')}`);
    const events = raw.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => e.Action)).toEqual(expect.arrayContaining(['create', 'start', 'die', 'destroy']));
    expect(events[0]).toMatchObject({ Type: 'container', Actor: { ID: expect.stringMatching(/^[0-9a-f]{64}$/), Attributes: { name: 'evc', image: 'busybox' } }, scope: 'local' });
  });
});
