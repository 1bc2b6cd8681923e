import { invalid } from '@tsnet/errors';

/**
 * Image references the way Docker normalises them: `busybox` is `busybox:latest`,
 * `docker.io/library/busybox` is `busybox`, and a repository is lower-case path components with an
 * optional registry host in front. Nothing unparsed reaches a file name or the tag table.
 */
export interface ImageReference {
  /** Normalised repository, e.g. `busybox`, `localhost:5000/team/app`. */
  readonly repo: string;
  readonly tag: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;

export const ID_RE = /^(?:sha256:)?([0-9a-f]{64})$/;
export const ID_PREFIX_RE = /^(?:sha256:)?([0-9a-f]{1,64})$/;

function bad(ref: string, why: string): Error {
  return invalid('ERR_IMAGE_REFERENCE_INVALID', `invalid reference format "${ref}": ${why}`, { details: { ref } });
}

/** Validates and normalises a repository name (no tag). */
export function parseRepository(name: string): string {
  if (name.length === 0 || name.length > 255) throw bad(name, 'repository name must be 1 to 255 characters');
  let parts = name.split('/');
  const first = parts[0]!;
  const hasDomain = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasDomain && !DOMAIN.test(first)) throw bad(name, `invalid registry host "${first}"`);
  if (hasDomain && first === 'docker.io') {
    parts = parts.slice(1);
    if (parts[0] === 'library' && parts.length === 2) parts = parts.slice(1);
  }
  const path = hasDomain && first !== 'docker.io' ? parts.slice(1) : parts;
  if (path.length === 0) throw bad(name, 'missing repository path');
  for (const component of path) {
    if (!COMPONENT.test(component)) throw bad(name, 'repository name must be lowercase letters, digits and separators');
  }
  if (!hasDomain && path[0] === 'library' && path.length === 2) return path[1]!;
  return parts.join('/');
}

export function parseTag(tag: string): string {
  if (!TAG.test(tag)) throw bad(tag, 'tag must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}');
  return tag;
}

/** `name[:tag]` → normalised reference; the tag defaults to `latest`. Digests are not supported. */
export function parseReference(ref: string): ImageReference {
  if (ref.includes('@')) throw bad(ref, 'digest references are not supported');
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const hasTag = colon > slash;
  const repo = parseRepository(hasTag ? ref.slice(0, colon) : ref);
  const tag = hasTag ? parseTag(ref.slice(colon + 1)) : 'latest';
  return { repo, tag };
}

export function formatReference(ref: ImageReference): string {
  return `${ref.repo}:${ref.tag}`;
}
