/**
 * The container commands of the docker CLI against tsnetd: import, run (attached, -d, --rm), ps,
 * inspect -f, logs, exec, stop/kill/wait/start, rm -f -v, and Docker's naming rules.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNetns } from '@tsnet/testkit';
import { busyboxImageTar, startTsnetd, type Tsnetd } from './support/tsnetd.js';

describeNetns('tsnetd containers (docker CLI)', () => {
  let d: Tsnetd;
  beforeAll(async () => {
    d = await startTsnetd({ image: false });
  });
  afterAll(async () => {
    await d?.destroy();
  });

  it('docker import makes an image that images and image inspect show', async () => {
    const id = d.dockerOk(['import', '-c', 'ENV GREETING=hi', '-c', 'CMD ["sh"]', await busyboxImageTar(), 'busybox:latest']);
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(d.dockerOk(['images', '--format', '{{.Repository}}:{{.Tag}}'])).toBe('busybox:latest');
    expect(d.dockerOk(['image', 'inspect', '-f', '{{.Id}} {{json .Config.Env}}', 'busybox'])).toBe(`${id} ["GREETING=hi"]`);
  });

  it('run without -d streams stdout and stderr and returns the exit code; --rm removes the container', () => {
    const r = d.docker(['run', '--rm', '--name', 'once', 'busybox', 'sh', '-c', 'echo out; echo err >&2; echo $GREETING; exit 7']);
    expect(r.status).toBe(7);
    expect(r.stdout).toBe('out\nhi\n');
    expect(r.stderr).toBe('err\n');
    expect(d.docker(['inspect', 'once']).status).not.toBe(0);
    // -t: no terminal here, but the streams come raw (not multiplexed), as the CLI then expects.
    expect(d.dockerOk(['run', '--rm', '-t', 'busybox', 'echo', 'raw'])).toBe('raw');
  });

  it('run -d, ps, inspect -f in Docker shape, logs with --tail and -t', async () => {
    const id = d.dockerOk(['run', '-d', '--name', 'svc', '-l', 'tier=web', '-e', 'FOO=bar', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo line$i; done; sleep 600']);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(d.dockerOk(['ps', '--format', '{{.ID}} {{.Names}} {{.Image}} {{.Status}}'])).toMatch(new RegExp(`^${id.slice(0, 12)} svc busybox Up`));
    expect(d.dockerOk(['ps', '-q', '--filter', 'label=tier=web'])).toBe(id.slice(0, 12));
    const j = JSON.parse(d.dockerOk(['inspect', 'svc']))[0];
    expect(j).toMatchObject({
      Id: id,
      Name: '/svc',
      State: { Status: 'running', Running: true, ExitCode: 0, Pid: expect.any(Number) },
      Config: { Image: 'busybox', Labels: { tier: 'web' }, Hostname: id.slice(0, 12) },
      HostConfig: { NetworkMode: 'bridge' },
      NetworkSettings: { Networks: { bridge: { IPAddress: expect.stringMatching(/^172\.17\./), IPPrefixLen: 16, Gateway: '172.17.0.1' } } },
    });
    expect(j.Config.Env).toContain('FOO=bar');
    expect(d.dockerOk(['inspect', '-f', '{{.State.Running}} {{.Name}}', 'svc'])).toBe('true /svc');
    await new Promise((r) => setTimeout(r, 300));
    expect(d.dockerOk(['logs', 'svc'])).toBe('line1\nline2\nline3');
    expect(d.dockerOk(['logs', '--tail', '1', 'svc'])).toBe('line3');
    expect(d.dockerOk(['logs', '-t', '--tail', '1', 'svc'])).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z line3$/);
  });

  it('exec runs in the container with its exit code and output', () => {
    expect(d.dockerOk(['exec', 'svc', 'sh', '-c', 'echo $FOO; hostname'])).toBe(`bar\n${d.dockerOk(['inspect', '-f', '{{.Config.Hostname}}', 'svc'])}`);
    const r = d.docker(['exec', 'svc', 'sh', '-c', 'echo to-err >&2; exit 4']);
    expect(r.status).toBe(4);
    expect(r.stderr).toBe('to-err\n');
    expect(d.docker(['exec', 'svc', 'nosuchcmd']).status).toBe(127);
    expect(d.dockerOk(['exec', '-e', 'X=1', '-w', '/tmp', 'svc', 'sh', '-c', 'echo $X $(pwd)'])).toBe('1 /tmp');
    // exec -i: the client's stdin reaches the process.
    expect(d.dockerOk(['exec', '-i', 'svc', 'sh', '-c', 'cat > /tmp/in; wc -c < /tmp/in'], { input: 'twelve bytes' })).toBe('12');
  });

  it('stop, start, kill and wait', () => {
    d.dockerOk(['stop', '-t', '1', 'svc']);
    expect(d.dockerOk(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'svc'])).toBe('exited 137');
    d.dockerOk(['start', 'svc']);
    expect(d.dockerOk(['inspect', '-f', '{{.State.Running}}', 'svc'])).toBe('true');
    d.dockerOk(['kill', '-s', 'KILL', 'svc']);
    expect(d.dockerOk(['wait', 'svc'])).toBe('137');
    d.dockerOk(['run', '-d', '--name', 'quick', 'busybox', 'sh', '-c', 'sleep 0.5; exit 3']);
    expect(d.dockerOk(['wait', 'quick'])).toBe('3');
    expect(d.dockerOk(['ps', '-a', '--filter', 'exited=3', '--format', '{{.Names}}'])).toBe('quick');
  });

  it('names: Docker\'s pattern, conflicts name the holder, unknown images are refused', () => {
    const bad = d.docker(['run', '--name', 'bad/name', 'busybox', 'true']);
    expect(bad.status).toBe(125);
    expect(bad.stderr).toMatch(/Invalid container name/);
    const clash = d.docker(['create', '--name', 'svc', 'busybox', 'true']);
    expect(clash.status).not.toBe(0);
    expect(clash.stderr).toMatch(/The container name "\/svc" is already in use by container "[0-9a-f]{64}"/);
    const noimg = d.docker(['run', '--rm', 'nosuchimage', 'true']);
    expect(noimg.status).not.toBe(0);
    expect(d.dockerOk(['ps', '-aq']).split('\n').length).toBe(2);
  });

  it('rm of a running container is refused; rm -f -v removes it with its anonymous volumes', () => {
    d.dockerOk(['run', '-d', '--name', 'busy', '-v', '/anon', 'busybox', 'sleep', '600']);
    const vol = JSON.parse(d.dockerOk(['inspect', '-f', '{{json .Mounts}}', 'busy']))[0].Name;
    const refused = d.docker(['rm', 'busy']);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/container is running/);
    d.dockerOk(['rm', '-f', '-v', 'busy', 'quick', 'svc']);
    expect(d.dockerOk(['ps', '-aq'])).toBe('');
    expect(d.dockerOk(['volume', 'ls', '-q'])).not.toContain(vol);
  });

  it('run --rm with a start that fails (missing command, refused sysctl) returns and leaves no container', () => {
    const missing = d.docker(['run', '--rm', '--name', 'nocmd', 'busybox', '/nonexistent'], { timeoutMs: 20_000 });
    expect(missing.status).toBe(127);
    expect(missing.stderr).toMatch(/nonexistent/);
    const sysctl = d.docker(['run', '--rm', '--name', 'nosysctl', '--net', 'host', '--sysctl', 'net.ipv4.ip_forward=0', 'busybox', 'true'], { timeoutMs: 20_000 });
    expect(sysctl.status).not.toBe(0);
    expect(sysctl.status).not.toBe(-1); // -1: the CLI hung until the timeout
    expect(d.dockerOk(['ps', '-aq'])).toBe('');
  });

  it('a failed create leaves nothing referenced: its volume can be removed', () => {
    d.dockerOk(['volume', 'create', '-o', 'type=bogus', '-o', 'device=x', 'vy']);
    expect(d.docker(['run', '--rm', '-v', 'vy:/x', 'busybox', 'true']).status).toBe(125);
    expect(d.dockerOk(['ps', '-aq'])).toBe('');
    d.dockerOk(['volume', 'rm', 'vy']);
  });

  it('rename: the new name finds the container, the old one is free, a taken name is refused', () => {
    d.dockerOk(['create', '--name', 'before', 'busybox', 'true']);
    d.dockerOk(['create', '--name', 'other', 'busybox', 'true']);
    d.dockerOk(['rename', 'before', 'after']);
    expect(d.dockerOk(['inspect', '-f', '{{.Name}}', 'after'])).toBe('/after');
    expect(d.docker(['inspect', 'before']).status).not.toBe(0);
    expect(d.docker(['rename', 'after', 'other']).stderr).toMatch(/already in use/);
    d.dockerOk(['rm', 'after', 'other']);
  });
});
