import { internal } from '@tsnet/errors';
import { StoreErrorCode } from '../errors.js';
import type { KvState } from '../state.js';
import type { Entry, Operation } from '../types.js';
import { decodeFrames, encodeFrame } from './frame.js';

/**
 * What the files hold. A log record is one committed transaction: the revision it produced and the
 * operations of the branch that ran, replayed through the same KvState on open (deterministic, so
 * the replay reproduces createRevision/modRevision exactly). A snapshot is the whole state.
 */
type EncodedOp = ['p', string, string] | ['d', string] | ['x', string];

interface LogRecord {
  r: number;
  o: EncodedOp[];
}

interface Snapshot {
  v: 1;
  r: number;
  e: Array<[key: string, value: string, createRevision: number, modRevision: number]>;
}

export function encodeLogRecord(revision: number, ops: readonly Operation[]): Buffer {
  const o = ops.map((op): EncodedOp => {
    if (op.op === 'put') return ['p', op.key, op.value];
    if (op.op === 'delete') return ['d', op.key];
    return ['x', op.prefix];
  });
  return encodeFrame({ r: revision, o } satisfies LogRecord);
}

export function encodeSnapshot(state: KvState): Buffer {
  const e: Snapshot['e'] = [];
  for (const entry of state.entries()) e.push([entry.key, entry.value, entry.createRevision, entry.modRevision]);
  return encodeFrame({ v: 1, r: state.revision, e } satisfies Snapshot);
}

/** Loads a snapshot file into an empty state. Snapshots are renamed into place whole, so damage is corruption. */
export function loadSnapshot(state: KvState, data: Buffer, path: string): void {
  const { bodies, validLength } = decodeFrames(data);
  const body = bodies[0];
  if (bodies.length !== 1 || body === undefined || validLength !== data.length) throw corrupt(path, 'snapshot checksum or length mismatch');
  const snapshot = parse(body, path) as Partial<Snapshot>;
  if (snapshot.v !== 1 || typeof snapshot.r !== 'number' || !Array.isArray(snapshot.e)) throw corrupt(path, 'unknown snapshot format');
  for (const [key, value, createRevision, modRevision] of snapshot.e) {
    state.restore({ key, value, createRevision, modRevision } satisfies Entry, modRevision);
  }
  state.restoreRevision(snapshot.r);
}

/**
 * Replays log bodies over the state. Records at or below the state's revision are already in the
 * snapshot (a crash between writing a snapshot and emptying the log leaves them); the rest must
 * follow one another revision by revision.
 */
export function replayLog(state: KvState, bodies: readonly Buffer[], path: string): number {
  let applied = 0;
  for (const body of bodies) {
    const record = parse(body, path) as Partial<LogRecord>;
    if (typeof record.r !== 'number' || !Array.isArray(record.o)) throw corrupt(path, 'unknown log record format');
    if (record.r <= state.revision) continue;
    if (record.r !== state.revision + 1) throw corrupt(path, `log jumps from revision ${state.revision} to ${record.r}`);
    state.apply(record.o.map(decodeOp));
    if (state.revision !== record.r) throw corrupt(path, `record for revision ${record.r} changed nothing on replay`);
    applied += 1;
  }
  return applied;
}

function decodeOp(op: EncodedOp): Operation {
  if (op[0] === 'p') return { op: 'put', key: op[1], value: op[2] };
  if (op[0] === 'd') return { op: 'delete', key: op[1] };
  return { op: 'deletePrefix', prefix: op[1] };
}

function parse(body: Buffer, path: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (cause) {
    throw corrupt(path, 'a checksummed record is not valid JSON', cause);
  }
}

export function corrupt(path: string, why: string, cause?: unknown) {
  return internal(StoreErrorCode.corrupt, `store file "${path}" is corrupt: ${why}`, {
    details: { path },
    ...(cause === undefined ? {} : { cause }),
  });
}
