/**
 * Child process that opens the store in argv[2], prints `ready <pid>` and holds it until stdin
 * closes (or it is killed): the "other live process" for the lock tests.
 */
import { openFileStore } from '../file-store.js';

const [dir] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: hold-lock.ts <dir>');
const store = await openFileStore(dir);
await store.put('/holder', String(process.pid));
process.stdout.write(`ready ${process.pid}\n`);
process.stdin.resume();
process.stdin.on('end', () => void store.close().then(() => process.exit(0)));
