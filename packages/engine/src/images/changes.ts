import { posix } from 'node:path';
import { invalid } from '@tsnet/errors';
import type { ImageRunConfig } from './types.js';

/**
 * `docker import --change` / `docker commit --change`: Dockerfile instructions applied to an image
 * configuration. Docker accepts CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER,
 * VOLUME and WORKDIR here (HEALTHCHECK too); we take all but ONBUILD and HEALTHCHECK, which have
 * no effect on a container run by tsnet.
 */
export function applyChanges(base: ImageRunConfig, changes: readonly string[]): ImageRunConfig {
  let config: ImageRunConfig = { ...base };
  for (const change of changes) {
    for (const line of splitLines(change)) config = applyOne(config, line);
  }
  return config;
}

/** The query string may carry several instructions in one value, one per line. */
function splitLines(change: string): string[] {
  return change
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

function fail(change: string, why: string): Error {
  return invalid('ERR_IMAGE_CHANGE_INVALID', `invalid change "${change}": ${why}`, { details: { change } });
}

function applyOne(config: ImageRunConfig, line: string): ImageRunConfig {
  const match = /^(\S+)\s*(.*)$/s.exec(line);
  const instruction = match?.[1]?.toUpperCase() ?? '';
  const rest = (match?.[2] ?? '').trim();
  const env = envMap(config.Env);
  switch (instruction) {
    case 'CMD':
      return { ...config, Cmd: commandForm(line, rest) };
    case 'ENTRYPOINT':
      return { ...config, Entrypoint: commandForm(line, rest) };
    case 'ENV':
      return { ...config, Env: mergeEnv(config.Env ?? [], keyValues(line, rest, env, true)) };
    case 'LABEL':
      return { ...config, Labels: { ...(config.Labels ?? {}), ...Object.fromEntries(keyValues(line, rest, env, false)) } };
    case 'EXPOSE':
      return { ...config, ExposedPorts: { ...(config.ExposedPorts ?? {}), ...exposed(line, words(line, rest, env)) } };
    case 'VOLUME':
      return { ...config, Volumes: { ...(config.Volumes ?? {}), ...volumes(line, rest, env) } };
    case 'WORKDIR': {
      const dir = words(line, rest, env).join(' ');
      if (dir === '') throw fail(line, 'WORKDIR needs a path');
      return { ...config, WorkingDir: posix.resolve(config.WorkingDir || '/', dir) };
    }
    case 'USER':
    case 'STOPSIGNAL': {
      const value = words(line, rest, env).join(' ');
      if (value === '') throw fail(line, `${instruction} needs a value`);
      return instruction === 'USER' ? { ...config, User: value } : { ...config, StopSignal: value };
    }
    default:
      throw fail(line, `unsupported instruction "${instruction}" (allowed: CMD ENTRYPOINT ENV EXPOSE LABEL STOPSIGNAL USER VOLUME WORKDIR)`);
  }
}

/** Exec form `["a","b"]` as is; shell form runs under `/bin/sh -c` as in a Dockerfile. */
function commandForm(line: string, rest: string): string[] {
  const json = jsonArray(rest);
  if (json) return json;
  if (rest === '') throw fail(line, 'missing command');
  return ['/bin/sh', '-c', rest];
}

function jsonArray(text: string): string[] | undefined {
  if (!text.startsWith('[')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  } catch {
    // Not JSON: Docker then treats the text as shell form, and so do we.
  }
  return undefined;
}

function envMap(env: readonly string[] | null | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of env ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) map.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return map;
}

function mergeEnv(env: readonly string[], pairs: Array<[string, string]>): string[] {
  const out = [...env];
  for (const [key, value] of pairs) {
    const at = out.findIndex((e) => e.startsWith(`${key}=`));
    if (at >= 0) out[at] = `${key}=${value}`;
    else out.push(`${key}=${value}`);
  }
  return out;
}

/** `K=V K2="v 2"`, or the legacy one-pair form `K the value` (ENV only). */
function keyValues(line: string, rest: string, env: Map<string, string>, allowLegacy: boolean): Array<[string, string]> {
  const first = /^(\S+)/.exec(rest)?.[1] ?? '';
  if (!first.includes('=')) {
    if (!allowLegacy) throw fail(line, 'expected key=value pairs');
    const m = /^(\S+)\s+(.*)$/s.exec(rest);
    if (!m) throw fail(line, 'ENV needs a name and a value');
    return [[m[1]!, words(line, m[2]!, env).join(' ')]];
  }
  // Substitution sees the environment before this instruction (`ENV a=2 b=$a` keeps the old a).
  return words(line, rest, env).map((word) => {
    const eq = word.indexOf('=');
    if (eq <= 0) throw fail(line, `"${word}" is not key=value`);
    return [word.slice(0, eq), word.slice(eq + 1)];
  });
}

/**
 * Splits on unquoted whitespace with Dockerfile quoting: single quotes are literal, double quotes
 * and bare text honour backslash escapes and `$VAR` / `${VAR}` from the environment so far.
 */
export function words(line: string, text: string, env: Map<string, string>): string[] {
  const out: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else current += c;
      continue;
    }
    if (c === '\\' && i + 1 < text.length) {
      current += text[++i]!;
      inWord = true;
    } else if (c === '$') {
      const m = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(text.slice(i));
      if (m) {
        current += env.get(m[1] ?? m[2]!) ?? '';
        i += m[0].length - 1;
      } else current += c;
      inWord = true;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(current);
      current = '';
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (quote) throw fail(line, 'unterminated quote');
  if (inWord) out.push(current);
  return out;
}

function exposed(line: string, specs: string[]): Record<string, Record<string, never>> {
  const out: Record<string, Record<string, never>> = {};
  for (const spec of specs) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
    const low = Number(m?.[1]);
    const high = m?.[2] === undefined ? low : Number(m[2]);
    if (!m || low < 1 || high > 65535 || high < low) throw fail(line, `invalid port "${spec}"`);
    const proto = (m[3] ?? 'tcp').toLowerCase();
    for (let port = low; port <= high; port++) out[`${port}/${proto}`] = {};
  }
  return out;
}

function volumes(line: string, rest: string, env: Map<string, string>): Record<string, Record<string, never>> {
  const list = jsonArray(rest) ?? words(line, rest, env);
  if (list.length === 0) throw fail(line, 'VOLUME needs a path');
  const out: Record<string, Record<string, never>> = {};
  for (const path of list) {
    if (!path.startsWith('/')) throw fail(line, `volume path "${path}" must be absolute`);
    out[posix.normalize(path)] = {};
  }
  return out;
}
