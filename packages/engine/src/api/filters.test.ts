import { describe, expect, it } from 'vitest';
import { createdUntil, goDurationMs, labelsMatch, parseTimestamp, portFilterKeys, regexMatch } from './filters.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');

describe('filters as dockerd reads them', () => {
  it('durations, unix seconds and dates', () => {
    expect(goDurationMs('1h30m')).toBe(5_400_000);
    expect(goDurationMs('10')).toBeUndefined();
    expect(parseTimestamp('1h', NOW)).toBe(NOW - 3_600_000);
    expect(parseTimestamp('10.5', NOW)).toBe(10_500);
    expect(parseTimestamp('2026-01-01T11:00:00Z', NOW)).toBe(NOW - 3_600_000);
    expect(() => parseTimestamp('yesterday', NOW)).toThrow(/failed to parse/);
  });

  it('until keeps what was created after it', () => {
    const f = new Map([['until', ['1h']]]);
    expect(createdUntil('2026-01-01T11:59:00Z', f, NOW)).toBe(false); // younger than 1h: kept
    expect(createdUntil('2026-01-01T10:00:00Z', f, NOW)).toBe(true);
    expect(createdUntil('2026-01-01T11:59:00Z', new Map(), NOW)).toBe(true);
  });

  it('label and label!', () => {
    const labels = { keep: '1', tier: 'db' };
    expect(labelsMatch(labels, new Map([['label', ['keep']]]))).toBe(true);
    expect(labelsMatch(labels, new Map([['label', ['keep', 'tier=web']]]))).toBe(false);
    expect(labelsMatch(labels, new Map([['label!', ['keep']]]))).toBe(false);
    expect(labelsMatch({}, new Map([['label!', ['keep']]]))).toBe(true);
    expect(labelsMatch(labels, new Map([['label!', ['tier=web']]]))).toBe(true);
  });

  it('port filters and name patterns', () => {
    expect(portFilterKeys('8080')).toEqual(['8080/tcp']);
    expect(portFilterKeys('53/udp')).toEqual(['53/udp']);
    expect(portFilterKeys('80-82/tcp')).toEqual(['80/tcp', '81/tcp', '82/tcp']);
    expect(() => portFilterKeys('x')).toThrow(/invalid port filter/);
    expect(regexMatch('^p1$', 'p1')).toBe(true);
    expect(regexMatch('^p1$', 'p10')).toBe(false);
    expect(regexMatch('p.', 'ap1')).toBe(true);
  });
});
