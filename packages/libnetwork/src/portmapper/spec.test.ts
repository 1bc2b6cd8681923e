import { describe, expect, it } from 'vitest';
import { formatBinding, parsePortSpec, publishAllBindings, type PortBinding } from './spec.js';

const b = (containerPort: number, hostPort: number, hostIp = '', proto: PortBinding['proto'] = 'tcp', hostPortEnd?: number): PortBinding =>
  hostPortEnd === undefined ? { proto, containerPort, hostIp, hostPort } : { proto, containerPort, hostIp, hostPort, hostPortEnd };

describe('parsePortSpec: every form Docker accepts', () => {
  it.each<[string, PortBinding[]]>([
    ['80', [b(80, 0)]],
    ['8080:80', [b(80, 8080)]],
    ['127.0.0.1:8080:80', [b(80, 8080, '127.0.0.1')]],
    ['127.0.0.1::80', [b(80, 0, '127.0.0.1')]],
    ['0.0.0.0:8080:80', [b(80, 8080)]], // 0.0.0.0 is "every address"
    ['80/udp', [b(80, 0, '', 'udp')]],
    ['8080:80/sctp', [b(80, 8080, '', 'sctp')]],
    ['8080:80/TCP', [b(80, 8080)]], // proto is case-insensitive
    ['80/', [b(80, 0)]], // empty proto means tcp
    ['[::1]:8080:80', [b(80, 8080, '::1')]],
    ['[::]:8080:80', [b(80, 8080)]],
    ['::1:8080:80', [b(80, 8080, '::1')]], // unbracketed IPv6: everything before the last two parts
    ['[2001:db8::1]::53/udp', [b(53, 0, '2001:db8::1', 'udp')]],
    ['8000-8002:80-82', [b(80, 8000), b(81, 8001), b(82, 8002)]],
    ['80-81', [b(80, 0), b(81, 0)]],
    ['8000-8010:80', [b(80, 8000, '', 'tcp', 8010)]], // one container port, a host range to pick from
    ['127.0.0.1:8000-8001:80-81/udp', [b(80, 8000, '127.0.0.1', 'udp'), b(81, 8001, '127.0.0.1', 'udp')]],
  ])('%s', (spec, expected) => {
    expect(parsePortSpec(spec)).toEqual(expected);
  });
});

describe('parsePortSpec: bad forms get Docker’s errors', () => {
  it.each([
    ['', 'No port specified: <empty>'],
    ['8080:', 'No port specified: 8080:<empty>'],
    ['/tcp', 'No port specified: /tcp<empty>'],
    ['abc', 'Invalid containerPort: abc'],
    ['0', 'Invalid containerPort: 0'],
    ['65536', 'Invalid containerPort: 65536'],
    ['8080:abc', 'Invalid containerPort: abc'],
    ['90-80', 'Invalid containerPort: 90-80'],
    ['abc:80', 'Invalid hostPort: abc'],
    ['70000:80', 'Invalid hostPort: 70000'],
    ['8000-7000:80', 'Invalid hostPort: 8000-7000'],
    ['8000-8001:80-85', 'Invalid ranges specified for container and host Ports: 80-85 and 8000-8001'],
    ['80/icmp', 'Invalid proto: icmp'],
    ['1.2.3:8080:80', 'Invalid ip address: 1.2.3'],
    ['localhost:8080:80', 'Invalid ip address: localhost'],
    ['[::1:8080:80', "Invalid ip address [::1: address [::1: missing ']' in address"],
  ])('%j → %s', (spec, message) => {
    expect(() => parsePortSpec(spec)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_PORT_SPEC', message }));
  });
});

describe('-P (publish all exposed ports)', () => {
  it('publishes each exposed port on an ephemeral host port', () => {
    expect(publishAllBindings(['80', '53/udp', '9000-9001/tcp'])).toEqual([b(80, 0), b(53, 0, '', 'udp'), b(9000, 0), b(9001, 0)]);
  });
  it('rejects a bad exposed port', () => {
    expect(() => publishAllBindings(['80/xyz'])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_PORT_SPEC' }));
  });
});

describe('formatBinding', () => {
  it('prints like docker port', () => {
    expect(formatBinding(b(80, 8080))).toBe('0.0.0.0:8080->80/tcp');
    expect(formatBinding(b(80, 8080, '::1'))).toBe('[::1]:8080->80/tcp');
  });
});
