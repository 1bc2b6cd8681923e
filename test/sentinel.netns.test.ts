import { expect, it } from 'vitest';
import { canUseNetns } from '@tsnet/testkit';

// Privileged suites skip themselves where namespaces cannot be made; under CI that must be red.
it('privileged suites can run (required under CI)', () => {
  if (!process.env['CI']) return;
  expect(canUseNetns(), 'CI must run the netns project as root with namespace support').toBe(true);
});
