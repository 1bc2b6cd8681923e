import { expect, it } from 'vitest';
import { humanDuration } from './docker-state.js';

it.each([
  [0, 'Less than a second'],
  [1000, '1 second'],
  [5000, '5 seconds'],
  [60_000, 'About a minute'],
  [10 * 60_000, '10 minutes'],
  [3600_000, 'About an hour'],
  [5 * 3600_000, '5 hours'],
  [3 * 24 * 3600_000, '3 days'],
])('humanDuration(%d) = %s', (ms, text) => {
  expect(humanDuration(ms)).toBe(text);
});
