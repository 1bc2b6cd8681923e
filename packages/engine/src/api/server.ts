import { chmod, mkdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import FindMyWay from 'find-my-way';
import type { ApiServices, Handler, Route } from './context.js';
import { API_VERSION, errorStatus, HttpError, MIN_API_VERSION, olderThan, sendError, type Ctx } from './http.js';
import { containerRoutes } from './routes-containers.js';
import { imageRoutes } from './routes-images.js';
import { networkRoutes } from './routes-networks.js';
import { systemRoutes } from './routes-system.js';
import { volumeRoutes } from './routes-volumes.js';

export const ALL_ROUTES: Route[] = [...systemRoutes, ...networkRoutes, ...volumeRoutes, ...containerRoutes, ...imageRoutes];

/** `/v1.41/networks` → version and `/networks`; unversioned paths pass through. */
function splitVersion(path: string): { version: string | undefined; path: string } {
  const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(path);
  return m ? { version: m[1], path: m[2]! } : { version: undefined, path };
}

export interface ApiServerOptions {
  /** Time allowed for the request headers (slow clients); default 10 s. */
  headersTimeoutMs?: number;
  /** Time allowed for a whole request body (not the response); default 5 min (image imports). */
  requestTimeoutMs?: number;
  log?: (m: string) => void;
}

/**
 * The Engine API on node:http. Routes are matched after the `/vX.Y` prefix is stripped; requests
 * asking to upgrade (attach, exec start) are dispatched from the server's `upgrade` event with the
 * raw socket so the handler can answer `101 UPGRADED` and stream.
 */
export class ApiServer {
  readonly #router = FindMyWay<FindMyWay.HTTPVersion.V1>({ ignoreTrailingSlash: true, caseSensitive: true });
  readonly #server: Server;
  readonly #services: ApiServices;
  readonly #log: (m: string) => void;
  #socketPath = '';

  constructor(services: ApiServices, options: ApiServerOptions = {}) {
    this.#services = services;
    this.#log = options.log ?? (() => {});
    for (const r of ALL_ROUTES) this.#router.on(r.method, r.path, () => undefined, { handler: r.handler });
    this.#server = createServer({
      headersTimeout: options.headersTimeoutMs ?? 10_000,
      requestTimeout: options.requestTimeoutMs ?? 300_000,
      connectionsCheckingInterval: 500,
      keepAliveTimeout: 5_000,
    });
    this.#server.on('request', (req, res) => void this.#dispatch(req, res, undefined));
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.#dispatch(req, undefined, { socket, head }));
    // Malformed requests and slow clients (headers or body not in time) never reach a handler.
    this.#server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) return void socket.destroy();
      const timeout = /TIMEOUT/.test(err.code ?? '');
      const body = JSON.stringify({ message: timeout ? 'request timed out' : 'bad request' });
      socket.end(`HTTP/1.1 ${timeout ? '408 Request Timeout' : '400 Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    });
  }

  async #dispatch(req: IncomingMessage, res: ServerResponse | undefined, upgrade: Ctx['upgrade']): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://tsnet');
    const { path, version } = splitVersion(url.pathname);
    const abort = new AbortController();
    const c: Ctx = { req, res, upgrade, params: {}, query: url.searchParams, version, signal: abort.signal };
    (res ?? upgrade?.socket)?.once('close', () => abort.abort());
    const started = Date.now();
    try {
      if (version && !olderThan(c, MIN_API_VERSION) && olderThan({ ...c, version: API_VERSION }, version) && version !== API_VERSION) {
        throw new HttpError(400, `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
      }
      if (version && olderThan(c, MIN_API_VERSION)) throw new HttpError(400, `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
      const found = this.#router.find(req.method as FindMyWay.HTTPMethod, path);
      if (!found) throw new HttpError(404, 'page not found');
      c.params = found.params;
      const handler = (found.store as { handler: Handler }).handler;
      await handler(c, this.#services);
    } catch (error) {
      const status = errorStatus(error);
      if (status >= 500) this.#log(`${req.method} ${url.pathname}: ${(error as Error).stack ?? String(error)}`);
      sendError(c, error);
    } finally {
      if (process.env.TSNET_API_TRACE) this.#log(`${req.method} ${req.url} ${res?.statusCode ?? 'upgrade'} ${Date.now() - started}ms`);
    }
  }

  /** Listens on `unix://PATH`: parent made, stale socket removed, mode 0660 (never world-accessible). */
  async listen(host: string): Promise<void> {
    const path = host.replace(/^unix:\/\//, '');
    await mkdir(dirname(path), { recursive: true, mode: 0o750 });
    await rm(path, { force: true });
    const umask = process.umask(0o117);
    try {
      await new Promise<void>((resolve, reject) => {
        this.#server.once('error', reject);
        this.#server.listen(path, () => {
          this.#server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(umask);
    }
    await chmod(path, 0o660);
    this.#socketPath = path;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    if (this.#socketPath) await rm(this.#socketPath, { force: true });
  }
}
