import { request as httpRequest, type IncomingMessage, type IncomingHttpHeaders } from 'node:http';
import type { Duplex, Readable } from 'node:stream';

/** The API version this client speaks (the shapes tsnetd and Docker share). */
export const API_VERSION = '1.41';
export const DEFAULT_HOST = 'unix:///run/tsnet/tsnet.sock';

/** An error answer from the daemon: Docker's `{"message": ...}` with the HTTP status kept. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The daemon could not be reached at all (no socket, refused): said once, with the address. */
export class ConnectError extends Error {
  constructor(
    readonly socketPath: string,
    override readonly cause: Error,
  ) {
    super(
      `cannot connect to the tsnet daemon at unix://${socketPath}: ${(cause as NodeJS.ErrnoException).code ?? cause.message}` +
        ' (is tsnetd running? start it with `tsnet daemon`, or point -H/TSNET_HOST at its socket)',
    );
    this.name = 'ConnectError';
  }
}

/**
 * Resolves `-H`, then `TSNET_HOST`, then the default to a unix socket path. Only unix sockets:
 * tsnetd listens on nothing else, and a TCP Docker API without TLS would be a root shell.
 */
export function socketPathOf(host: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const value = host ?? env.TSNET_HOST ?? DEFAULT_HOST;
  if (value.startsWith('unix://')) {
    const path = value.slice('unix://'.length);
    if (path.startsWith('/')) return path;
  } else if (value.startsWith('/')) {
    return value;
  }
  throw new Error(`invalid host "${value}": expected unix:///absolute/path/to.sock`);
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Raw request body (a tar for import); sent as application/x-tar. */
  raw?: Readable | Buffer;
  /** Length of a streamed raw body, when known (a file): sent as content-length instead of chunked. */
  rawLength?: number;
  timeoutMs?: number;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    params.set(key, typeof value === 'boolean' ? (value ? '1' : '0') : String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function errorMessage(status: number, text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: the text itself is the best message there is
  }
  return text.trim() || `HTTP ${status}`;
}

/** A Docker Engine API client over a unix socket, with no dependencies beyond node:http. */
export class ApiClient {
  constructor(readonly socketPath: string) {}

  path(path: string, query?: Query): string {
    return `/v${API_VERSION}${path}${queryString(query)}`;
  }

  /** Sends a request and returns the response as a stream; rejects on connection errors only. */
  raw(method: string, path: string, options: RequestOptions = {}): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      let payload: Buffer | undefined;
      if (options.body !== undefined) {
        payload = Buffer.from(JSON.stringify(options.body));
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(payload.length);
      } else if (options.raw) {
        headers['content-type'] = 'application/x-tar';
        if (Buffer.isBuffer(options.raw)) headers['content-length'] = String(options.raw.length);
        else if (options.rawLength !== undefined) headers['content-length'] = String(options.rawLength);
      }
      const req = httpRequest({ socketPath: this.socketPath, method, path: this.path(path, options.query), headers });
      req.on('error', (error: NodeJS.ErrnoException) => {
        const early = error.code === 'ENOENT' || error.code === 'ECONNREFUSED' || error.code === 'EACCES';
        reject(early ? new ConnectError(this.socketPath, error) : error);
      });
      req.on('response', (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }));
      if (options.timeoutMs) req.setTimeout(options.timeoutMs, () => req.destroy(new Error(`${method} ${path}: timed out`)));
      if (payload) req.end(payload);
      else if (Buffer.isBuffer(options.raw)) req.end(options.raw);
      else if (options.raw) options.raw.pipe(req);
      else req.end();
    });
  }

  /** Sends a request, throws ApiError on a 4xx/5xx, and parses a JSON answer (undefined when empty). */
  async json<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.raw(method, path, options);
    const text = (await readAll(res.body)).toString('utf8');
    if (res.status >= 400) throw new ApiError(res.status, errorMessage(res.status, text));
    if (text.trim() === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      return text as T;
    }
  }

  /** A streaming endpoint (logs, events, import progress): the body, after checking the status. */
  async stream(method: string, path: string, options: RequestOptions = {}): Promise<IncomingMessage> {
    const res = await this.raw(method, path, options);
    if (res.status >= 400) {
      const text = (await readAll(res.body)).toString('utf8');
      throw new ApiError(res.status, errorMessage(res.status, text));
    }
    return res.body;
  }

  /**
   * Docker's hijacked connection (attach, exec start): asks for `Upgrade: tcp`; a daemon that
   * answers 101 hands over the socket, one that answers 200 streams the body. Either way the
   * caller gets a readable of the multiplexed stream.
   */
  hijack(path: string, options: RequestOptions = {}): Promise<Readable | Duplex> {
    return new Promise((resolve, reject) => {
      const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
      const headers: Record<string, string> = { connection: 'Upgrade', upgrade: 'tcp' };
      if (payload) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(payload.length);
      }
      const req = httpRequest({ socketPath: this.socketPath, method: 'POST', path: this.path(path, options.query), headers });
      req.on('error', (error: NodeJS.ErrnoException) => {
        reject(error.code === 'ENOENT' || error.code === 'ECONNREFUSED' ? new ConnectError(this.socketPath, error) : error);
      });
      req.on('upgrade', (_res, socket, head) => {
        if (head.length) socket.unshift(head);
        resolve(socket);
      });
      req.on('response', (res) => {
        if ((res.statusCode ?? 0) >= 400) {
          readAll(res)
            .then((buf) => reject(new ApiError(res.statusCode ?? 0, errorMessage(res.statusCode ?? 0, buf.toString('utf8')))))
            .catch(reject);
          return;
        }
        resolve(res);
      });
      req.end(payload);
    });
  }
}
