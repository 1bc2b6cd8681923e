import type { Socket } from 'node:net';

/**
 * One DNS-over-TCP connection (RFC 7766): 2-byte length framing, several queries per connection,
 * answered possibly out of order. Everything is bounded — message length, queries in flight
 * (reading pauses beyond), bytes waiting to be written, idle time, and time to finish a message
 * once it has started (a client dribbling one byte at a time is cut off).
 */

export interface TcpLimits {
  maxMessage: number;
  idleMs: number;
  maxInFlight: number;
  maxWriteBacklog: number;
}

/** Handles one query and calls send exactly once: a response, or null for none. */
export type QueryHandler = (msg: Buffer, send: (resp: Buffer | null) => void) => void;

export function serveTcpConnection(sock: Socket, limits: TcpLimits, handle: QueryHandler): void {
  let buf: Buffer = Buffer.alloc(0);
  let inFlight = 0;
  let pumping = false;
  let partialSince = 0;
  sock.setNoDelay(true);
  sock.setTimeout(limits.idleMs, () => sock.destroy());
  sock.on('error', () => undefined);

  const reply = (resp: Buffer | null): void => {
    inFlight -= 1;
    if (resp && !sock.destroyed) {
      const frame = Buffer.allocUnsafe(resp.length + 2);
      frame.writeUInt16BE(resp.length, 0);
      resp.copy(frame, 2);
      sock.write(frame);
      if (sock.writableLength > limits.maxWriteBacklog) sock.destroy();
    }
    if (!sock.destroyed && sock.isPaused() && inFlight < limits.maxInFlight) sock.resume();
    pump();
  };

  const pump = (): void => {
    if (pumping || sock.destroyed) return;
    pumping = true;
    while (inFlight < limits.maxInFlight && buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (len < 12 || len > limits.maxMessage) {
        sock.destroy();
        break;
      }
      if (buf.length < len + 2) break;
      const msg = Buffer.from(buf.subarray(2, len + 2));
      buf = buf.subarray(len + 2);
      inFlight += 1;
      let sent = false;
      handle(msg, (resp) => {
        if (sent) return;
        sent = true;
        reply(resp);
      });
    }
    if (inFlight >= limits.maxInFlight && !sock.destroyed) sock.pause();
    partialSince = buf.length > 0 ? partialSince || Date.now() : 0;
    pumping = false;
  };

  sock.on('data', (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    if (buf.length > 2 * (limits.maxMessage + 2) || (partialSince && Date.now() - partialSince > limits.idleMs)) {
      sock.destroy();
      return;
    }
    pump();
  });
}
