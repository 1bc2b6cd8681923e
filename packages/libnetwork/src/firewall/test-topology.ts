import type { ChildProcess } from 'node:child_process';
import { trackedTestNs, type TestNs } from '@tsnet/testkit';

/**
 * A hand-built Docker-like topology for the netns tests, made with `ip` only (no tsnet code under
 * test): a "host" namespace with bridges, "container" namespaces joined by veth pairs, and an
 * "outside" namespace on the host's uplink (192.0.2.0/24). Servers answer with their name and
 * the peer address they saw, so a test can tell DNAT from masquerade.
 */

export interface Container {
  ns: TestNs;
  ip: string;
  name: string;
}

export interface Topology {
  host: TestNs;
  outside: TestNs;
  containers: Map<string, Container>;
  servers: ChildProcess[];
  destroy(): void;
}

const UPLINK_HOST = '192.0.2.1';
export const OUTSIDE_IP = '192.0.2.2';
export const HOST_IP = UPLINK_HOST;

export function makeTopology(): Topology {
  const host = trackedTestNs('tsnet-fw-host');
  const outside = trackedTestNs('tsnet-fw-out');
  const t: Topology = {
    host,
    outside,
    containers: new Map(),
    servers: [],
    destroy() {
      for (const s of t.servers) s.kill('SIGKILL');
      for (const c of t.containers.values()) c.ns.destroy();
      outside.destroy();
      host.destroy();
    },
  };
  host.sh(`ip link add uplink type veth peer name uplinkp && ip link set uplinkp netns ${outside.name}`);
  host.sh(`ip addr add ${UPLINK_HOST}/24 dev uplink && ip link set uplink up && sysctl -qw net.ipv4.ip_forward=1`);
  outside.sh(`ip addr add ${OUTSIDE_IP}/24 dev uplinkp && ip link set uplinkp up`);
  return t;
}

export function addBridge(t: Topology, bridge: string, gatewayCidr: string): void {
  t.host.sh(`ip link add ${bridge} type bridge && ip addr add ${gatewayCidr} dev ${bridge} && ip link set ${bridge} up`);
}

/** A container namespace on `bridge` with address ip/24, default route via gateway, hairpin on. */
export function addContainer(t: Topology, name: string, bridge: string, ip: string, gateway: string): Container {
  const ns = trackedTestNs(`tsnet-fw-${name}`);
  const veth = `v${name}`.slice(0, 15);
  t.host.sh(`ip link add ${veth} type veth peer name eth0 netns ${ns.name}`);
  t.host.sh(`ip link set ${veth} master ${bridge} && ip link set ${veth} type bridge_slave hairpin on && ip link set ${veth} up`);
  ns.sh(`ip addr add ${ip}/24 dev eth0 && ip link set eth0 up && ip route add default via ${gateway}`);
  const c = { ns, ip, name };
  t.containers.set(name, c);
  return c;
}

const SERVER = `
const [name, port, proto] = process.argv.slice(1);
if (proto === 'udp') {
  const s = require('dgram').createSocket('udp4');
  s.on('message', (m, r) => s.send(name + ' from ' + r.address + ' ' + m, r.port, r.address));
  s.bind(+port, process.argv[4] || '0.0.0.0', () => console.log('ready'));
} else {
  require('net').createServer((s) => s.end(name + ' from ' + s.remoteAddress + '\\n')).listen(+port, process.argv[4] || '0.0.0.0', () => console.log('ready'));
}`;

/** Starts a server in ns answering "<name> from <peer>"; resolves when it listens. */
export function serve(t: Topology, ns: TestNs, name: string, port: number, proto: 'tcp' | 'udp' = 'tcp', address?: string): Promise<void> {
  const child = ns.spawn(['node', '-e', SERVER, name, String(port), proto, ...(address ? [address] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.servers.push(child);
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (String(d).includes('ready')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`server ${name} exited ${code}`)));
  });
}

/** TCP request with busybox nc: the server's answer, or '' when nothing answered. */
export function tcpGet(ns: TestNs, ip: string, port: number): string {
  return ns.exec(['timeout', '4', 'busybox', 'nc', '-w', '2', ip, String(port)], { input: '', timeoutMs: 6000 }).stdout.trim();
}

/** True when one ping gets an answer. */
export function pings(ns: TestNs, ip: string): boolean {
  return ns.exec(['busybox', 'ping', '-c', '1', '-W', '1', ip], { timeoutMs: 5000 }).status === 0;
}

const UDP_CLIENT = `
const [ip, port] = process.argv.slice(1);
const s = require('dgram').createSocket('udp4');
s.connect(+port, ip, () => s.send('ping'));
s.on('message', (m) => { console.log(String(m)); process.exit(0); });
s.on('error', () => process.exit(1));
setTimeout(() => process.exit(2), 2000);`;

/** UDP request from a *connected* socket: an answer from any other address/port is dropped by the kernel. */
export function udpGet(ns: TestNs, ip: string, port: number): string {
  return ns.exec(['node', '-e', UDP_CLIENT, ip, String(port)], { timeoutMs: 6000 }).stdout.trim();
}

const CONNECT = `
const s = require('net').connect(+process.argv[2], process.argv[1]);
const t = setTimeout(() => { console.log('timeout'); process.exit(0); }, 3000);
// Closes gracefully (reads the answer, then FIN) so the server never sees a reset.
s.on('connect', () => { s.resume(); s.end(); s.on('close', () => { console.log('connected'); process.exit(0); }); });
s.on('error', (e) => { console.log(e.code); process.exit(0); });`;

/** What a TCP connect from ns to ip:port gets within 3 s: 'connected', an errno code ('ECONNREFUSED'), or 'timeout'. */
export function tcpConnect(ns: TestNs, ip: string, port: number): string {
  return ns.exec(['node', '-e', CONNECT, ip, String(port)], { timeoutMs: 8000 }).stdout.trim();
}
