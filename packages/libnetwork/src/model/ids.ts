import { randomBytes } from 'node:crypto';

/**
 * Identifiers shaped like Docker's: 64 lowercase hex characters for objects, the first 12 as the
 * short form, `veth` + 7 hex for the host side of a veth (Docker derives it from random bytes too,
 * and the kernel's 15-character IFNAMSIZ limit is why it stops at 11 characters).
 */
export type ObjectId = string & { readonly __brand: 'ObjectId' };

const ID_RE = /^[0-9a-f]{64}$/;

export function newId(): ObjectId {
  return randomBytes(32).toString('hex') as ObjectId;
}

export function isObjectId(value: string): value is ObjectId {
  return ID_RE.test(value);
}

export function shortId(id: string): string {
  return id.slice(0, 12);
}

/** Host-side veth name: `veth` + 7 hex, like Docker's. */
export function newVethName(): string {
  return `veth${randomBytes(4).toString('hex').slice(0, 7)}`;
}

export const VETH_NAME_RE = /^veth[0-9a-f]{7}$/;

/** Name of a sandbox's namespace under /run/netns. */
export function sandboxNsName(sandboxId: string): string {
  return `tsnet-${shortId(sandboxId)}`;
}

export const SANDBOX_NS_RE = /^tsnet-[0-9a-f]{12}$/;

/** Bridge device of a user-defined network when no name was given: `br-<id12>`, as Docker. */
export function defaultBridgeName(networkId: string): string {
  return `br-${shortId(networkId)}`;
}

/**
 * MAC derived from the IPv4 address like Docker's (`02:42` + the four address bytes), so a
 * container's MAC is predictable from its address and stable across restarts.
 */
export function macFromIPv4(ip: string): string {
  const bytes = ip.split('.').map((b) => Number(b).toString(16).padStart(2, '0'));
  return ['02', '42', ...bytes].join(':');
}

/** A random locally-administered unicast MAC, for endpoints without an IPv4 address. */
export function randomMac(): string {
  const bytes = [...randomBytes(6)];
  bytes[0] = (bytes[0]! & 0xfe) | 0x02;
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
