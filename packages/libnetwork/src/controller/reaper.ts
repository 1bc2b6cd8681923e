import { randomBytes } from 'node:crypto';
import type { Kernel, LinkOps } from '../system/types.js';

/** Links taken out of service and waiting for deletion: `tsnetgc` + 8 hex (15 characters, IFNAMSIZ). */
export const GC_LINK_RE = /^tsnetgc[0-9a-f]{8}$/;

export const gcLinkName = (): string => `tsnetgc${randomBytes(4).toString('hex')}`;

/**
 * Deleting a link costs an RCU grace period in the kernel (~20–40 ms here), during which the
 * calling thread is blocked — longer than everything else a disconnect or a network delete does.
 * So a link is retired instead: set down (it stops forwarding at once; the kernel drops its
 * routes) and renamed to `tsnetgc…` (its name is free again), then deleted in the background, in
 * batches, by a child process. A crash before the deletion leaves only `tsnetgc…` links, which
 * restore deletes; `drain()` waits for the background work (stop() and tests use it).
 */
export class LinkReaper {
  readonly #kernel: Kernel;
  readonly #nsPath: string | undefined;
  readonly #log: (message: string) => void;
  readonly #pending = new Set<string>();
  #running: Promise<void> | undefined;

  constructor(kernel: Kernel, nsPath: string | undefined, log: (message: string) => void) {
    this.#kernel = kernel;
    this.#nsPath = nsPath;
    this.#log = log;
  }

  /** Takes a link out of service now and deletes it later. False when it did not exist. */
  async retire(ops: LinkOps, name: string): Promise<boolean> {
    if (!(await ops.linkByName(name))) return false;
    await ops.setDown(name);
    const gc = gcLinkName();
    await ops.rename(name, gc);
    this.#pending.add(gc);
    this.#kick();
    return true;
  }

  /** Queues links that are already out of service (restore found them). */
  reap(names: string[]): void {
    for (const n of names) this.#pending.add(n);
    this.#kick();
  }

  async drain(): Promise<void> {
    while (this.#running) await this.#running;
  }

  #kick(): void {
    this.#running ??= this.#loop().finally(() => {
      this.#running = undefined;
    });
  }

  async #loop(): Promise<void> {
    // Let the operation that retired the link finish first; then take everything queued so far.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.#pending.size > 0) {
      const batch = [...this.#pending];
      this.#pending.clear();
      try {
        await this.#kernel.reapLinks(this.#nsPath, batch);
      } catch (error) {
        this.#log(`could not delete retired links ${batch.join(', ')}: ${(error as Error).message}`);
      }
    }
  }
}
