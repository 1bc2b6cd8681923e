import { describe } from 'vitest';
import { canUseNetns } from './netns.js';

/**
 * `describe` for suites that need root and real namespaces. Skipped only where the capability
 * probe fails; under CI the sentinel test (test/sentinel.netns.test.ts) fails in that case, so a
 * skipped privileged suite never counts as green.
 */
export const describeNetns: ReturnType<typeof describe.skipIf> = describe.skipIf(!canUseNetns());
