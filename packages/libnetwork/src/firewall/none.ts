import type { Drift, Firewall } from './types.js';

/** The `none` backend: the kernel is never touched, nothing is ever missing or extra. */
export class NoneFirewall implements Firewall {
  readonly backend = 'none' as const;
  async apply(): Promise<void> {}
  async list(): Promise<never[]> {
    return [];
  }
  async drift(): Promise<Drift> {
    return { missing: [], extra: [] };
  }
  async teardown(): Promise<void> {}
  async applySandboxResolver(): Promise<void> {}
  async removeSandboxResolver(): Promise<void> {}
}
