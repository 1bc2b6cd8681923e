import { posix } from 'node:path';
import { PROPAGATIONS, DEFAULT_PROPAGATION, type Propagation } from './types.js';

/** Go's `path.Clean`: like normalize, but without a trailing slash and '' → '.'. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** Go's `filepath.IsLocal` on Unix: relative, non-empty, and never climbing above its root. */
export function isLocalPath(p: string): boolean {
  if (p === '' || p.startsWith('/')) return false;
  const c = cleanPath(p);
  return c !== '..' && !c.startsWith('../');
}

export const isPropagation = (o: string): o is Propagation => (PROPAGATIONS as readonly string[]).includes(o);

const rwModes = new Set(['rw', 'ro']);
const labelModes = new Set(['z', 'Z']);
const copyModes = new Set(['nocopy']);
const consistencyModes = new Set(['consistent', 'cached', 'delegated']);

/**
 * linux_parser.go `linuxValidMountMode`: every comma-separated word is known and each family
 * (rw/ro, z/Z, propagation, nocopy, consistency) appears at most once. '' is valid.
 */
export function validMountMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = [0, 0, 0, 0, 0];
  for (const o of mode.split(',')) {
    if (rwModes.has(o)) counts[0]! += 1;
    else if (labelModes.has(o)) counts[1]! += 1;
    else if (isPropagation(o)) counts[2]! += 1;
    else if (copyModes.has(o)) counts[3]! += 1;
    else if (consistencyModes.has(o)) counts[4]! += 1;
    else return false;
  }
  return counts.every((c) => c <= 1);
}

export const modeWords = (mode: string): string[] => (mode === '' ? [] : mode.split(','));

export function readWrite(mode: string): boolean {
  return validMountMode(mode) && !modeWords(mode).includes('ro');
}

export function modePropagation(mode: string): Propagation | undefined {
  return modeWords(mode).find(isPropagation);
}

/** `nocopy` present → { set: true, copy: false }. */
export function modeCopy(mode: string): { set: boolean; copy: boolean } {
  return modeWords(mode).includes('nocopy') ? { set: true, copy: false } : { set: false, copy: true };
}

export { DEFAULT_PROPAGATION };
