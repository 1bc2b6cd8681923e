// packages/volumes/examples/quickstart.ts — run from the repo root, as root:
//   unshare --mount --propagation private node --conditions=source --import tsx packages/volumes/examples/quickstart.ts
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '@tsnet/store';
import { VolumeService, parseMountFlag, parseTmpfsFlag, planMounts } from '@tsnet/volumes';

const root = mkdtempSync(join(tmpdir(), 'vol-example-'));
const volumes = await VolumeService.open({ store: new MemoryStore(), root });

// An "image" with content at /var/lib/app: copy-up fills an empty volume with it.
const rootfs = join(root, 'rootfs');
mkdirSync(join(rootfs, 'var/lib/app'), { recursive: true });
writeFileSync(join(rootfs, 'var/lib/app/seed.txt'), 'from the image\n');

// docker run -v appdata:/var/lib/app -v /srv/logs:/logs:ro --mount type=tmpfs,dst=/cache,tmpfs-size=1m --tmpfs /run:size=64k
const [tmpfsDest, tmpfsOpts] = parseTmpfsFlag('/run:size=64k');
const plan = planMounts({
  containerId: 'c0ffee',
  binds: ['appdata:/var/lib/app', `${root}/logs:/logs:ro`],
  mounts: [parseMountFlag('type=tmpfs,dst=/cache,tmpfs-size=1m')],
  tmpfs: { [tmpfsDest]: tmpfsOpts },
  imageVolumes: ['/data'],
});
const prepared = await plan.prepare(volumes, { imageRootfs: rootfs }); // creates, mounts, copies up
console.log(JSON.stringify(prepared.toOciMounts(), null, 2));          // → runc config.json "mounts"
console.log(plan.inspectMounts());                                     // → inspect "Mounts"
console.log((await volumes.list()).Volumes.map((v) => `${v.Name} ${v.Mountpoint}`));
await prepared.release();                                              // container stopped
await plan.unregister(volumes, { removeAnonymous: true });             // docker rm -v
console.log(await volumes.prune({ all: true }));                       // docker volume prune -a
