import { describeNetns, trackedTestNs, type TestNs } from '@tsnet/testkit';
import { afterEach, expect, it } from 'vitest';
import { createFirewall } from './firewall.js';
import { serve, udpGet, tcpGet, type Topology } from './test-topology.js';

/**
 * The embedded resolver's DNAT inside a sandbox namespace: a query to 127.0.0.11:53 reaches the
 * server on its real ports, and the reply comes back from :53 (the client's socket is connected,
 * so the kernel would drop a reply from any other port).
 */
for (const backend of ['nftables', 'iptables'] as const) {
  describeNetns(`${backend}: sandbox resolver rules`, () => {
    const made: TestNs[] = [];
    const t = { servers: [] } as unknown as Topology;
    afterEach(() => {
      for (const s of t.servers) s.kill('SIGKILL');
      t.servers.length = 0;
      for (const ns of made.splice(0)) ns.destroy();
    });

    it('sends 127.0.0.11:53 (udp and tcp) to the server’s ports and back, idempotently, and removes cleanly', async () => {
      const host = trackedTestNs('tsnet-fw-host');
      const sandbox = trackedTestNs('tsnet-fw-sbx');
      made.push(host, sandbox);
      const fw = createFirewall({ backend, nsPath: host.path });
      await serve(t, sandbox, 'dns', 35353, 'udp', '127.0.0.11');
      await serve(t, sandbox, 'dns', 35354, 'tcp', '127.0.0.11');
      expect(udpGet(sandbox, '127.0.0.11', 53)).toBe('');

      await fw.applySandboxResolver(sandbox.path, { udpPort: 35353, tcpPort: 35354 });
      await fw.applySandboxResolver(sandbox.path, { udpPort: 35353, tcpPort: 35354 }); // idempotent
      expect(udpGet(sandbox, '127.0.0.11', 53)).toBe('dns from 127.0.0.1 ping');
      expect(tcpGet(sandbox, '127.0.0.11', 53)).toMatch(/^dns from /);
      const rules = backend === 'nftables' ? sandbox.sh('nft list ruleset') : sandbox.sh('iptables-save -t nat');
      expect(rules.match(/127\.0\.0\.11:35353/g)).toHaveLength(1);
      // Nothing was written into the host namespace.
      expect(host.sh('nft list ruleset')).toBe('');

      await fw.removeSandboxResolver(sandbox.path);
      await fw.removeSandboxResolver(sandbox.path); // already gone is fine
      expect(udpGet(sandbox, '127.0.0.11', 53)).toBe('');
      const after = backend === 'nftables' ? sandbox.sh('nft list ruleset') : sandbox.sh('iptables-save -t nat');
      expect(after).not.toMatch(/tsnet|TSNET/);
      fw.close?.();
    });
  });
}
