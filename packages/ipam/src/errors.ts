/**
 * Every error code this package throws. Codes are stable: scripts, the plugin front and tests
 * match on them; messages name the offending value.
 */
export const IpamErrorCode = {
  /** A CIDR that does not parse, or has host bits set (the message names the canonical form). */
  invalidCidr: 'ERR_IPAM_INVALID_CIDR',
  /** A plain IP address that does not parse. */
  invalidAddress: 'ERR_IPAM_INVALID_ADDRESS',
  /** IPv4 where IPv6 was asked for, or the reverse. */
  addressFamily: 'ERR_IPAM_ADDRESS_FAMILY',
  /** A pool with no room for a gateway and one container (IPv4 /31, /32; IPv6 /127, /128). */
  poolTooSmall: 'ERR_IPAM_POOL_TOO_SMALL',
  /** An IPv4 pool larger than a /8 (its bitmap would not be reasonable). */
  poolTooLarge: 'ERR_IPAM_POOL_TOO_LARGE',
  /** A sub-pool (ip-range) that is not inside its pool. */
  rangeOutsidePool: 'ERR_IPAM_RANGE_OUTSIDE_POOL',
  /** A requested subnet overlapping a pool that already exists in the same address space. */
  poolOverlap: 'ERR_IPAM_POOL_OVERLAP',
  /** No default pool left that overlaps nothing. */
  noAvailablePool: 'ERR_IPAM_NO_AVAILABLE_POOL',
  poolNotFound: 'ERR_IPAM_POOL_NOT_FOUND',
  /** releasePool while addresses are still allocated. */
  poolInUse: 'ERR_IPAM_POOL_IN_USE',
  /** No free address left in the pool's dynamic range. */
  poolExhausted: 'ERR_IPAM_POOL_EXHAUSTED',
  addressInUse: 'ERR_IPAM_ADDRESS_IN_USE',
  /** A (preferred or released) address outside the pool's subnet. */
  addressOutOfRange: 'ERR_IPAM_ADDRESS_OUT_OF_RANGE',
  /** The network address, or the IPv4 broadcast address. */
  addressReserved: 'ERR_IPAM_ADDRESS_RESERVED',
  unknownAddressSpace: 'ERR_IPAM_UNKNOWN_ADDRESS_SPACE',
  /** A request whose fields have the wrong type or an impossible combination. */
  invalidRequest: 'ERR_IPAM_INVALID_REQUEST',
  /** Other writers kept winning compare-and-set for too long. */
  contention: 'ERR_IPAM_STORE_CONTENTION',
  /** A record under the ipam prefix that this version cannot read. */
  corruptState: 'ERR_IPAM_CORRUPT_STATE',
} as const;

export type IpamErrorCode = (typeof IpamErrorCode)[keyof typeof IpamErrorCode];
