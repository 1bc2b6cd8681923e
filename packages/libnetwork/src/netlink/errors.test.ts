import { describe, expect, it } from 'vitest';
import { NetlinkError, isNetlinkError, missingLinkKind } from './errors.js';

describe('NetlinkError', () => {
  it('is shaped like a Node system error', () => {
    const e = new NetlinkError(-17, 'RTM_NEWLINK', 'bridge "br0"');
    expect(e).toMatchObject({ code: 'EEXIST', errno: -17, syscall: 'RTM_NEWLINK', object: 'bridge "br0"' });
    expect(e.message).toBe('EEXIST: file already exists, RTM_NEWLINK bridge "br0"');
    expect(isNetlinkError(e, 'EEXIST')).toBe(true);
    expect(isNetlinkError(e, 'ENODEV')).toBe(false);
    expect('feature' in e).toBe(false);
  });
  it('uses the kernel name EOPNOTSUPP and names a missing link kind', () => {
    const e = missingLinkKind('ipvlan', '"ipv0"');
    expect(e).toMatchObject({ code: 'EOPNOTSUPP', errno: -95, feature: 'ipvlan' });
    expect(e.message).toMatch(/^ipvlan is not available in this kernel/);
    expect(new NetlinkError(95, 'RTM_NEWNEIGH', 'x').code).toBe('EOPNOTSUPP');
  });
});
