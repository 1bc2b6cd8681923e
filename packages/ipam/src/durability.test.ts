import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openFileStore } from '@tsnet/store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ipam } from './ipam.js';

describe('ipam over the file store', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'tsnet-ipam-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a restart restores the same state', async () => {
    const store = await openFileStore(dir);
    const ipam = await Ipam.open({ store });
    const a = await ipam.requestPool();
    const b = await ipam.requestPool({ pool: 'fd00:7::/64', subPool: 'fd00:7::/120', options: { 'com.docker.network.ipam.serial': 'true' } });
    await ipam.requestAddress(a.poolId, { gateway: true });
    for (let i = 0; i < 20; i += 1) await ipam.requestAddress(b.poolId);
    await ipam.releaseAddress(b.poolId, 'fd00:7::5');
    const before = await ipam.pools();
    await store.close();

    const reopened = await openFileStore(dir);
    try {
      const restored = await Ipam.open({ store: reopened });
      expect(await restored.pools()).toEqual(before);
      expect((await restored.requestAddress(b.poolId)).address).toBe('fd00:7::15/64'); // round-robin resumes
      expect((await restored.requestPool()).pool).toBe('172.18.0.0/16');
    } finally {
      await reopened.close();
    }
  });

  it('SIGKILL while allocating: every acknowledged address is still allocated, none handed out twice', async () => {
    const setup = await openFileStore(dir);
    const { poolId } = await (await Ipam.open({ store: setup })).requestPool({ pool: '10.60.0.0/16' });
    await setup.close();
    const worker = fileURLToPath(new URL('./testing/kill-worker.ts', import.meta.url));
    const acknowledged: string[] = [];
    for (let round = 0; round < 3; round += 1) {
      const lines = await new Promise<string[]>((resolve, reject) => {
        const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', worker, dir, poolId], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          // Kill at a different point each round, mid-stream.
          if (out.split('\n').length > 100 + round * 150) child.kill('SIGKILL');
        });
        child.on('error', reject);
        child.on('exit', () => resolve(out.split('\n').slice(0, -1))); // a torn last line is not an ack
      });
      acknowledged.push(...lines);
    }
    expect(new Set(acknowledged).size).toBe(acknowledged.length);
    const store = await openFileStore(dir);
    try {
      const ipam = await Ipam.open({ store });
      const held = new Set((await ipam.poolInfo(poolId)).addresses);
      for (const address of acknowledged) expect(held.has(address)).toBe(true);
      const next = (await ipam.requestAddress(poolId)).address.split('/')[0]!;
      expect(acknowledged).not.toContain(next);
    } finally {
      await store.close();
    }
  }, 60_000);
});
