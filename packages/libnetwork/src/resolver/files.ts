import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildHostModeHosts, buildHosts, type HostsRecord, parseExtraHost } from './hosts.js';
import { buildResolvConf, type ResolvConfResult } from './resolvconf.js';

/**
 * The per-sandbox files under `<dataDir>/sandboxes/<id>/`: hostname, hosts, resolv.conf. The engine
 * bind-mounts them into the container, so they are rewritten in place (same inode) — a rename would
 * leave the container's mount on the old file.
 */
export interface SandboxFilesInput {
  dir: string;
  hostMode: boolean;
  hostname: string;
  domainname: string;
  addresses: string[];
  extraHosts: string[];
  links: HostsRecord[];
  hostResolvConfPath: string;
  hostHostsPath: string;
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  ipv6: boolean;
  embeddedDns: boolean;
}

export interface SandboxFiles {
  dir: string;
  hostname: string;
  hosts: string;
  resolvConf: string;
}

export function sandboxFilePaths(dir: string): SandboxFiles {
  return { dir, hostname: join(dir, 'hostname'), hosts: join(dir, 'hosts'), resolvConf: join(dir, 'resolv.conf') };
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

export function writeSandboxFiles(input: SandboxFilesInput): { files: SandboxFiles; resolv: ResolvConfResult } {
  const files = sandboxFilePaths(input.dir);
  mkdirSync(input.dir, { recursive: true });
  const extra = input.extraHosts.map(parseExtraHost);
  const hosts = input.hostMode
    ? buildHostModeHosts(readOr(input.hostHostsPath, ''), extra)
    : buildHosts({ hostname: input.hostname, domainname: input.domainname, addresses: input.addresses, extraHosts: extra, links: input.links });
  const resolv = buildResolvConf({
    host: readOr(input.hostResolvConfPath, ''),
    dns: input.dns,
    dnsSearch: input.dnsSearch,
    dnsOptions: input.dnsOptions,
    ipv6: input.ipv6,
    embeddedDns: input.embeddedDns,
    hostMode: input.hostMode,
  });
  writeIfChanged(files.hostname, `${input.hostname}\n`);
  writeIfChanged(files.hosts, hosts);
  writeIfChanged(files.resolvConf, resolv.content);
  return { files, resolv };
}

function writeIfChanged(path: string, content: string): void {
  if (readOr(path, '\0') !== content) writeFileSync(path, content);
}

export function removeSandboxFiles(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
