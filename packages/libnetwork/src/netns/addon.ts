import { createRequire } from 'node:module';

/**
 * The native addon (native/netns.c), typed once and loaded in one place. It is built by node-gyp
 * at `npm install` into build/Release; src/netns and dist/netns sit at the same depth, so the
 * relative path holds for both. Errors it throws look like Node's system errors: `code`
 * ('ENOENT'...), `errno` (negative), `syscall`, `path`.
 */
export interface NetnsAddon {
  /** Makes a new network namespace bound at /run/netns/<name>; returns that path. */
  create(name: string): string;
  /** Lazy unmount + unlink of a bound namespace path; missing is fine. */
  remove(path: string): void;
  /** Calls fn with the calling thread inside the namespace at path, switching back afterwards. */
  run<T>(path: string, fn: () => T): T;
  /** socket(2) + bind(2) (+ listen(2) for TCP unless listen is false) inside the namespace at path (null: the current one). */
  socket(path: string | null, type: 'udp' | 'tcp', address: string, port: number, listen?: boolean): { fd: number; port: number };
}

const require = createRequire(import.meta.url);

let loaded: NetnsAddon | undefined;

/** The addon, loaded on first use so that importing libnetwork never needs the build. */
export function addon(): NetnsAddon {
  loaded ??= require('../../build/Release/tsnet_netns.node') as NetnsAddon;
  return loaded;
}
