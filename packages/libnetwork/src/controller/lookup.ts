import { invalid, notFound } from '@tsnet/errors';
import type { NetworkRecord, SandboxRecord } from '../model/types.js';

/**
 * Docker's lookup order for a network reference: exact name, then full id, then a unique id
 * prefix; a prefix matching several networks is refused rather than guessed.
 */
export function findNetwork(networks: Iterable<NetworkRecord>, ref: string): NetworkRecord {
  const all = [...networks];
  const byName = all.find((n) => n.name === ref);
  if (byName) return byName;
  const byId = all.find((n) => n.id === ref);
  if (byId) return byId;
  if (/^[0-9a-f]+$/.test(ref) && ref.length > 0) {
    const matches = all.filter((n) => n.id.startsWith(ref));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) {
      throw invalid('ERR_NETWORK_AMBIGUOUS', `network id prefix "${ref}" is ambiguous: it matches ${matches.map((n) => n.name).join(', ')}`, {
        details: { ref, matches: matches.map((n) => n.id) },
      });
    }
  }
  throw notFound('ERR_NETWORK_NOT_FOUND', `network "${ref}" not found`, { details: { ref } });
}

/** A sandbox by its id (or unique prefix), or by the id/name of a container using it. */
export function findSandbox(sandboxes: Iterable<SandboxRecord>, ref: string): SandboxRecord {
  const all = [...sandboxes];
  const exact = all.find((s) => s.id === ref || s.containerId === ref || s.containerName === ref || s.sharers.includes(ref));
  if (exact) return exact;
  if (/^[0-9a-f]+$/.test(ref)) {
    const matches = all.filter((s) => s.id.startsWith(ref) || s.containerId.startsWith(ref));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) throw invalid('ERR_SANDBOX_AMBIGUOUS', `sandbox reference "${ref}" is ambiguous`, { details: { ref } });
  }
  throw notFound('ERR_SANDBOX_NOT_FOUND', `no sandbox for "${ref}"`, { details: { ref } });
}
