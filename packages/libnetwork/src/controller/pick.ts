import { unavailable } from '@tsnet/errors';
import { DOCKER_DEFAULT_POOLS, LOCAL_SPACE, formatCidr, parseCidr, parseDefaultPools, pickSubnet, poolIdOf, type Taken } from '@tsnet/ipam';
import type { Core } from './core.js';
import type { IpamPoolInfo } from './ipam.js';

/**
 * Picks a default-pool subnet here rather than letting ipam pick it, so the pool id is known — and
 * written in the intent — before ipam is asked: a crash right after ipam's write then still leaves
 * the pool named in the store for restore to release. Same algorithm and defaults as ipam.
 */
export function pickDefaultSubnet(core: Core, pools: IpamPoolInfo[], v6: boolean, exclude: string[]): string {
  const bits = v6 ? 128 : 32;
  const taken: Taken[] = pools
    .filter((p) => p.addressSpace === LOCAL_SPACE && p.v6 === v6)
    .map((p) => {
      const c = parseCidr(p.pool);
      return { start: c.base, end: c.base + (1n << BigInt(bits - c.prefix)) - 1n, id: p.poolId };
    })
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const excluded = exclude.map((x) => parseCidr(x, 'excluded route', true));
  const defaults = core.config.defaultAddressPools.length > 0 ? core.config.defaultAddressPools : DOCKER_DEFAULT_POOLS;
  const picked = pickSubnet(parseDefaultPools(defaults), v6, taken, excluded);
  if (!picked) {
    throw unavailable('ERR_IPAM_NO_AVAILABLE_POOL', `no available non-overlapping IPv${v6 ? 6 : 4} address pool among the default pools`);
  }
  return formatCidr(picked);
}

/** The id ipam gives a local pool (`LocalDefault/<subnet>[/<range>]`). */
export function localPoolId(subnet: string, range?: string): string {
  return poolIdOf(LOCAL_SPACE, parseCidr(subnet), range === undefined ? undefined : parseCidr(range));
}
