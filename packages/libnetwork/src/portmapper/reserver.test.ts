import { describe, expect, it } from 'vitest';
import { PortReserver, type SocketOpener } from './reserver.js';

/** A fake kernel: some ports are taken by "another process"; every bind gets a fresh fd. */
function fakeKernel(busy: number[] = []) {
  let next = 100;
  const open = new Set<number>();
  const specs: Array<Parameters<SocketOpener>[1]> = [];
  const opener: SocketOpener = (_ns, spec) => {
    specs.push(spec);
    if (busy.includes(spec.port)) throw Object.assign(new Error('bind: address in use'), { code: 'EADDRINUSE' });
    if (spec.address === '1.2.3.4') {
      throw Object.assign(new Error("EADDRNOTAVAIL: Cannot assign requested address, bind '1.2.3.4:8090'"), { code: 'EADDRNOTAVAIL', syscall: 'bind' });
    }
    open.add(next);
    return { fd: next++, port: spec.port };
  };
  return { opener, open, specs, close: (fd: number) => void open.delete(fd) };
}

const holder = (container: string) => ({ container, endpoint: `ep-${container}`, network: 'web' });

describe('PortReserver', () => {
  it('holds a port with a socket and names the holder on conflict', async () => {
    const k = fakeKernel();
    const r = new PortReserver({ openSocket: k.opener, closeFd: k.close, portRange: () => [40000, 40010] });
    const a = r.reserve({ proto: 'tcp', hostIp: '', hostPort: 8080, holder: holder('web1') });
    expect(a.fd).toBe(100);
    expect(() => r.reserve({ proto: 'tcp', hostIp: '127.0.0.1', hostPort: 8080, holder: holder('web2') })).toThrow(
      expect.objectContaining({ code: 'ERR_PORT_IN_USE', message: 'Bind for 127.0.0.1:8080/tcp failed: port is already allocated to container web1 (endpoint ep-web1, network web)' }),
    );
    // Another protocol or family is another port.
    expect(r.reserve({ proto: 'udp', hostIp: '', hostPort: 8080, holder: holder('web2') }).hostPort).toBe(8080);
    expect(r.reserve({ proto: 'tcp', hostIp: '::1', hostPort: 8080, holder: holder('web2') }).family).toBe(6);
    await r.release(a);
    expect(k.open.has(100)).toBe(false);
    expect(r.reserve({ proto: 'tcp', hostIp: '127.0.0.1', hostPort: 8080, holder: holder('web2') }).hostPort).toBe(8080);
  });

  it('dualStack: holds "every address" with one [::] socket, on both families, falling back to 0.0.0.0 (F43)', async () => {
    const k = fakeKernel();
    const r = new PortReserver({ openSocket: k.opener, closeFd: k.close, dualStack: true });
    const a = r.reserve({ proto: 'tcp', hostIp: '', hostPort: 8080, holder: holder('web1') });
    expect(k.specs).toEqual([{ type: 'tcp', address: '::', port: 8080, listen: false }]);
    expect(a).toMatchObject({ family: 4, dualStack: true, fd: 100 });
    // Its IPv6 side is ours too: another container is refused by name, the same one needs no second socket.
    expect(() => r.reserve({ proto: 'tcp', hostIp: '::1', hostPort: 8080, holder: holder('web2') })).toThrow(
      expect.objectContaining({ code: 'ERR_PORT_IN_USE', message: expect.stringContaining('allocated to container web1') }),
    );
    expect(r.reserve({ proto: 'tcp', hostIp: '', hostPort: 8080, family: 6, holder: holder('web1') }).fd).toBeUndefined();
    // A specific address is not "every address": bound as asked.
    r.reserve({ proto: 'udp', hostIp: '127.0.0.1', hostPort: 53, holder: holder('web1') });
    expect(k.specs.at(-1)).toMatchObject({ address: '127.0.0.1' });
    await r.release(a);
    expect(r.holderOf('tcp', '::1', 8080, 6)?.holder.container).toBe('web1'); // web1's own [::] record, still held
    // No IPv6 in the namespace: the usual IPv4 socket.
    const noV6: SocketOpener = (ns, spec) => {
      if (spec.address === '::') throw Object.assign(new Error('socket: address family not supported'), { code: 'EAFNOSUPPORT' });
      return k.opener(ns, spec);
    };
    const b = new PortReserver({ openSocket: noV6, closeFd: k.close, dualStack: true }).reserve({ proto: 'tcp', hostIp: '', hostPort: 9090, holder: holder('x') });
    expect(b.dualStack).toBeUndefined();
    expect(k.specs.at(-1)).toMatchObject({ address: '0.0.0.0', port: 9090 });
  });

  it('asks for a bound, non-listening TCP socket (a stray connection is refused, not queued)', () => {
    const k = fakeKernel();
    const r = new PortReserver({ openSocket: k.opener, closeFd: k.close });
    r.reserve({ proto: 'tcp', hostIp: '', hostPort: 8080, holder: holder('web1') });
    expect(k.specs).toEqual([{ type: 'tcp', address: '0.0.0.0', port: 8080, listen: false }]);
  });

  it("words a bind on an address the host lacks like Docker's userland proxy", () => {
    const k = fakeKernel();
    const r = new PortReserver({ openSocket: k.opener, closeFd: k.close });
    expect(() => r.reserve({ proto: 'tcp', hostIp: '1.2.3.4', hostPort: 8090, holder: holder('x') })).toThrow(
      expect.objectContaining({
        code: 'ERR_PORT_BIND',
        kind: 'internal',
        message: 'Error starting userland proxy: listen tcp4 1.2.3.4:8090: bind: cannot assign requested address',
        details: expect.objectContaining({ errno: 'EADDRNOTAVAIL' }),
      }),
    );
    expect(r.list()).toEqual([]);
  });

  it('says "another process" when the kernel refuses the bind', () => {
    const k = fakeKernel([9000]);
    const r = new PortReserver({ openSocket: k.opener, closeFd: k.close });
    expect(() => r.reserve({ proto: 'tcp', hostIp: '', hostPort: 9000, holder: holder('x') })).toThrow(
      expect.objectContaining({ code: 'ERR_PORT_IN_USE', message: 'Bind for 0.0.0.0:9000/tcp failed: port is already in use by another process' }),
    );
    expect(r.list()).toEqual([]);
  });

  it('picks ephemeral ports from the range, skipping taken ones, and wraps', () => {
    const k = fakeKernel([40001]);
    const r = new PortReserver({ openSocket: k.opener, closeFd: k.close, portRange: () => [40000, 40002] });
    const ports = [0, 1].map(() => r.reserve({ proto: 'tcp', hostIp: '', hostPort: 0, holder: holder('c') }).hostPort);
    expect(ports).toEqual([40000, 40002]); // 40001 is another process's
    expect(() => r.reserve({ proto: 'tcp', hostIp: '', hostPort: 0, holder: holder('c') })).toThrow(
      expect.objectContaining({ code: 'ERR_PORT_IN_USE', message: 'no free tcp port in the ephemeral range 40000-40002 on every address' }),
    );
  });

  it('picks one port of a host range (-p 8000-8002:80)', () => {
    const k = fakeKernel([8000]);
    const r = new PortReserver({ openSocket: k.opener, closeFd: k.close });
    expect(r.reserve({ proto: 'udp', hostIp: '', hostPort: 8000, hostPortEnd: 8002, holder: holder('c') }).hostPort).toBe(8001);
  });

  it('reserves SCTP in its table only (no socket)', () => {
    const k = fakeKernel();
    const r = new PortReserver({ openSocket: k.opener, closeFd: k.close });
    expect(r.reserve({ proto: 'sctp', hostIp: '', hostPort: 9000, holder: holder('c') }).fd).toBeUndefined();
    expect(() => r.reserve({ proto: 'sctp', hostIp: '', hostPort: 9000, holder: holder('d') })).toThrow(expect.objectContaining({ code: 'ERR_PORT_IN_USE' }));
  });

  it('reserves many ports all or nothing (reserveMany)', () => {
    const k = fakeKernel([8002]);
    const r = new PortReserver({ openSocket: k.opener, closeFd: k.close });
    const ok = r.reserveMany([8000, 8001].map((hostPort) => ({ proto: 'tcp' as const, hostIp: '', hostPort, holder: holder('a') })));
    expect(ok.map((x) => x.hostPort)).toEqual([8000, 8001]);
    expect(() => r.reserveMany([8003, 8002].map((hostPort) => ({ proto: 'tcp' as const, hostIp: '', hostPort, holder: holder('b') })))).toThrow(
      expect.objectContaining({ code: 'ERR_PORT_IN_USE', details: expect.objectContaining({ port: 8002 }) }),
    );
    // 8003 was given back: only a's two sockets are open.
    expect(r.list().map((x) => x.hostPort)).toEqual([8000, 8001]);
    expect(k.open.size).toBe(2);
  });

  it('releases everything a container holds', async () => {
    const k = fakeKernel();
    const r = new PortReserver({ openSocket: k.opener, closeFd: k.close });
    r.reserve({ proto: 'tcp', hostIp: '', hostPort: 1, holder: holder('a') });
    r.reserve({ proto: 'udp', hostIp: '', hostPort: 1, holder: holder('a') });
    r.reserve({ proto: 'tcp', hostIp: '', hostPort: 2, holder: holder('b') });
    await r.releaseHolder('a');
    expect(r.list().map((x) => x.holder.container)).toEqual(['b']);
    expect(k.open.size).toBe(1);
  });
});
