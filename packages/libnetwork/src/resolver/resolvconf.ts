import { isIP } from 'node:net';

/**
 * /etc/resolv.conf for a sandbox, by Docker's rules (libnetwork sandbox_dns_unix.go and
 * resolvconf/): loopback nameservers of the host are never copied (they would point at the
 * container itself); IPv6 nameservers only when the sandbox has IPv6; Google's servers when nothing
 * is left; `--dns`, `--dns-search`, `--dns-option` replace the host's values one by one; on
 * user-defined networks the file names the embedded server (127.0.0.11) with `ndots:0` and the
 * external servers become its upstreams.
 */

export interface ParsedResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

export const EMBEDDED_DNS_IP = '127.0.0.11';
export const DEFAULT_V4_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];
export const DEFAULT_V6_NAMESERVERS = ['2001:4860:4860::8888', '2001:4860:4860::8844'];

export function parseResolvConf(content: string): ParsedResolvConf {
  const out: ParsedResolvConf = { nameservers: [], search: [], options: [] };
  for (const raw of content.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0] !== undefined) out.nameservers.push(rest[0].replace(/%.*$/, ''));
    // The last search/domain line wins (resolv.conf(5)).
    else if (key === 'search' || key === 'domain') out.search = rest;
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}

export function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1' || ip === '0:0:0:0:0:0:0:1';
}

export interface ResolvConfInput {
  /** Content of the host's resolv.conf ('' when missing). */
  host: string;
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  ipv6: boolean;
  /** The sandbox is on a user-defined network: point it at 127.0.0.11. */
  embeddedDns: boolean;
  /** Host networking: the host's file is used as it is (its loopback servers are reachable). */
  hostMode?: boolean;
}

export interface ResolvConfResult {
  content: string;
  /** The servers the embedded resolver forwards to (what the container would use without it). */
  upstreams: string[];
  nameservers: string[];
  search: string[];
  options: string[];
}

export function buildResolvConf(input: ResolvConfInput): ResolvConfResult {
  const host = parseResolvConf(input.host);
  if (input.hostMode && !input.dns?.length && !input.dnsSearch?.length && !input.dnsOptions?.length) {
    return { content: input.host, upstreams: host.nameservers, ...host };
  }
  let nameservers = input.dns?.length ? [...input.dns] : filterNameservers(host.nameservers, input.ipv6);
  if (nameservers.length === 0) {
    nameservers = [...DEFAULT_V4_NAMESERVERS, ...(input.ipv6 ? DEFAULT_V6_NAMESERVERS : [])];
  }
  const search = input.dnsSearch?.length ? input.dnsSearch.filter((s) => s !== '.') : host.search;
  let options = input.dnsOptions?.length ? [...input.dnsOptions] : host.options;
  const upstreams = nameservers;
  if (input.embeddedDns) {
    // IPv6 servers stay listed beside the embedded one (Docker does the same: the resolver only
    // listens on 127.0.0.11), and a user's own ndots wins over the resolver's ndots:0.
    nameservers = [EMBEDDED_DNS_IP, ...nameservers.filter((ns) => isIP(ns) === 6)];
    if (!options.some((o) => o.startsWith('ndots'))) options = [...options, 'ndots:0'];
  }
  return { content: renderResolvConf(nameservers, search, options), upstreams, nameservers, search, options };
}

function filterNameservers(list: string[], ipv6: boolean): string[] {
  return list.filter((ns) => !isLoopback(ns) && (ipv6 || isIP(ns) !== 6));
}

export function renderResolvConf(nameservers: string[], search: string[], options: string[]): string {
  const lines = nameservers.map((ns) => `nameserver ${ns}`);
  if (search.length > 0) lines.push(`search ${search.join(' ')}`);
  if (options.length > 0) lines.push(`options ${options.join(' ')}`);
  return lines.join('\n') + '\n';
}
