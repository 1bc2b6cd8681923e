import type { RequestAddressRequest, RequestPoolRequest, RequestPoolResult } from '@tsnet/ipam';
/**
 * What the controller uses of @tsnet/ipam (Docker's ipamapi plus the pool listing restore needs to
 * find addresses a crash left allocated).
 */
export interface IpamPoolInfo {
  poolId: string;
  addressSpace: string;
  pool: string;
  v6: boolean;
  /** Every allocated address, auxiliary ones included. */
  addresses: string[];
  aux: string[];
}

export interface IpamLike {
  requestPool(req: RequestPoolRequest): Promise<RequestPoolResult>;
  releasePool(poolId: string): Promise<void>;
  requestAddress(poolId: string, req?: RequestAddressRequest): Promise<{ address: string }>;
  releaseAddress(poolId: string, address: string): Promise<void>;
  pools(): Promise<IpamPoolInfo[]>;
  poolInfo(poolId: string): Promise<IpamPoolInfo>;
}

/** Plain IP of an ipam answer (`10.0.0.2/24` → `10.0.0.2`). */
export const plainIp = (cidr: string): string => cidr.split('/')[0] ?? cidr;

const GONE = /NOT_FOUND|NOT_ALLOCATED|OUT_OF_RANGE|POOL_NOT_FOUND/;

/** Release that treats "not allocated / pool gone" as done: used by rollback and recovery. */
export async function releaseQuietly(ipam: IpamLike, poolId: string, address?: string): Promise<void> {
  try {
    if (address === undefined) await ipam.releasePool(poolId);
    else await ipam.releaseAddress(poolId, address);
  } catch (error) {
    if (GONE.test((error as { code?: string }).code ?? '')) return;
    throw error;
  }
}

/** Releases a pool with whatever is still allocated in it (an uncommitted network's pool). */
export async function releasePoolFully(ipam: IpamLike, poolId: string): Promise<void> {
  let info: IpamPoolInfo;
  try {
    info = await ipam.poolInfo(poolId);
  } catch (error) {
    if (GONE.test((error as { code?: string }).code ?? '')) return;
    throw error;
  }
  for (const a of info.addresses) if (!info.aux.includes(a)) await releaseQuietly(ipam, poolId, a);
  await releaseQuietly(ipam, poolId);
}
