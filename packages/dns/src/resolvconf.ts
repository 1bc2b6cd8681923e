import { isIP } from 'node:net';
import { invalid } from '@tsnet/errors';
import { MAX_UPSTREAMS, type Upstream } from './forwarder.js';

/**
 * Upstreams for a sandbox, as Docker picks them: `--dns` when given, otherwise the host's
 * resolv.conf nameservers. Loopback nameservers (127.0.0.53 of systemd-resolved, ::1) are dropped
 * — inside a sandbox they would be the sandbox's own loopback. At most 3, like the libc resolver.
 */
export function upstreamsFromResolvConf(text: string, options: { keepLoopback?: boolean } = {}): Upstream[] {
  const out: Upstream[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const m = /^nameserver\s+(\S+)$/.exec(line);
    if (!m) continue;
    const address = m[1]!.replace(/%.*$/, ''); // drop an IPv6 zone
    if (isIP(address) === 0) continue;
    if (!options.keepLoopback && isLoopback(address)) continue;
    out.push({ address });
  }
  return out.slice(0, MAX_UPSTREAMS);
}

/** `--dns` values: plain IP addresses, validated. */
export function upstreamsFromDnsOption(values: readonly string[]): Upstream[] {
  return values.slice(0, MAX_UPSTREAMS).map((v) => {
    if (isIP(v) === 0) throw invalid('ERR_DNS_INVALID_UPSTREAM', `--dns "${v}" is not an IP address`);
    return { address: v };
  });
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address === '0:0:0:0:0:0:0:1';
}
