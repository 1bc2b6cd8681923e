import type { Operation, Store } from '@tsnet/store';
import type { EndpointRecord, Intent, NetworkRecord, SandboxRecord } from '../model/types.js';

/**
 * Store layout under `/libnetwork/`: one key per object, plus intents. An intent is written
 * before an operation touches the kernel and deleted in the same transaction that commits the
 * object, so after SIGKILL the store says exactly which operations were in flight.
 */
export const PREFIX = '/libnetwork/';
export const networkKey = (id: string): string => `${PREFIX}network/${id}`;
export const endpointKey = (id: string): string => `${PREFIX}endpoint/${id}`;
export const sandboxKey = (id: string): string => `${PREFIX}sandbox/${id}`;
export const intentKey = (id: string): string => `${PREFIX}intent/${id}`;

export const putNetwork = (n: NetworkRecord): Operation => ({ op: 'put', key: networkKey(n.id), value: JSON.stringify(n) });
export const putEndpoint = (e: EndpointRecord): Operation => ({ op: 'put', key: endpointKey(e.id), value: JSON.stringify(e) });
export const putSandbox = (s: SandboxRecord): Operation => ({ op: 'put', key: sandboxKey(s.id), value: JSON.stringify(s) });
export const del = (key: string): Operation => ({ op: 'delete', key });

export async function writeIntent(store: Store, intent: Intent): Promise<void> {
  await store.put(intentKey(intent.id), JSON.stringify(intent));
}

/** Applies the operations and drops the intent atomically. */
export async function commit(store: Store, intentId: string, ops: Operation[]): Promise<void> {
  await store.txn({ success: [...ops, del(intentKey(intentId))] });
}

export interface Loaded {
  networks: NetworkRecord[];
  endpoints: EndpointRecord[];
  sandboxes: SandboxRecord[];
  intents: Intent[];
}

export async function loadAll(store: Store): Promise<Loaded> {
  const entries = await store.list(PREFIX);
  const out: Loaded = { networks: [], endpoints: [], sandboxes: [], intents: [] };
  for (const e of entries) {
    const kind = e.key.slice(PREFIX.length).split('/')[0];
    const value: unknown = JSON.parse(e.value);
    if (kind === 'network') out.networks.push(value as NetworkRecord);
    else if (kind === 'endpoint') out.endpoints.push(value as EndpointRecord);
    else if (kind === 'sandbox') out.sandboxes.push(value as SandboxRecord);
    else if (kind === 'intent') out.intents.push(value as Intent);
  }
  return out;
}
