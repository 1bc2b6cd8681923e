import { describe, expect, it } from 'vitest';
import { linkEnvironment } from './links.js';

describe('linkEnvironment', () => {
  it("matches Docker's variables for one port and the child's env", () => {
    expect(
      linkEnvironment({
        parentName: '/web',
        alias: 'db',
        childIp: '172.17.0.3',
        exposedPorts: [{ proto: 'tcp', port: 5432 }],
        childEnv: ['PATH=/bin', 'HOME=/root', 'POSTGRES_DB=app', 'EMPTY='],
      }),
    ).toEqual([
      'DB_PORT=tcp://172.17.0.3:5432',
      'DB_PORT_5432_TCP=tcp://172.17.0.3:5432',
      'DB_PORT_5432_TCP_ADDR=172.17.0.3',
      'DB_PORT_5432_TCP_PORT=5432',
      'DB_PORT_5432_TCP_PROTO=tcp',
      'DB_NAME=/web/db',
      'DB_ENV_POSTGRES_DB=app',
      'DB_ENV_EMPTY=',
    ]);
  });

  it('groups contiguous ports with _START/_END, tcp first at equal numbers, dashes become underscores', () => {
    const env = linkEnvironment({
      parentName: 'app',
      alias: 'my-svc',
      childIp: '10.0.0.9',
      exposedPorts: [
        { proto: 'udp', port: 8000 },
        { proto: 'tcp', port: 8002 },
        { proto: 'tcp', port: 8001 },
        { proto: 'tcp', port: 8000 },
      ],
    });
    expect(env[0]).toBe('MY_SVC_PORT=tcp://10.0.0.9:8000');
    expect(env).toContain('MY_SVC_PORT_8000_TCP_START=tcp://10.0.0.9:8000');
    expect(env).toContain('MY_SVC_PORT_8000_TCP_END=tcp://10.0.0.9:8002');
    expect(env).toContain('MY_SVC_PORT_8000_TCP_PORT_END=8002');
    expect(env).toContain('MY_SVC_PORT_8000_UDP=udp://10.0.0.9:8000');
    expect(env.at(-1)).toBe('MY_SVC_NAME=/app/my-svc');
  });

  it('no ports: only the name', () => {
    expect(linkEnvironment({ parentName: 'a', alias: 'b', childIp: '1.2.3.4', exposedPorts: [] })).toEqual(['B_NAME=/a/b']);
  });
});
