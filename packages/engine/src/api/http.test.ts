import { describe, expect, it } from 'vitest';
import { isTsnetError } from '@tsnet/errors';
import { boolParam, olderThan, parseFilters, type Ctx } from './http.js';
import { eventMatches, type DockerEvent } from '../services/events.js';

const q = (s: string): URLSearchParams => new URLSearchParams(s);

describe('API helpers', () => {
  it('booleans as Docker reads them', () => {
    expect(boolParam(q('a=1'), 'a')).toBe(true);
    expect(boolParam(q('a=true'), 'a')).toBe(true);
    expect(boolParam(q('a=0'), 'a')).toBe(false);
    expect(boolParam(q('a=false'), 'a')).toBe(false);
    expect(boolParam(q(''), 'a', true)).toBe(true);
  });

  it('filters in both JSON forms; unknown keys and bad values are invalid', () => {
    expect(parseFilters(q(`filters=${encodeURIComponent('{"name":["a","b"]}')}`), ['name'])).toEqual(new Map([['name', ['a', 'b']]]));
    expect(parseFilters(q(`filters=${encodeURIComponent('{"name":{"a":true,"b":false}}')}`), ['name'])).toEqual(new Map([['name', ['a']]]));
    for (const bad of ['{"x":["a"]}', 'nope', '[1]', '{"name":"a"}', '{"name":{"a":"yes"}}']) {
      try {
        parseFilters(q(`filters=${encodeURIComponent(bad)}`), ['name']);
        expect.unreachable(bad);
      } catch (error) {
        expect(isTsnetError(error, 'ERR_BAD_FILTERS')).toBe(true);
      }
    }
  });

  it('API version comparison', () => {
    const ctx = (version: string | undefined) => ({ version }) as Ctx;
    expect(olderThan(ctx('1.41'), '1.42')).toBe(true);
    expect(olderThan(ctx('1.42'), '1.42')).toBe(false);
    expect(olderThan(ctx('1.9'), '1.24')).toBe(true);
    expect(olderThan(ctx(undefined), '1.42')).toBe(false);
  });

  it('event filters', () => {
    const e: DockerEvent = { Type: 'network', Action: 'connect', Actor: { ID: 'abc123', Attributes: { name: 'net', container: 'c0ffee' } }, scope: 'local', time: 1, timeNano: 1 };
    expect(eventMatches(e, new Map([['type', ['network']]]))).toBe(true);
    expect(eventMatches(e, new Map([['type', ['container']]]))).toBe(false);
    expect(eventMatches(e, new Map([['network', ['net']], ['event', ['connect', 'disconnect']]]))).toBe(true);
    expect(eventMatches(e, new Map([['container', ['c0f']]]))).toBe(true);
  });
});
