import { describe, expect, it } from 'vitest';
import { demuxAll, encodeFrame, FrameDecoder } from './stdcopy.js';

describe('Docker multiplexed stream framing', () => {
  it('encodes the 8-byte header: stream, three zeros, big-endian size', () => {
    expect([...encodeFrame('stdout', 'hi')]).toEqual([1, 0, 0, 0, 0, 0, 0, 2, 0x68, 0x69]);
    expect([...encodeFrame('stderr', Buffer.alloc(258)).subarray(0, 8)]).toEqual([2, 0, 0, 0, 0, 0, 1, 2]);
    expect([...encodeFrame('stdin', '')]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('decodes frames split at any byte boundary', () => {
    const all = Buffer.concat([encodeFrame('stdout', 'out\n'), encodeFrame('stderr', 'é\n'), encodeFrame('stdout', '')]);
    for (let cut = 0; cut <= all.length; cut++) {
      const d = new FrameDecoder();
      const frames = [...d.push(all.subarray(0, cut)), ...d.push(all.subarray(cut))];
      expect(frames.map((f) => [f.stream, f.payload.toString()])).toEqual([['stdout', 'out\n'], ['stderr', 'é\n'], ['stdout', '']]);
      expect(d.pendingBytes).toBe(0);
    }
    expect(demuxAll(all)).toEqual({ stdout: 'out\n', stderr: 'é\n' });
  });

  it('rejects an unknown stream type', () => {
    expect(() => new FrameDecoder().push(Buffer.from([9, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/stream type/);
  });
});
