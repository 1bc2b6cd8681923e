import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, isIP, type Server } from 'node:net';
import { invalid } from '@tsnet/errors';

/**
 * The userland proxy, used only when `userland-proxy` is on: a Node relay that behaves like
 * docker-proxy. It listens on the socket the PortReserver already bound in the host namespace
 * (adopted by fd, so the port is never free in between) and relays to the container.
 * TCP: one upstream connection per client, half-close propagated. UDP: one upstream socket per
 * client address, forgotten after 90 s idle (docker-proxy's UDPConnTrackTimeout).
 */

export interface ProxySpec {
  proto: 'tcp' | 'udp';
  /** The reserved host socket (TCP: listening). */
  fd: number;
  containerIp: string;
  containerPort: number;
  /** UDP idle timeout (ms). */
  udpIdleMs?: number;
}

export interface UserlandProxy {
  close(): Promise<void>;
}

export async function startUserlandProxy(spec: ProxySpec): Promise<UserlandProxy> {
  if (!isIP(spec.containerIp) || !Number.isInteger(spec.containerPort)) {
    throw invalid('ERR_INVALID_PROXY', `invalid proxy target ${spec.containerIp}:${spec.containerPort}`);
  }
  return spec.proto === 'tcp' ? tcpProxy(spec) : udpProxy(spec);
}

async function tcpProxy(spec: ProxySpec): Promise<UserlandProxy> {
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ host: spec.containerIp, port: spec.containerPort, allowHalfOpen: true });
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', () => upstream.end());
    upstream.on('close', () => client.end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ fd: spec.fd }, () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  };
}

async function udpProxy(spec: ProxySpec): Promise<UserlandProxy> {
  const idle = spec.udpIdleMs ?? 90_000;
  const family = isIP(spec.containerIp) === 6 ? 'udp6' : 'udp4';
  const front: UdpSocket = createSocket({ type: family });
  const flows = new Map<string, { sock: UdpSocket; timer: NodeJS.Timeout }>();
  const forget = (key: string) => {
    const f = flows.get(key);
    if (!f) return;
    clearTimeout(f.timer);
    f.sock.close();
    flows.delete(key);
  };
  front.on('message', (msg: Buffer, from: RemoteInfo) => {
    const key = `${from.address}|${from.port}`;
    let flow = flows.get(key);
    if (!flow) {
      const sock = createSocket({ type: family });
      sock.on('message', (reply) => {
        front.send(reply, from.port, from.address);
        const f = flows.get(key);
        if (f) f.timer.refresh();
      });
      sock.on('error', () => forget(key));
      flow = { sock, timer: setTimeout(() => forget(key), idle) };
      flows.set(key, flow);
    }
    flow.timer.refresh();
    flow.sock.send(msg, spec.containerPort, spec.containerIp);
  });
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.bind({ fd: spec.fd }, () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const key of [...flows.keys()]) forget(key);
        front.close(() => resolve());
      }),
  };
}
