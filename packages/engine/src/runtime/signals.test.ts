import { expect, it } from 'vitest';
import { normalizeSignal } from './signals.js';

it.each([
  ['SIGTERM', 'SIGTERM'],
  ['term', 'SIGTERM'],
  ['KILL', 'SIGKILL'],
  ['9', 'SIGKILL'],
  [15, 'SIGTERM'],
  ['SIGUSR1', 'SIGUSR1'],
])('%j → %s', (input, expected) => {
  expect(normalizeSignal(input)).toBe(expected);
});

it.each(['--all', 'SIGNOPE', '999', '', '-9'])('rejects %j', (input) => {
  expect(() => normalizeSignal(input)).toThrow(/invalid signal/);
});
