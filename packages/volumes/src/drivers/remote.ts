import { request } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { internal, notFound, unavailable } from '@tsnet/errors';
import type { VolumeName } from '../names.js';
import type { DriverVolume, VolumeDriver } from './types.js';

export const DEFAULT_PLUGIN_DIR = '/run/docker/plugins';
const ACCEPT = 'application/vnd.docker.plugins.v1.2+json';

export interface RemoteDriverOptions {
  /** Where plugin sockets and spec files are looked up (default /run/docker/plugins). */
  pluginDir?: string;
  timeoutMs?: number;
}

type Address = { socketPath: string } | { host: string; port: number };

/**
 * Finds a plugin the way Docker's plugin discovery does: `<dir>/<name>.sock` (or
 * `<dir>/<name>/<name>.sock`), else a `.spec` file holding a URL (`unix:///path`,
 * `tcp://host:port`), else a `.json` file with `Addr`.
 */
export function discoverPlugin(name: string, pluginDir = DEFAULT_PLUGIN_DIR): Address | undefined {
  for (const sock of [join(pluginDir, `${name}.sock`), join(pluginDir, name, `${name}.sock`)]) {
    if (existsSync(sock)) return { socketPath: sock };
  }
  for (const file of [join(pluginDir, `${name}.spec`), join('/etc/docker/plugins', `${name}.spec`)]) {
    if (existsSync(file)) return addressOf(readFileSync(file, 'utf8').trim());
  }
  const json = join(pluginDir, `${name}.json`);
  if (existsSync(json)) return addressOf(String((JSON.parse(readFileSync(json, 'utf8')) as { Addr?: string }).Addr ?? ''));
  return undefined;
}

function addressOf(url: string): Address {
  if (url.startsWith('unix://')) return { socketPath: url.slice('unix://'.length) };
  const m = /^tcp:\/\/([^:/]+):(\d+)/.exec(url);
  if (m) return { host: m[1]!, port: Number(m[2]) };
  throw unavailable('ERR_VOLUME_PLUGIN_ADDRESS', `unsupported plugin address: ${url}`);
}

/** One plugin call: POST JSON, an error is `Err` on 200 or any non-200 status. */
export async function callPlugin(address: Address, path: string, body: unknown, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const payload = JSON.stringify(body ?? {});
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      { ...address, method: 'POST', path, timeout: timeoutMs, headers: { Accept: ACCEPT, 'Content-Type': ACCEPT, 'Content-Length': Buffer.byteLength(payload) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`plugin call ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  }).catch((error: unknown) => {
    throw unavailable('ERR_VOLUME_PLUGIN_UNAVAILABLE', `volume plugin unreachable for ${path}: ${(error as Error).message}`, { cause: error });
  });
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text.trim() === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    if (status === 200) throw internal('ERR_VOLUME_PLUGIN', `volume plugin answered ${path} with invalid JSON`);
  }
  const err = typeof parsed['Err'] === 'string' ? parsed['Err'] : '';
  if (status !== 200 || err !== '') {
    throw internal('ERR_VOLUME_PLUGIN', `volume plugin ${path}: ${err || text.trim() || `status ${status}`}`, { details: { status, path } });
  }
  return parsed;
}

/**
 * A third-party volume plugin spoken to over Docker's protocol. Activation is lazy (first use)
 * and checks that the plugin implements VolumeDriver.
 */
export class RemoteDriver implements VolumeDriver {
  readonly name: string;
  scope: 'local' | 'global' = 'local';
  readonly #pluginDir: string;
  readonly #timeoutMs: number;
  #address: Address | undefined;

  constructor(name: string, options: RemoteDriverOptions = {}) {
    this.name = name;
    this.#pluginDir = options.pluginDir ?? DEFAULT_PLUGIN_DIR;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Activates the plugin (once) and learns its scope; fails when nothing is found. */
  async activate(): Promise<void> {
    if (this.#address) return;
    const address = discoverPlugin(this.name, this.#pluginDir);
    if (!address) throw notFound('ERR_VOLUME_DRIVER_NOT_FOUND', `error looking up volume plugin ${this.name}: plugin "${this.name}" not found`, { details: { driver: this.name } });
    const res = await callPlugin(address, '/Plugin.Activate', {}, this.#timeoutMs);
    const implements_ = Array.isArray(res['Implements']) ? (res['Implements'] as unknown[]) : [];
    if (!implements_.includes('VolumeDriver')) {
      throw unavailable('ERR_VOLUME_DRIVER_NOT_FOUND', `plugin "${this.name}" does not implement VolumeDriver`, { details: { driver: this.name } });
    }
    this.#address = address;
    const caps = await this.#call('/VolumeDriver.Capabilities', {}).catch(() => ({}) as Record<string, unknown>);
    const scope = (caps['Capabilities'] as { Scope?: string } | undefined)?.Scope;
    if (scope === 'global') this.scope = 'global';
  }

  async #call(path: string, body: unknown): Promise<Record<string, unknown>> {
    await this.activate();
    return callPlugin(this.#address!, path, body, this.#timeoutMs);
  }

  validateOptions(): void {
    // The plugin validates its own options on Create.
  }

  async create(name: VolumeName, opts: Record<string, string>): Promise<void> {
    await this.#call('/VolumeDriver.Create', { Name: name, Opts: opts });
  }

  async remove(name: VolumeName): Promise<void> {
    await this.#call('/VolumeDriver.Remove', { Name: name });
  }

  async mount(name: VolumeName, containerId: string): Promise<string> {
    const res = await this.#call('/VolumeDriver.Mount', { Name: name, ID: containerId });
    return checkMountpoint(this.name, res['Mountpoint']);
  }

  async unmount(name: VolumeName, containerId: string): Promise<void> {
    await this.#call('/VolumeDriver.Unmount', { Name: name, ID: containerId });
  }

  async path(name: VolumeName): Promise<string> {
    const res = await this.#call('/VolumeDriver.Path', { Name: name });
    return typeof res['Mountpoint'] === 'string' ? res['Mountpoint'] : '';
  }

  async usage(): Promise<number> {
    return -1;
  }

  async list(): Promise<DriverVolume[]> {
    const res = await this.#call('/VolumeDriver.List', {});
    const volumes = Array.isArray(res['Volumes']) ? (res['Volumes'] as Array<{ Name?: string; Mountpoint?: string }>) : [];
    return volumes.filter((v) => typeof v.Name === 'string').map((v) => ({ name: v.Name!, mountpoint: v.Mountpoint ?? '' }));
  }
}

/** A plugin's mountpoint is trusted only if it is an absolute path to an existing directory. */
export function checkMountpoint(driver: string, value: unknown): string {
  const bad = (why: string): never => {
    throw internal('ERR_VOLUME_PLUGIN_MOUNTPOINT', `volume plugin ${driver} returned an unusable mountpoint ${JSON.stringify(value)}: ${why}`, { details: { driver, mountpoint: value } });
  };
  if (typeof value !== 'string' || value === '') return bad('empty');
  if (!isAbsolute(value)) return bad('not an absolute path');
  if (value.split('/').includes('..')) return bad('contains ".."');
  let st;
  try {
    st = statSync(value);
  } catch {
    return bad('does not exist');
  }
  if (!st.isDirectory()) bad('not a directory');
  return value;
}
