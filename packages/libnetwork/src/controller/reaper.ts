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
  #timer: NodeJS.Timeout | undefined;

  constructor(kernel: Kernel, nsPath: string | undefined, log: (message: string) => void) {
    this.#kernel = kernel;
    this.#nsPath = nsPath;
    this.#log = log;
  }

  /** Takes a link out of service now and deletes it later. False when it did not exist. */
  async retire(ops: LinkOps, name: string): Promise<boolean> {
    if (!(await ops.linkByName(name))) return false;
    await ops.setDown(name);
    // Addresses go now (cheap, unlike the deletion): a retired bridge must not keep a gateway
    // address, nor its subnet's route, that a new network with the same subnet would collide with.
    for (const cidr of await ops.addresses(name)) await ops.removeAddress(name, cidr);
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

  /** Deletes everything retired so far now, and resolves when the kernel is done. */
  async drain(): Promise<void> {
    this.#startNow();
    while (this.#running) await this.#running;
  }

  /**
   * Waits until retirements stop for IDLE_MS (or BATCH_MAX piled up): the deletion then runs
   * once for the whole batch, and not beside the operations that keep the controller busy
   * (it takes the kernel's RTNL lock, which every netlink call also needs).
   */
  #kick(): void {
    if (this.#pending.size >= BATCH_MAX) {
      this.#startNow();
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#startNow(), IDLE_MS);
    this.#timer.unref();
  }

  #startNow(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.size === 0) return;
    this.#running ??= this.#loop().finally(() => {
      this.#running = undefined;
      if (this.#pending.size > 0) this.#kick();
    });
  }

  async #loop(): Promise<void> {
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

const IDLE_MS = 50;
const BATCH_MAX = 64;
