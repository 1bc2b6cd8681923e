import { isIP } from 'node:net';
import { FlagError, cidrContains, ipToBigInt, keyValues, parseCidr, type ParsedCidr } from './common.js';

export interface NetworkCreateFlags {
  driver?: string;
  subnet?: string[];
  gateway?: string[];
  ipRange?: string[];
  auxAddress?: string[];
  opt?: string[];
  label?: string[];
  ipamDriver?: string;
  ipamOpt?: string[];
  internal?: boolean;
  attachable?: boolean;
  ipv6?: boolean;
  scope?: string;
}

export interface IpamConfigBody {
  Subnet: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/** The body of POST /networks/create, as Docker's CLI sends it. */
export interface NetworkCreateBody {
  Name: string;
  CheckDuplicate: boolean;
  Driver: string;
  Internal: boolean;
  Attachable: boolean;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Config: IpamConfigBody[]; Options: Record<string, string> };
  Options: Record<string, string>;
  Labels: Record<string, string>;
  Scope?: string;
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

function matchSubnet(subnets: ParsedCidr[], value: ParsedCidr | bigint): ParsedCidr[] {
  return subnets.filter((s) => cidrContains(s, value));
}

/**
 * Docker's consolidateIpam: each --ip-range, --gateway and --aux-address belongs to the one
 * --subnet that contains it; at most one range and one gateway per subnet; subnets must not overlap.
 */
export function consolidateIpam(flags: NetworkCreateFlags): IpamConfigBody[] {
  const subnetTexts = flags.subnet ?? [];
  const ranges = flags.ipRange ?? [];
  const gateways = flags.gateway ?? [];
  if (subnetTexts.length < ranges.length || subnetTexts.length < gateways.length) {
    throw new FlagError('every ip-range or gateway must have a corresponding subnet');
  }
  const subnets = subnetTexts.map((s) => parseCidr(s, '--subnet'));
  subnets.forEach((a, i) =>
    subnets.slice(0, i).forEach((b) => {
      if (cidrContains(a, b) || cidrContains(b, a)) throw new FlagError(`multiple overlapping subnet configuration is not supported (${b.text}, ${a.text})`);
    }),
  );
  const configs = new Map<ParsedCidr, IpamConfigBody>(subnets.map((s) => [s, { Subnet: s.text }]));
  for (const r of ranges) {
    const range = parseCidr(r, '--ip-range');
    const [owner] = matchSubnet(subnets, range);
    if (!owner) throw new FlagError(`no matching subnet for range ${r}`);
    const config = configs.get(owner)!;
    if (config.IPRange) throw new FlagError(`cannot configure multiple ranges (${r}, ${config.IPRange}) on the same subnet (${owner.text})`);
    config.IPRange = r;
  }
  for (const g of gateways) {
    const ip = ipToBigInt(g);
    if (ip === undefined) throw new FlagError(`invalid --gateway "${g}": not an IP address`);
    const [owner] = matchSubnet(subnets.filter((s) => s.v6 === (isIP(g) === 6)), ip);
    if (!owner) throw new FlagError(`no matching subnet for gateway ${g}`);
    const config = configs.get(owner)!;
    if (config.Gateway) throw new FlagError(`cannot configure multiple gateways (${g}, ${config.Gateway}) for the same subnet (${owner.text})`);
    config.Gateway = g;
  }
  for (const [key, value] of Object.entries(keyValues(flags.auxAddress, '--aux-address', true))) {
    const ip = ipToBigInt(value);
    if (ip === undefined) throw new FlagError(`invalid --aux-address "${key}=${value}": not an IP address`);
    const [owner] = matchSubnet(subnets.filter((s) => s.v6 === (isIP(value) === 6)), ip);
    if (!owner) throw new FlagError(`no matching subnet for aux-address ${value}`);
    const config = configs.get(owner)!;
    config.AuxiliaryAddresses = { ...config.AuxiliaryAddresses, [key]: value };
  }
  return [...configs.values()];
}

export function networkCreateBody(name: string, flags: NetworkCreateFlags): NetworkCreateBody {
  if (!NAME_RE.test(name)) throw new FlagError(`invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  const body: NetworkCreateBody = {
    Name: name,
    CheckDuplicate: true,
    Driver: flags.driver ?? 'bridge',
    Internal: flags.internal ?? false,
    Attachable: flags.attachable ?? false,
    EnableIPv6: flags.ipv6 ?? false,
    IPAM: { Driver: flags.ipamDriver ?? 'default', Config: consolidateIpam(flags), Options: keyValues(flags.ipamOpt, '--ipam-opt') },
    Options: keyValues(flags.opt, '--opt'),
    Labels: keyValues(flags.label, '--label'),
  };
  if (flags.scope) body.Scope = flags.scope;
  return body;
}

export interface ConnectFlags {
  ip?: string;
  ip6?: string;
  alias?: string[];
  link?: string[];
}

/** The body of POST /networks/{id}/connect. */
export function networkConnectBody(container: string, flags: ConnectFlags): Record<string, unknown> {
  const ipam: Record<string, string> = {};
  if (flags.ip !== undefined) {
    if (isIP(flags.ip) !== 4) throw new FlagError(`invalid --ip "${flags.ip}": not an IPv4 address`);
    ipam.IPv4Address = flags.ip;
  }
  if (flags.ip6 !== undefined) {
    if (isIP(flags.ip6) !== 6) throw new FlagError(`invalid --ip6 "${flags.ip6}": not an IPv6 address`);
    ipam.IPv6Address = flags.ip6;
  }
  const endpoint: Record<string, unknown> = {};
  if (Object.keys(ipam).length) endpoint.IPAMConfig = ipam;
  if (flags.alias?.length) endpoint.Aliases = flags.alias;
  if (flags.link?.length) endpoint.Links = flags.link;
  return { Container: container, EndpointConfig: endpoint };
}
