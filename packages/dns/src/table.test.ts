import { describe, expect, it } from 'vitest';
import { nameKey, parseAddress, reverseName } from './names.js';
import { RecordTable } from './table.js';

describe('RecordTable', () => {
  it('resolves every name of a holder, case-insensitively and with a trailing dot', () => {
    const t = new RecordTable();
    t.setHolder('n1', 'ep1', { names: ['Web', 'web.n1', 'alias'], addresses: ['10.0.0.2/24', 'fd00::2'] });
    expect(t.resolve(['n1'], 'WEB.', 'A')).toEqual(['10.0.0.2']);
    expect(t.resolve(['n1'], 'alias', 'AAAA')).toEqual(['fd00::2']);
    expect(t.resolve(['n1'], 'web.N1.', 'A')).toEqual(['10.0.0.2']);
    expect(t.resolve(['n2'], 'web', 'A')).toBeUndefined();
  });

  it('answers a shared name with every holder and drops a holder cleanly', () => {
    const t = new RecordTable();
    t.setHolder('n1', 'a', { names: ['svc'], addresses: ['10.0.0.2'] });
    t.setHolder('n1', 'b', { names: ['svc'], addresses: ['10.0.0.3'] });
    expect(t.resolve(['n1'], 'svc', 'A')?.sort()).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(t.entry('n1', nameKey('svc'))?.a?.count).toBe(2);
    expect(t.removeHolder('n1', 'a')).toBe(true);
    expect(t.resolve(['n1'], 'svc', 'A')).toEqual(['10.0.0.3']);
    expect(t.removeHolder('n1', 'a')).toBe(false);
    t.removeHolder('n1', 'b');
    expect(t.entry('n1', nameKey('svc'))).toBeUndefined();
    expect(t.scopes()).toEqual([]);
  });

  it('keeps a name with only IPv4 as NODATA for AAAA, not missing', () => {
    const t = new RecordTable();
    t.setHolder('n1', 'a', { names: ['web'], addresses: ['10.0.0.2'] });
    const e = t.entry('n1', nameKey('web'))!;
    expect(e.a?.count).toBe(1);
    expect(e.aaaa).toBeNull();
    expect(t.resolve(['n1'], 'web', 'AAAA')).toEqual([]);
  });

  it('makes PTR records for IPv4 and IPv6, from ptrName or the first name, or none', () => {
    const t = new RecordTable();
    t.setHolder('n1', 'a', { names: ['web', 'x'], addresses: ['10.0.0.2', '2001:db8::1'], ptrName: 'web.n1' });
    t.setHolder('n1', 'b', { names: ['db'], addresses: ['10.0.0.3'] });
    t.setHolder('n1', 'c', { names: ['hidden'], addresses: ['10.0.0.4'], ptrName: null });
    expect(t.resolve(['n1'], '2.0.0.10.in-addr.arpa', 'PTR')).toEqual(['web.n1']);
    expect(t.resolve(['n1'], reverseName(parseAddress('2001:db8::1')), 'PTR')).toEqual(['web.n1']);
    expect(t.resolve(['n1'], '3.0.0.10.in-addr.arpa.', 'PTR')).toEqual(['db']);
    expect(t.resolve(['n1'], '4.0.0.10.in-addr.arpa', 'PTR')).toBeUndefined();
  });

  it('replaces a holder on rename: the old name disappears', () => {
    const t = new RecordTable();
    t.setHolder('n1', 'a', { names: ['old'], addresses: ['10.0.0.2'] });
    const v = t.version;
    t.setHolder('n1', 'a', { names: ['new'], addresses: ['10.0.0.2'] });
    expect(t.version).toBeGreaterThan(v);
    expect(t.resolve(['n1'], 'old', 'A')).toBeUndefined();
    expect(t.resolve(['n1'], 'new', 'A')).toEqual(['10.0.0.2']);
    expect(t.resolve(['n1'], '2.0.0.10.in-addr.arpa', 'PTR')).toEqual(['new']);
  });

  it.each([
    ['bad label', { names: ['we b'], addresses: ['10.0.0.2'] }, 'ERR_DNS_INVALID_NAME'],
    ['empty label', { names: ['web..net'], addresses: ['10.0.0.2'] }, 'ERR_DNS_INVALID_NAME'],
    ['empty name', { names: [''], addresses: ['10.0.0.2'] }, 'ERR_DNS_INVALID_NAME'],
    ['label over 63', { names: ['a'.repeat(64)], addresses: ['10.0.0.2'] }, 'ERR_DNS_INVALID_NAME'],
    ['no names', { names: [], addresses: ['10.0.0.2'] }, 'ERR_DNS_INVALID_RECORD'],
    ['bad address', { names: ['web'], addresses: ['10.0.0.300'] }, 'ERR_DNS_INVALID_ADDRESS'],
  ])('rejects %s with a stable code and changes nothing', (_, record, code) => {
    const t = new RecordTable();
    t.setHolder('n1', 'a', { names: ['keep'], addresses: ['10.0.0.9'] });
    const before = JSON.stringify(t.holders('n1'));
    const v = t.version;
    expect(() => t.setHolder('n1', 'a', record)).toThrow(expect.objectContaining({ code }));
    expect(JSON.stringify(t.holders('n1'))).toBe(before);
    expect(t.version).toBe(v);
  });

  it('canonicalises IPv6 text and reverse names', () => {
    expect(parseAddress('FD00:0:0:0:0:0:0:2').text).toBe('fd00::2');
    expect(parseAddress('::ffff:10.0.0.1').text).toBe('::ffff:a00:1');
    expect(reverseName(parseAddress('10.1.2.3'))).toBe('3.2.1.10.in-addr.arpa');
    expect(reverseName(parseAddress('2001:db8::1'))).toBe(`1.${'0.'.repeat(23)}8.b.d.0.1.0.0.2.ip6.arpa`);
  });
});
