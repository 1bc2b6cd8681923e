import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeQuery } from './dns2.js';
import { tcpConnect, udpQuery } from './testing/client.js';

/**
 * Adopting sockets by file descriptor, the way a sandbox's sockets arrive: here another process
 * (python) makes and binds them, and execs the server with the descriptors inherited.
 */
const childServer = fileURLToPath(new URL('./testing/child-server.ts', import.meta.url));
const python = `
import os, socket, sys, json
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', 0))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(('127.0.0.1', u.getsockname()[1]))
f = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); f.bind(('127.0.0.1', 0))
u.set_inheritable(True); t.set_inheritable(True); f.set_inheritable(True)
cfg = json.loads(sys.argv[1])
cfg['listeners'][0].update(udpFd=u.fileno(), tcpFd=t.fileno(), forwardUdpFd=f.fileno())
print(json.dumps({'forwardPort': f.getsockname()[1]}), flush=True)
os.execvp(sys.argv[2], [sys.argv[2], '--conditions=source', '--import', 'tsx', sys.argv[3], json.dumps(cfg)])
`;

describe('adopted sockets', () => {
  it('answers on UDP and TCP sockets adopted by fd, and forwards from an adopted socket', async () => {
    // The upstream: answers with a copy of the query marked as a response, and notes the source port.
    const upstream = createSocket('udp4');
    const sources: number[] = [];
    upstream.on('message', (m, r) => {
      sources.push(r.port);
      const resp = Buffer.from(m);
      resp[2] = 0x81;
      resp[3] = 0x83; // NXDOMAIN
      upstream.send(resp, r.port, r.address);
    });
    await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', r));
    const config = {
      holders: [{ scope: 'n', id: 'web', record: { names: ['web'], addresses: ['10.0.0.2'] } }],
      listeners: [{ id: 'l', scopes: ['n'], upstreams: [{ address: '127.0.0.1', port: upstream.address().port }] }],
    };
    const child = spawn('python3', ['-c', python, JSON.stringify(config), process.execPath, childServer], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const { forwardPort } = JSON.parse((await lines.next()).value as string) as { forwardPort: number };
      const ready = JSON.parse((await lines.next()).value as string) as { listeners: { l: { udpPort: number; tcpPort: number } } };
      const { udpPort, tcpPort } = ready.listeners.l;
      expect(tcpPort).toBe(udpPort);
      const r = await udpQuery(udpPort, encodeQuery({ id: 3, name: 'web', type: 1 }));
      expect(decodeMessage(r!).answers[0]?.address).toBe('10.0.0.2');
      const c = await tcpConnect(tcpPort);
      c.send(encodeQuery({ id: 4, name: 'WEB', type: 1 }));
      expect(decodeMessage((await c.next())!).answers[0]?.address).toBe('10.0.0.2');
      c.sock.destroy();
      const fwd = await udpQuery(udpPort, encodeQuery({ id: 5, name: 'elsewhere.example', type: 1 }));
      expect(decodeMessage(fwd!)).toMatchObject({ id: 5, rcode: 3 });
      expect(sources).toEqual([forwardPort]);
    } finally {
      upstream.close();
      child.stdin.end();
      child.kill();
    }
  });
});
