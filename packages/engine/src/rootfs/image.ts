import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageRecord } from '../images/types.js';
import type { ImageStore } from '../images/store.js';
import { makeBusyboxRootfsTar, type BusyboxRootfsOptions } from './busybox.js';

/**
 * The busybox image the README's up command, the labs and the tests run: built from the host's
 * busybox-static and imported as `ref` (default `busybox:latest`, Cmd `sh`) unless already there.
 */
export async function ensureBusyboxImage(store: ImageStore, ref = 'busybox:latest', options: BusyboxRootfsOptions = {}): Promise<ImageRecord> {
  if (store.has(ref)) return store.resolve(ref);
  const dir = await mkdtemp(join(tmpdir(), 'tsnet-busybox-tar-'));
  try {
    const tar = join(dir, 'busybox.tar');
    await makeBusyboxRootfsTar(tar, options);
    return await store.importRootfs(createReadStream(tar), { repo: ref, changes: ['CMD ["sh"]'] });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
