/**
 * A DNS query from a container's point of view: dig (or busybox nslookup) run in the container's
 * network namespace against the server its resolv.conf names — the embedded one at 127.0.0.11 on
 * user-defined networks — so the answer is exactly what the container would get.
 */
import { readFileSync } from 'node:fs';
import { inNs } from './kernel.js';
import { findContainer, type DebugApi, type Model } from './model.js';

export interface DnsReport {
  container: string;
  server: string;
  type: string;
  name: string;
  status: string;
  answers: string[];
  raw: string;
  resolvConf: string;
}

async function resolvConfOf(api: DebugApi, id: string): Promise<string> {
  const info = await api.json<{ ResolvConfPath?: string }>('GET', `/containers/${id}/json`);
  try {
    return info.ResolvConfPath ? readFileSync(info.ResolvConfPath, 'utf8') : '';
  } catch {
    return '';
  }
}

export async function dnsQuery(api: DebugApi, model: Model, name: string, fromRef: string, opts: { type?: string; server?: string } = {}): Promise<DnsReport> {
  const c = findContainer(model, fromRef);
  if (!c) throw new Error(`no container "${fromRef}"`);
  if (!c.running || !c.sandboxKey) throw new Error(`container "${c.name}" is not running`);
  const resolvConf = await resolvConfOf(api, c.id);
  const server = opts.server ?? /^nameserver\s+(\S+)/m.exec(resolvConf)?.[1] ?? '127.0.0.11';
  const type = (opts.type ?? (/^[\d.]+$/.test(name) ? 'PTR' : 'A')).toUpperCase();
  const query = type === 'PTR' ? ['-x', name] : [name, type];
  const dig = inNs(c.sandboxKey, ['dig', `@${server}`, '+tries=1', '+time=2', ...query]);
  if (dig.status === -1 || /ENOENT/.test(dig.stderr)) {
    const ns = inNs(c.sandboxKey, ['busybox', 'nslookup', `-type=${type.toLowerCase()}`, name, server]);
    return { container: c.name, server, type, name, status: ns.status === 0 ? 'NOERROR' : 'ERROR', answers: [...ns.stdout.matchAll(/Address:\s*(\S+)$/gm)].slice(1).map((m) => m[1]!), raw: ns.stdout + ns.stderr, resolvConf };
  }
  const status = /status:\s*(\w+)/.exec(dig.stdout)?.[1] ?? (dig.status === 9 ? 'TIMEOUT' : 'ERROR');
  const section = /;; ANSWER SECTION:\n([\s\S]*?)\n\n/.exec(dig.stdout)?.[1] ?? '';
  const answers = section.split('\n').filter(Boolean).map((l) => l.split(/\s+/).slice(3).join(' '));
  return { container: c.name, server, type, name, status, answers, raw: dig.stdout + dig.stderr, resolvConf };
}
