/**
 * Worker of the crash test: allocates from a pool of the file store in `dir` as fast as it can,
 * printing each address once its allocation is acknowledged (committed), until it is killed.
 */
import { openFileStore } from '@tsnet/store';
import { Ipam } from '../ipam.js';

const [dir = '', poolId = ''] = process.argv.slice(2);
const store = await openFileStore(dir);
const ipam = await Ipam.open({ store });
await Promise.all(Array.from({ length: 16 }, async () => {
  for (;;) {
    const { address } = await ipam.requestAddress(poolId);
    process.stdout.write(`${address.split('/')[0]!}\n`);
  }
}));
