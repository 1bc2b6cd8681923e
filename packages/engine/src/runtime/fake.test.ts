import { describe, expect, it } from 'vitest';
import { isTsnetError } from '@tsnet/errors';
import { FakeRuntime } from './fake.js';
import type { RuntimeEvent } from './types.js';

const spec = { rootfs: '/img', process: { args: ['sh'], env: [], cwd: '/' }, network: 'none' as const };

describe('FakeRuntime', () => {
  it('walks the lifecycle with the same states, codes and events as Runtime', async () => {
    const rt = new FakeRuntime({ behaviour: (s) => (s.process.args[0] === 'quick' ? { stdout: 'a\nb\n', stderr: 'oops\n', exitCode: 3 } : { ignoreTerm: true }) });
    const events: string[] = [];
    rt.events.subscribe((e: RuntimeEvent) => events.push(e.type));
    const quick = await rt.create({ ...spec, process: { ...spec.process, args: ['quick'] } });
    await rt.start(quick.id);
    expect(await rt.wait(quick.id)).toEqual({ exitCode: 3, error: '' });
    const out: string[] = [];
    for await (const e of rt.logs(quick.id, { stderr: false })) out.push(e.log);
    expect(out).toEqual(['a\n', 'b\n']);

    const slow = await rt.create(spec);
    expect((await rt.start(slow.id)).status).toBe('running');
    expect(isTsnetError(await rt.delete(slow.id).catch((e: unknown) => e), 'ERR_CONTAINER_RUNNING')).toBe(true);
    expect((await rt.stop(slow.id, { timeoutSeconds: 1 })).exitCode).toBe(137); // ignores TERM
    await rt.delete(slow.id);
    expect(rt.has(slow.id)).toBe(false);
    expect(events).toEqual(['create', 'start', 'exit', 'create', 'start', 'kill', 'kill', 'exit', 'delete']);
  });
});
