import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { invalid } from '@tsnet/errors';
import type { ProcessSpec, ProcessUser } from '../runtime/types.js';
import type { ImageRunConfig } from './types.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** What `docker create` may override (Config of the create request). */
export interface ProcessOverrides {
  /** Cmd; empty or undefined = the image's (unless entrypoint is overridden). */
  cmd?: string[] | null;
  /** Entrypoint; `['']` resets it (Docker's `--entrypoint ""`). */
  entrypoint?: string[] | null;
  env?: string[] | null;
  workingDir?: string;
  user?: string;
  hostname?: string;
  /** Link variables (`WEB_PORT_80_TCP=...`), placed before the user's env as Docker does. */
  linkEnv?: string[];
}

function envKey(entry: string): string {
  const eq = entry.indexOf('=');
  return eq < 0 ? entry : entry.slice(0, eq);
}

/** Later entries replace earlier ones with the same key, keeping the first position. */
export function mergeEnvLists(...lists: Array<readonly string[] | null | undefined>): string[] {
  const out: string[] = [];
  const at = new Map<string, number>();
  for (const list of lists) {
    for (const entry of list ?? []) {
      const key = envKey(entry);
      const index = at.get(key);
      if (index === undefined) {
        at.set(key, out.length);
        out.push(entry);
      } else out[index] = entry;
    }
  }
  return out;
}

/**
 * Docker's rules for the process of a container made from an image: an overridden entrypoint
 * drops the image's Cmd; the env is PATH (default) and HOSTNAME, link variables, the image's env,
 * then the request's; the working dir falls back to the image's, then `/`; the user is looked up
 * in the image's /etc/passwd and /etc/group.
 */
export async function containerProcess(image: ImageRunConfig, overrides: ProcessOverrides, rootfs: string): Promise<ProcessSpec> {
  const entrypointOverridden = overrides.entrypoint != null && overrides.entrypoint.length > 0;
  const entrypoint = entrypointOverridden ? overrides.entrypoint!.filter((a, i) => !(i === 0 && a === '' && overrides.entrypoint!.length === 1)) : (image.Entrypoint ?? []);
  const cmd = overrides.cmd?.length ? overrides.cmd : entrypointOverridden ? [] : (image.Cmd ?? []);
  const args = [...entrypoint, ...cmd];
  if (args.length === 0) throw invalid('ERR_NO_COMMAND', 'no command specified');
  const base = [`PATH=${DEFAULT_PATH}`, ...(overrides.hostname ? [`HOSTNAME=${overrides.hostname}`] : [])];
  const env = mergeEnvLists(base, overrides.linkEnv, image.Env, overrides.env);
  const cwd = overrides.workingDir || image.WorkingDir || '/';
  if (!cwd.startsWith('/')) throw invalid('ERR_WORKDIR_INVALID', `working directory "${cwd}" is not absolute`);
  const user = await resolveUser(rootfs, overrides.user || image.User || '');
  return { args, env, cwd, user };
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

async function readTable(path: string): Promise<string[][]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
}

const NUMBER = /^\d+$/;

/**
 * `user`, `uid`, `user:group`, `uid:gid` → numeric ids plus supplementary groups, read from the
 * image (never the host). Unknown names fail like Docker: `unable to find user nobody2`.
 */
export async function resolveUser(rootfs: string, spec: string): Promise<ProcessUser> {
  if (spec === '') return { uid: 0, gid: 0 };
  const [userPart = '', groupPart] = spec.split(':', 2);
  const passwd: PasswdEntry[] = (await readTable(join(rootfs, 'etc/passwd'))).map((f) => ({ name: f[0] ?? '', uid: Number(f[2]), gid: Number(f[3]) }));
  const groups = await readTable(join(rootfs, 'etc/group'));
  const found = passwd.find((p) => p.name === userPart || (NUMBER.test(userPart) && p.uid === Number(userPart)));
  if (!found && !NUMBER.test(userPart)) throw invalid('ERR_USER_NOT_FOUND', `unable to find user ${userPart}: no matching entries in passwd file`);
  const uid = found?.uid ?? Number(userPart);
  let gid = found?.gid ?? 0;
  if (groupPart !== undefined && groupPart !== '') {
    const group = groups.find((g) => g[0] === groupPart || (NUMBER.test(groupPart) && Number(g[2]) === Number(groupPart)));
    if (!group && !NUMBER.test(groupPart)) throw invalid('ERR_GROUP_NOT_FOUND', `unable to find group ${groupPart}: no matching entries in group file`);
    gid = group ? Number(group[2]) : Number(groupPart);
  }
  const name = found?.name;
  const additionalGids = name
    ? groups.filter((g) => (g[3] ?? '').split(',').includes(name)).map((g) => Number(g[2])).filter((g) => g !== gid)
    : [];
  return additionalGids.length ? { uid, gid, additionalGids } : { uid, gid };
}
