import { invalid } from '@tsnet/errors';
import { cidrContains, cidrParts, cidrsOverlap, parseCidr, parseIp } from '../model/names.js';
import type { IpamConfigInput, NetworkRecord } from '../model/types.js';
import { conflict } from '@tsnet/errors';

/** One validated `--subnet` group, per address family. */
export interface PoolRequest {
  family: 4 | 6;
  subnet?: string;
  ipRange?: string;
  gateway?: string;
  auxAddresses: Record<string, string>;
}

/**
 * `--subnet/--ip-range/--gateway/--aux-address` checked before anything is allocated: every value
 * parses, everything lies inside its subnet, IPv6 only with `--ipv6`, one subnet per family (the
 * bridge driver's rule), and no overlap with another network's pools.
 */
export function validateIpamConfig(config: IpamConfigInput[], enableIPv6: boolean, others: NetworkRecord[]): PoolRequest[] {
  const requests = config.map(parseEntry);
  for (const family of [4, 6] as const) {
    if (requests.filter((r) => r.family === family).length > 1) {
      throw invalid('ERR_INVALID_IPAM_CONFIG', `only one IPv${family} subnet per network is supported`);
    }
  }
  if (!enableIPv6 && requests.some((r) => r.family === 6)) {
    throw invalid('ERR_IPV6_NOT_ENABLED', 'an IPv6 subnet was given but IPv6 is not enabled on the network (--ipv6)');
  }
  for (const r of requests) {
    if (r.subnet === undefined) continue;
    for (const n of others) {
      const clash = n.pools.find((p) => cidrsOverlap(p.pool, r.subnet!));
      if (clash) {
        throw conflict('ERR_SUBNET_OVERLAP', `subnet ${r.subnet} overlaps ${clash.pool} of network "${n.name}"`, {
          details: { subnet: r.subnet, network: n.name, pool: clash.pool },
        });
      }
    }
  }
  if (!requests.some((r) => r.family === 4)) requests.unshift({ family: 4, auxAddresses: {} });
  if (enableIPv6 && !requests.some((r) => r.family === 6)) requests.push({ family: 6, auxAddresses: {} });
  return requests;
}

function parseEntry(entry: IpamConfigInput): PoolRequest {
  if (entry.subnet === undefined) {
    if (entry.ipRange !== undefined || entry.gateway !== undefined || Object.keys(entry.auxAddresses ?? {}).length > 0) {
      throw invalid('ERR_INVALID_IPAM_CONFIG', 'ip-range, gateway and aux-address need a subnet');
    }
    return { family: 4, auxAddresses: {} };
  }
  const subnet = parseCidr(entry.subnet);
  if (subnet !== entry.subnet) {
    throw invalid('ERR_INVALID_SUBNET', `invalid subnet ${entry.subnet}: host bits are set (did you mean ${subnet}?)`, { details: { subnet: entry.subnet } });
  }
  const { family } = cidrParts(subnet);
  const out: PoolRequest = { family, subnet, auxAddresses: {} };
  if (entry.ipRange !== undefined) {
    const range = parseCidr(entry.ipRange, 'ip-range');
    const rp = cidrParts(range);
    if (rp.family !== family || rp.prefix < cidrParts(subnet).prefix || !cidrContains(subnet, rp.ip)) {
      throw invalid('ERR_INVALID_IP_RANGE', `ip-range ${entry.ipRange} is not inside subnet ${subnet}`);
    }
    out.ipRange = range;
  }
  if (entry.gateway !== undefined) out.gateway = inside(subnet, entry.gateway, 'gateway');
  for (const [name, ip] of Object.entries(entry.auxAddresses ?? {})) {
    out.auxAddresses[name] = inside(subnet, ip, `aux-address ${name}`);
    if (ip === out.gateway) throw invalid('ERR_INVALID_ADDRESS', `aux-address ${name}=${ip} is the gateway of subnet ${subnet}`);
  }
  return out;
}

function inside(subnet: string, ip: string, what: string): string {
  parseIp(ip, what);
  if (!cidrContains(subnet, ip)) throw invalid('ERR_INVALID_ADDRESS', `${what} ${ip} is not inside subnet ${subnet}`, { details: { ip, subnet } });
  return ip;
}
