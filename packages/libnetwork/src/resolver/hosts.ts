import { invalid } from '@tsnet/errors';
import { isIP } from 'node:net';

/**
 * /etc/hosts for a sandbox, laid out like Docker's etchosts.Build: the loopback block, then
 * `--add-host` records, then legacy `--link` aliases, then the container's own name on each of
 * its addresses.
 */

export interface HostsRecord {
  ip: string;
  names: string[];
}

export const LOCALHOST_BLOCK: HostsRecord[] = [
  { ip: '127.0.0.1', names: ['localhost'] },
  { ip: '::1', names: ['localhost', 'ip6-localhost', 'ip6-loopback'] },
  { ip: 'fe00::0', names: ['ip6-localnet'] },
  { ip: 'ff00::0', names: ['ip6-mcastprefix'] },
  { ip: 'ff02::1', names: ['ip6-allnodes'] },
  { ip: 'ff02::2', names: ['ip6-allrouters'] },
];

/** `--add-host name:ip` (Docker also accepts `name=ip`); the IP may be IPv6 (`name:::1`). */
export function parseExtraHost(spec: string): HostsRecord {
  const sep = spec.includes('=') ? spec.indexOf('=') : spec.indexOf(':');
  const name = spec.slice(0, sep);
  let ip = spec.slice(sep + 1);
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (sep <= 0 || !/^[a-zA-Z0-9_.-]+$/.test(name) || (isIP(ip) === 0 && ip !== 'host-gateway')) {
    throw invalid('ERR_INVALID_EXTRA_HOST', `invalid --add-host ${JSON.stringify(spec)}: expected name:ip`);
  }
  return { ip, names: [name] };
}

export interface HostsInput {
  hostname: string;
  domainname?: string;
  /** The sandbox's own addresses, one per network, in connect order. */
  addresses: string[];
  extraHosts?: HostsRecord[];
  links?: HostsRecord[];
  /** Host networking: no own-address lines (Docker copies the host's file there; see buildHostsFile). */
  hostMode?: boolean;
}

export function ownNames(hostname: string, domainname?: string): string[] {
  if (!hostname) return [];
  return domainname ? [`${hostname}.${domainname}`, hostname] : [hostname];
}

export function buildHosts(input: HostsInput): string {
  const records: HostsRecord[] = [...LOCALHOST_BLOCK, ...(input.extraHosts ?? []), ...(input.links ?? [])];
  const names = ownNames(input.hostname, input.domainname);
  if (names.length > 0) for (const ip of input.addresses) records.push({ ip, names });
  return records.map((r) => `${r.ip}\t${r.names.join(' ')}`).join('\n') + '\n';
}

/** Host networking: the host's own file plus `--add-host` records, as Docker does. */
export function buildHostModeHosts(hostFile: string, extraHosts: HostsRecord[]): string {
  const base = hostFile.endsWith('\n') || hostFile === '' ? hostFile : `${hostFile}\n`;
  return base + extraHosts.map((r) => `${r.ip}\t${r.names.join(' ')}\n`).join('');
}
