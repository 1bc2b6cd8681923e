import { describe, expect, it } from 'vitest';
import { isTsnetError } from '@tsnet/errors';
import { applyChanges } from './changes.js';
import { parseReference } from './reference.js';

describe('applyChanges (docker import --change)', () => {
  it.each([
    ['CMD ["sh"]', { Cmd: ['sh'] }],
    ['CMD echo hi', { Cmd: ['/bin/sh', '-c', 'echo hi'] }],
    ['cmd ["sleep", "1"]', { Cmd: ['sleep', '1'] }], // instructions are case-insensitive
    ['ENTRYPOINT ["/bin/httpd", "-f"]', { Entrypoint: ['/bin/httpd', '-f'] }],
    ['ENTRYPOINT [not json', { Entrypoint: ['/bin/sh', '-c', '[not json'] }], // falls back to shell form
    ['ENV A=1 B="two words" C=\'$lit\'', { Env: ['A=1', 'B=two words', 'C=$lit'] }],
    ['ENV LEGACY the whole rest', { Env: ['LEGACY=the whole rest'] }],
    ['ENV A=x B=${A}y', { Env: ['A=x', 'B=y'] }], // substitution sees the env before this line, as in Docker
    ['WORKDIR /srv', { WorkingDir: '/srv' }],
    ['EXPOSE 80 53/udp 8000-8001', { ExposedPorts: { '80/tcp': {}, '53/udp': {}, '8000/tcp': {}, '8001/tcp': {} } }],
    ['VOLUME ["/data", "/logs/"]', { Volumes: { '/data': {}, '/logs/': {} } }],
    ['VOLUME /a /b', { Volumes: { '/a': {}, '/b': {} } }],
    ['LABEL a=b "c d"=e', { Labels: { a: 'b', 'c d': 'e' } }],
    ['USER nobody:nogroup', { User: 'nobody:nogroup' }],
    ['STOPSIGNAL SIGINT', { StopSignal: 'SIGINT' }],
  ])('%s', (change, expected) => {
    expect(applyChanges({}, [change])).toEqual(expected);
  });

  it('applies several changes in order, later ones winning', () => {
    const config = applyChanges({ Env: ['PATH=/bin'] }, ['ENV PATH=/usr/bin:$PATH', 'WORKDIR /a', 'WORKDIR b', 'CMD ["x"]', 'CMD ["y"]']);
    expect(config).toEqual({ Env: ['PATH=/usr/bin:/bin'], WorkingDir: '/a/b', Cmd: ['y'] });
  });

  it('accepts several instructions in one value, one per line', () => {
    expect(applyChanges({}, ['CMD ["sh"]\nENV A=1'])).toEqual({ Cmd: ['sh'], Env: ['A=1'] });
  });

  it.each([
    ['RUN echo no'], // not allowed in import
    ['EXPOSE 70000'],
    ['EXPOSE 80/icmp'],
    ['VOLUME relative'],
    ['ENV A="unterminated'],
    ['LABEL novalue'],
    ['WORKDIR'],
  ])('rejects %s with ERR_IMAGE_CHANGE_INVALID', (change) => {
    const base = { Cmd: ['sh'] };
    let error: unknown;
    try {
      applyChanges(base, [change]);
    } catch (e) {
      error = e;
    }
    expect(isTsnetError(error, 'ERR_IMAGE_CHANGE_INVALID')).toBe(true);
    expect(base).toEqual({ Cmd: ['sh'] });
  });
});

describe('parseReference', () => {
  it.each([
    ['busybox', 'busybox', 'latest'],
    ['busybox:1.36', 'busybox', '1.36'],
    ['docker.io/library/busybox:x', 'busybox', 'x'],
    ['library/busybox', 'busybox', 'latest'],
    ['localhost:5000/team/app:v1', 'localhost:5000/team/app', 'v1'],
    ['my-org/my_app.v2', 'my-org/my_app.v2', 'latest'],
  ])('%s', (ref, repo, tag) => {
    expect(parseReference(ref)).toEqual({ repo, tag });
  });

  it.each(['Busybox', 'a/../b', 'a:b:c', '', 'x@sha256:00', 'a:-tag', 'a//b'])('rejects %j', (ref) => {
    expect(() => parseReference(ref)).toThrow(/invalid reference format/);
  });
});
