import type { RuleOwner } from './types.js';

/**
 * Every rule tsnet writes carries its owner in a comment (`-m comment --comment` / nft `comment`),
 * so `tsnet debug firewall` and list() can say whom a rule serves, and iptables teardown can find
 * tsnet's rules in the built-in chains it shares with other software.
 */

export const MARK = 'tsnet';

export function ownerComment(owner: RuleOwner): string {
  switch (owner.kind) {
    case 'global':
      return MARK;
    case 'network':
      return `${MARK} net=${owner.network}`;
    case 'port':
      return `${MARK} net=${owner.network} ctr=${owner.container} ep=${owner.endpoint} port=${owner.port}`;
    case 'resolver':
      return `${MARK} resolver`;
    default:
      return '';
  }
}

export function parseComment(comment: string | undefined): RuleOwner {
  if (comment === undefined || (comment !== MARK && !comment.startsWith(`${MARK} `))) return { kind: 'foreign' };
  const fields = new Map<string, string>();
  for (const token of comment.split(' ').slice(1)) {
    const eq = token.indexOf('=');
    fields.set(eq < 0 ? token : token.slice(0, eq), eq < 0 ? '' : token.slice(eq + 1));
  }
  if (fields.has('resolver')) return { kind: 'resolver' };
  const network = fields.get('net');
  if (network === undefined) return { kind: 'global' };
  const port = fields.get('port');
  if (port === undefined) return { kind: 'network', network };
  return { kind: 'port', network, container: fields.get('ctr') ?? '', endpoint: fields.get('ep') ?? '', port };
}
