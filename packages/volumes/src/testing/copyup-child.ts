// Runs one copy-up in its own process so a test can SIGKILL it half way.
import { copyUp } from '../copyup.js';

const [source, target, marker] = process.argv.slice(2);
await copyUp({ source: source!, target: target!, marker: marker!, durable: false });
