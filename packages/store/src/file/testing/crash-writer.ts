/**
 * Child process for the crash test: opens the store in argv[2] and writes forever from several
 * concurrent loops (so group commits batch many writes), printing each key once its write is
 * acknowledged. The parent SIGKILLs it at a random moment and checks that every printed key is on
 * disk. Run with `node --import tsx --conditions=source crash-writer.ts <dir> <round>`.
 */
import { openFileStore } from '../file-store.js';

const [dir, round] = process.argv.slice(2);
if (dir === undefined || round === undefined) throw new Error('usage: crash-writer.ts <dir> <round>');
// A small compaction threshold so kills also land in the middle of snapshot rewrites.
const store = await openFileStore(dir, { compactBytes: 32 * 1024 });
process.stdout.write('ready\n');

// stdout to a pipe is synchronous on Linux: a printed line has left this process before the next write.
const ack = (line: string): void => void process.stdout.write(`${line}\n`);

async function writer(id: number): Promise<never> {
  for (let i = 0; ; i += 1) {
    const key = `/crash/${round}/${id}/${i}`;
    if (i % 5 === 4) {
      // an atomic pair: after any crash both halves exist or neither does
      await store.txn({ success: [{ op: 'put', key: `${key}/a`, value: key }, { op: 'put', key: `${key}/b`, value: key }] });
      ack(`pair ${key}`);
    } else {
      await store.put(key, `value of ${key}`);
      ack(`put ${key}`);
    }
  }
}

await Promise.all(Array.from({ length: 8 }, (_, id) => writer(id)));
