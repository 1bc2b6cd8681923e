import { describe, expect, it } from 'vitest';
import { parseComment } from './comment.js';
import { commentOf, normSpec, parseIptablesSave, tokenize } from './iptables-parse.js';

describe('iptables-save parsing', () => {
  it('tokenises quoted comments', () => {
    expect(tokenize('-o br0 -m comment --comment "tsnet net=web" -j ACCEPT')).toEqual(['-o', 'br0', '-m', 'comment', '--comment', 'tsnet net=web', '-j', 'ACCEPT']);
  });
  it('compares specs whatever the quoting', () => {
    expect(normSpec('-m comment --comment tsnet -j RETURN')).toBe(normSpec('-m comment --comment "tsnet" -j RETURN'));
  });
  it('reads tables, chains, rules and counters', () => {
    const saved = parseIptablesSave(
      ['*nat', ':PREROUTING ACCEPT [0:0]', ':TSNET - [0:0]', '[4:240] -A PREROUTING -m addrtype --dst-type LOCAL -m comment --comment tsnet -j TSNET', 'COMMIT'].join('\n'),
    );
    expect([...saved.chains.get('nat')!]).toEqual(['PREROUTING', 'TSNET']);
    expect(saved.rules).toEqual([{ table: 'nat', chain: 'PREROUTING', spec: '-m addrtype --dst-type LOCAL -m comment --comment tsnet -j TSNET', packets: 4, bytes: 240 }]);
    expect(commentOf(saved.rules[0]!.spec)).toBe('tsnet');
  });
  it.each([
    ['tsnet', { kind: 'global' }],
    ['tsnet net=web', { kind: 'network', network: 'web' }],
    ['tsnet net=web ctr=abc ep=def port=127.0.0.1:80/tcp', { kind: 'port', network: 'web', container: 'abc', endpoint: 'def', port: '127.0.0.1:80/tcp' }],
    ['tsnet resolver', { kind: 'resolver' }],
    ['something else', { kind: 'foreign' }],
    [undefined, { kind: 'foreign' }],
  ])('reads the owner from comment %j', (comment, owner) => {
    expect(parseComment(comment)).toEqual(owner);
  });
});
