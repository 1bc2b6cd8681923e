/**
 * A worker process of the multi-process test: opens its own Ipam over the parent's store and
 * allocates `count` addresses from each pool given, `concurrency` requests in flight at a time,
 * releasing every `releaseEvery`-th one again; reports what it holds.
 */
import { Ipam } from '../ipam.js';
import { ProcessStore } from './process-store.js';

const [poolsArg = '', countArg = '0', concurrencyArg = '8', releaseEveryArg = '0'] = process.argv.slice(2);
const pools = poolsArg.split(',');
const count = Number(countArg);
const concurrency = Number(concurrencyArg);
const releaseEvery = Number(releaseEveryArg);

const store = new ProcessStore();
const ipam = await Ipam.open({ store });
// Start together: a worker that ran before the others were up (tsx start-up takes seconds on a
// loaded machine) would never race them, and the test would prove nothing.
await new Promise<void>((resolve) => {
  const onGo = (m: { type?: string }) => {
    if (m?.type !== 'go') return;
    process.off('message', onGo);
    resolve();
  };
  process.on('message', onGo);
  process.send!({ type: 'ready' });
});
const held: string[] = [];
let done = 0;
const worker = async (poolId: string) => {
  while (done < count * pools.length) {
    const n = ++done;
    const { address } = await ipam.requestAddress(poolId);
    const plain = address.split('/')[0]!;
    if (releaseEvery > 0 && n % releaseEvery === 0) await ipam.releaseAddress(poolId, plain);
    else held.push(`${poolId} ${plain}`);
  }
};
await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(pools[i % pools.length]!)));
process.send!({ type: "done", held });
await store.close();
