import { describe, expect, it } from 'vitest';
import { FlagError, ramInBytes } from './common.js';
import { containerCreateBody, parseEnv, parseExtraHosts } from './container.js';
import { parseMount, parseTmpfs, splitVolumes } from './mounts.js';
import { parsePorts } from './ports.js';

describe('-p / --expose → ExposedPorts and PortBindings', () => {
  it.each([
    ['80', { '80/tcp': [{ HostIp: '', HostPort: '' }] }],
    ['8080:80', { '80/tcp': [{ HostIp: '', HostPort: '8080' }] }],
    ['127.0.0.1:8080:80', { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] }],
    ['127.0.0.1::80', { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] }], // ephemeral host port
    ['53:53/udp', { '53/udp': [{ HostIp: '', HostPort: '53' }] }],
    ['9000:9000/sctp', { '9000/sctp': [{ HostIp: '', HostPort: '9000' }] }],
    ['[::1]:8080:80', { '80/tcp': [{ HostIp: '::1', HostPort: '8080' }] }],
    ['8000-8001:80-81', { '80/tcp': [{ HostIp: '', HostPort: '8000' }], '81/tcp': [{ HostIp: '', HostPort: '8001' }] }],
    ['8000-8010:80', { '80/tcp': [{ HostIp: '', HostPort: '8000-8010' }] }], // any free port of the range
  ])('%s', (spec, bindings) => {
    const ports = parsePorts([spec]);
    expect(ports.bindings).toEqual(bindings);
    expect(Object.keys(ports.exposed)).toEqual(Object.keys(bindings));
  });

  it('combines two bindings of one port and --expose ranges', () => {
    const ports = parsePorts(['8080:80', '127.0.0.1:9090:80'], ['443', '7000-7001/udp']);
    expect(ports.bindings['80/tcp']).toHaveLength(2);
    expect(Object.keys(ports.exposed).sort()).toEqual(['443/tcp', '7000/udp', '7001/udp', '80/tcp']);
  });

  it.each([
    ['0:80', /invalid host port "0"/],
    ['80:99999', /invalid container port "99999"/],
    ['1.2.3:80:80', /invalid IP address "1.2.3"/],
    ['80/icmp', /invalid proto "icmp"/],
    ['8000-8002:80-81', /differ in size/],
    ['a:b:c:d', /too many colons/],
    ['8080:', /no port specified/],
    ['90-80', /invalid container port "90-80"/],
  ])('refuses %s', (spec, message) => {
    expect(() => parsePorts([spec])).toThrow(message);
  });
});

describe('volumes, mounts, tmpfs', () => {
  it('splits -v into anonymous volumes and binds', () => {
    expect(splitVolumes(['/data', 'named:/srv', '/host:/in:ro', './rel:/x:rw'])).toEqual({
      volumes: { '/data': {} },
      binds: ['named:/srv', '/host:/in:ro', './rel:/x:rw'],
    });
  });

  it.each([
    ['relative', /container path must be absolute/],
    ['a:relative', /container path must be absolute/],
    ['/a:/b:xx', /invalid mode "xx"/],
    ['/a:/b:ro:extra', /too many colons/],
    [':/b', /invalid volume specification/],
  ])('-v %s is refused', (spec, message) => {
    expect(() => splitVolumes([spec])).toThrow(message);
  });

  it.each([
    ['type=bind,source=/h,target=/c,readonly,bind-propagation=rshared',
      { Type: 'bind', Source: '/h', Target: '/c', ReadOnly: true, BindOptions: { Propagation: 'rshared' } }],
    ['src=v1,dst=/data,volume-nocopy,volume-opt=type=tmpfs,volume-label=a=b',
      { Type: 'volume', Source: 'v1', Target: '/data', VolumeOptions: { NoCopy: true, DriverConfig: { Options: { type: 'tmpfs' } }, Labels: { a: 'b' } } }],
    ['type=tmpfs,destination=/run,tmpfs-size=1m,tmpfs-mode=1770',
      { Type: 'tmpfs', Target: '/run', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1770 } }],
    ['type=volume,target=/anon,ro=false', { Type: 'volume', Target: '/anon', ReadOnly: false }],
  ])('--mount %s', (spec, mount) => {
    expect(parseMount(spec)).toEqual(mount);
  });

  it.each([
    ['type=bind,target=/c', /source is required for a bind mount/],
    ['type=volume,source=v', /target is required/],
    ['type=nfs,target=/c', /invalid mount type "nfs"/],
    ['type=bind,source=/a,target=/b,tmpfs-size=1m', /cannot mix 'tmpfs-\*' options with mount type 'bind'/],
    ['type=tmpfs,target=/t,tmpfs-mode=999', /invalid tmpfs-mode/],
    ['type=volume,target=/t,readonly=maybe', /expected true or false/],
    ['target', /invalid field 'target' must be a key=value pair/],
    ['type=volume,target=/t,colour=red', /unexpected key 'colour'/],
  ])('--mount %s is refused', (spec, message) => {
    expect(() => parseMount(spec)).toThrow(message);
  });

  it('--tmpfs keeps the options string', () => {
    expect(parseTmpfs(['/run:rw,size=1m', '/tmp'])).toEqual({ '/run': 'rw,size=1m', '/tmp': '' });
    expect(() => parseTmpfs(['run'])).toThrow(/must be absolute/);
  });

  it.each([
    ['64m', 64 * 1024 * 1024], ['1g', 1024 ** 3], ['512k', 524288], ['1024', 1024], ['2MiB', 2 * 1024 * 1024], ['1.5k', 1536],
  ])('--shm-size %s', (text, bytes) => {
    expect(ramInBytes(text)).toBe(bytes);
  });
  it('--shm-size garbage is refused', () => {
    expect(() => ramInBytes('lots', '--shm-size')).toThrow(/invalid --shm-size "lots"/);
  });
});

describe('run flags → POST /containers/create body', () => {
  const base = (flags = {}, cmd: string[] = []) => containerCreateBody(flags, 'busybox', cmd, { HOME: '/root' });

  it('defaults like Docker: default network mode, attached output, no command override', () => {
    const { name, body } = base();
    expect(name).toBeUndefined();
    expect(body).toMatchObject({ Image: 'busybox', Cmd: null, AttachStdout: true, AttachStderr: true, HostConfig: { NetworkMode: 'default', AutoRemove: false } });
    expect(body.NetworkingConfig).toEqual({ EndpointsConfig: {} });
  });

  it('maps every network-facing flag', () => {
    const { name, body } = base(
      {
        name: 'web', hostname: 'h1', network: 'net1', ip: '10.10.10.51', networkAlias: ['www'], publish: ['8080:80'], publishAll: true,
        dns: ['1.1.1.1'], dnsSearch: ['example.com'], dnsOption: ['ndots:2'], addHost: ['db:10.0.0.9'], link: ['db:database', 'cache'],
        env: ['A=1', 'HOME', 'MISSING'], shmSize: '128m', rm: true, detach: true, tmpfs: ['/run:size=1m'], volumesFrom: ['data:ro'],
      },
      ['httpd', '-f'],
    );
    expect(name).toBe('web');
    expect(body).toMatchObject({
      Hostname: 'h1',
      Cmd: ['httpd', '-f'],
      Env: ['A=1', 'HOME=/root'],
      AttachStdout: false,
      ExposedPorts: { '80/tcp': {} },
      HostConfig: {
        NetworkMode: 'net1', PublishAllPorts: true, AutoRemove: true, PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] },
        Dns: ['1.1.1.1'], DnsSearch: ['example.com'], DnsOptions: ['ndots:2'], ExtraHosts: ['db:10.0.0.9'],
        Links: ['db:database', 'cache'], ShmSize: 128 * 1024 * 1024, Tmpfs: { '/run': 'size=1m' }, VolumesFrom: ['data:ro'],
      },
      NetworkingConfig: { EndpointsConfig: { net1: { IPAMConfig: { IPv4Address: '10.10.10.51' }, Aliases: ['www'] } } },
    });
  });

  it.each([
    [{ name: 'bad name' }, /invalid container name "bad name"/],
    [{ ip: '10.0.0.300', network: 'n' }, /invalid --ip "10.0.0.300"/],
    [{ ip: '10.0.0.3', network: 'none' }, /not possible with --network none/],
    [{ network: 'container:a', publish: ['80'] }, /conflicting options: port publishing/],
    [{ dns: ['dns.google'] }, /invalid --dns "dns.google": not an IP address/],
    [{ addHost: ['nohost'] }, /invalid --add-host "nohost": expected HOST:IP/],
    [{ addHost: ['db:notanip'] }, /"notanip" is not an IP address/],
    [{ link: ['a:b:c'] }, /invalid --link "a:b:c"/],
    [{ env: ['=x'] }, /empty name/],
    [{ macAddress: 'zz' }, /invalid --mac-address/],
    [{ network: '' }, /invalid --network ""/],
  ])('%j is refused', (flags, message) => {
    expect(() => base(flags)).toThrow(FlagError);
    expect(() => base(flags)).toThrow(message);
  });

  it('requires an image', () => {
    expect(() => containerCreateBody({}, '', [])).toThrow(/requires at least 1 argument/);
  });

  it('--add-host accepts host=ip, bracketed IPv6 and host-gateway', () => {
    expect(parseExtraHosts(['a=1.2.3.4', 'b:[fd00::1]', 'c:host-gateway'])).toEqual(['a:1.2.3.4', 'b:fd00::1', 'c:host-gateway']);
  });

  it('-e KEY without a value in the environment is dropped, as in Docker', () => {
    expect(parseEnv(['X', 'Y=', 'Z=a=b'], { X: 'x' })).toEqual(['X=x', 'Y=', 'Z=a=b']);
  });
});
