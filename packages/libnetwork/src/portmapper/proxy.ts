import type { ChildProcess } from 'node:child_process';
import { isIP } from 'node:net';
import { invalid } from '@tsnet/errors';
import { spawnInNetns } from '../netns/index.js';

/**
 * The userland proxy, used only when `userland-proxy` is on. Like docker-proxy it is one process
 * per published port, started inside the host namespace (spawnInNetns), so its connections to the
 * container leave from there even when the daemon's own thread is elsewhere. It serves the very
 * socket the PortReserver bound (handed over as fd 3), so the port is never free in between.
 * TCP: one upstream connection per client, half-close propagated. UDP: one upstream socket per
 * client address, forgotten after 90 s idle (docker-proxy's UDPConnTrackTimeout).
 */

export interface ProxySpec {
  proto: 'tcp' | 'udp';
  /** The reserved host socket (TCP: listening). Stays the caller's: the child gets a duplicate. */
  fd: number;
  containerIp: string;
  containerPort: number;
  /** Family of the host socket (default: the container's): a `[::]` socket may serve an IPv4 container. */
  hostFamily?: 4 | 6;
  /** Namespace the proxy runs in (the reserver's host namespace). */
  nsPath?: string;
  /** UDP idle timeout (ms). */
  udpIdleMs?: number;
}

export interface UserlandProxy {
  readonly pid: number | undefined;
  close(): Promise<void>;
}

/** The relay, run by `node -e` in the child; fd 3 is the host socket. */
const RELAY = String.raw`
const net = require('net'), dgram = require('dgram');
const [proto, ip, port, idle, hostFamily] = process.argv.slice(1);
const ready = () => process.send ? process.send('ready') : console.log('ready');
if (proto === 'tcp') {
  net.createServer({ allowHalfOpen: true }, (client) => {
    const up = net.connect({ host: ip, port: +port, allowHalfOpen: true });
    client.pipe(up); up.pipe(client);
    const end = () => { client.destroy(); up.destroy(); };
    client.on('error', end); up.on('error', end);
  }).listen({ fd: 3 }, ready);
} else {
  // The host socket and the container may differ in family ([::]:port relayed to an IPv4 container).
  const type = ip.includes(':') ? 'udp6' : 'udp4';
  const front = dgram.createSocket(hostFamily === '6' ? 'udp6' : 'udp4'), flows = new Map();
  front.on('message', (msg, from) => {
    const key = from.address + '|' + from.port;
    let f = flows.get(key);
    if (!f) {
      const sock = dgram.createSocket(type);
      const forget = () => { clearTimeout(f.timer); sock.close(); flows.delete(key); };
      f = { sock, timer: setTimeout(() => forget(), +idle) };
      sock.on('message', (reply) => { front.send(reply, from.port, from.address); f.timer.refresh(); });
      sock.on('error', forget);
      flows.set(key, f);
    }
    f.timer.refresh();
    f.sock.send(msg, +port, ip);
  });
  front.bind({ fd: 3 }, ready);
}
process.on('disconnect', () => process.exit(0));
`;

export async function startUserlandProxy(spec: ProxySpec): Promise<UserlandProxy> {
  if (!isIP(spec.containerIp) || !Number.isInteger(spec.containerPort) || spec.containerPort < 1 || spec.containerPort > 65535) {
    throw invalid('ERR_INVALID_PROXY', `invalid proxy target ${spec.containerIp}:${spec.containerPort}`);
  }
  const hostFamily = spec.hostFamily ?? (isIP(spec.containerIp) === 6 ? 6 : 4);
  const args = ['-e', RELAY, spec.proto, spec.containerIp, String(spec.containerPort), String(spec.udpIdleMs ?? 90_000), String(hostFamily)];
  const child: ChildProcess = spawnInNetns(spec.nsPath, process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit', spec.fd, 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(invalid('ERR_INVALID_PROXY', `userland proxy for ${spec.containerIp}:${spec.containerPort} exited (${code})`)));
    child.once('error', reject);
  });
  // The proxy must not keep the daemon alive, and dies with it (IPC disconnect).
  child.unref();
  (child as unknown as { channel?: { unref(): void } }).channel?.unref();
  return {
    pid: child.pid,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
