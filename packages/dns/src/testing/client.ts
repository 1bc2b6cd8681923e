import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';

/** One UDP exchange with a timeout; resolves null when nothing came back. */
export function udpQuery(port: number, msg: Buffer, timeoutMs = 2000, address = '127.0.0.1'): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const sock = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    const done = (r: Buffer | null): void => {
      clearTimeout(t);
      sock.close();
      resolve(r);
    };
    const t = setTimeout(() => done(null), timeoutMs);
    sock.on('message', (m) => done(m));
    sock.on('error', () => done(null));
    sock.send(msg, port, address);
  });
}

/** Opens a TCP connection and returns a reader of framed messages. */
export async function tcpConnect(port: number, address = '127.0.0.1'): Promise<{
  sock: Socket;
  send(msg: Buffer): void;
  next(timeoutMs?: number): Promise<Buffer | null>;
  closed: Promise<void>;
}> {
  const sock = connect({ port, host: address });
  await new Promise<void>((res, rej) => {
    sock.once('connect', res);
    sock.once('error', rej);
  });
  let buf = Buffer.alloc(0);
  const waiters: (() => void)[] = [];
  sock.on('data', (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    waiters.splice(0).forEach((w) => w());
  });
  sock.on('error', () => undefined);
  const closed = new Promise<void>((res) => sock.once('close', () => {
    waiters.splice(0).forEach((w) => w());
    res();
  }));
  return {
    sock,
    closed,
    send(msg) {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length);
      sock.write(Buffer.concat([len, msg]));
    },
    async next(timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const m = buf.subarray(2, 2 + buf.readUInt16BE(0));
          buf = buf.subarray(2 + m.length);
          return m;
        }
        if (sock.destroyed || Date.now() > deadline) return null;
        await new Promise<void>((res) => {
          waiters.push(res);
          setTimeout(res, Math.max(1, deadline - Date.now())).unref();
        });
      }
    },
  };
}
