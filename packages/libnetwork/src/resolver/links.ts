import type { ExposedPort } from '../model/types.js';

/**
 * The legacy `--link` environment variables, exactly as Docker's daemon/links builds them:
 * `ALIAS_PORT` for the lowest port (tcp first at equal numbers), `_START`/`_END` groups for runs of
 * contiguous ports, one `ALIAS_PORT_<n>_<PROTO>` family per port, `ALIAS_NAME=/parent/alias`, and
 * the linked container's environment as `ALIAS_ENV_*` (minus HOME and PATH).
 */
export interface LinkEnvInput {
  /** Name of the container that links (without or with the leading '/'). */
  parentName: string;
  alias: string;
  childIp: string;
  exposedPorts: ExposedPort[];
  /** The linked container's environment, `KEY=value` entries. */
  childEnv?: string[];
}

export function linkEnvironment(input: LinkEnvInput): string[] {
  const alias = input.alias.toUpperCase().replace(/-/g, '_');
  const ip = input.childIp;
  const ports = [...input.exposedPorts].sort((a, b) => a.port - b.port || (a.proto === 'tcp' ? -1 : b.proto === 'tcp' ? 1 : 0));
  const env: string[] = [];
  const first = ports[0];
  if (first) env.push(`${alias}_PORT=${first.proto}://${ip}:${first.port}`);
  const key = (p: ExposedPort): string => `${alias}_PORT_${p.port}_${p.proto.toUpperCase()}`;
  for (let i = 0; i < ports.length; ) {
    const p = ports[i]!;
    const j = nextContiguous(ports, p.port, i);
    if (j > i + 1) {
      const q = ports[j]!;
      env.push(`${key(p)}_START=${p.proto}://${ip}:${p.port}`);
      env.push(`${key(p)}_ADDR=${ip}`);
      env.push(`${key(p)}_PROTO=${p.proto}`);
      env.push(`${key(p)}_PORT_START=${p.port}`);
      env.push(`${alias}_PORT_${p.port}_${q.proto.toUpperCase()}_END=${q.proto}://${ip}:${q.port}`);
      env.push(`${alias}_PORT_${p.port}_${q.proto.toUpperCase()}_PORT_END=${q.port}`);
      i = j + 1;
    } else i++;
  }
  for (const p of ports) {
    env.push(`${key(p)}=${p.proto}://${ip}:${p.port}`);
    env.push(`${key(p)}_ADDR=${ip}`);
    env.push(`${key(p)}_PORT=${p.port}`);
    env.push(`${key(p)}_PROTO=${p.proto}`);
  }
  const parent = input.parentName.replace(/^\//, '');
  env.push(`${alias}_NAME=/${parent}/${input.alias}`);
  for (const entry of input.childEnv ?? []) {
    const eq = entry.indexOf('=');
    if (eq < 0) continue;
    const name = entry.slice(0, eq);
    // Docker skips the variables every image build sets; they say nothing about the linked service.
    if (name === 'HOME' || name === 'PATH') continue;
    env.push(`${alias}_ENV_${name}=${entry.slice(eq + 1)}`);
  }
  return env;
}

function nextContiguous(ports: ExposedPort[], start: number, index: number): number {
  if (index + 1 === ports.length) return index;
  let value = start;
  for (let i = index + 1; i < ports.length; i++) {
    if (ports[i]!.port > value + 1) return i - 1;
    value++;
  }
  return ports.length - 1;
}
