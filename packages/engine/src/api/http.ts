import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { httpStatusOf, invalid, isTsnetError, TsnetError } from '@tsnet/errors';

/**
 * Highest API version served. Shapes follow v1.41; 1.42 is announced so the docker CLI offers
 * `volume prune --all` (older clients still get 1.41 behaviour, see routes-volumes.ts).
 */
export const API_VERSION = '1.42';
export const MIN_API_VERSION = '1.24';
/** JSON bodies larger than this are refused with 413 before being parsed. */
export const MAX_JSON_BODY = 1024 * 1024;
/** Time allowed for a JSON body once the headers are in. */
export const JSON_BODY_TIMEOUT_MS = 15_000;

/** One request: either a plain one (`res`) or one that asked to be hijacked (`upgrade`). */
export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse | undefined;
  upgrade: { socket: Duplex; head: Buffer } | undefined;
  params: Record<string, string | undefined>;
  query: URLSearchParams;
  /** The `/vX.Y` of the path, if any. */
  version: string | undefined;
  /** Aborted when the client goes away (streams stop following). */
  signal: AbortSignal;
}

/** True when the request names an API version older than `v` (unversioned = current). */
export function olderThan(c: Ctx, v: string): boolean {
  if (!c.version) return false;
  const [a = 0, b = 0] = c.version.split('.').map(Number);
  const [x = 0, y = 0] = v.split('.').map(Number);
  return a < x || (a === x && b < y);
}

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Docker's boolean query values: 1/true/True (anything else but ''/0/false is true too). */
export function boolParam(q: URLSearchParams, key: string, fallback = false): boolean {
  const v = q.get(key);
  if (v === null || v === '') return fallback;
  return !['0', 'false', 'False', 'FALSE', 'no'].includes(v);
}

export function intParam(q: URLSearchParams, key: string): number | undefined {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw invalid('ERR_BAD_PARAMETER', `invalid value for ${key}: ${JSON.stringify(v)}`);
  return Number(v);
}

/** `filters={"name":["x"]}` (also the old `{"name":{"x":true}}`) → map of lists. */
export function parseFilters(q: URLSearchParams, allowed: readonly string[]): Map<string, string[]> {
  const raw = q.get('filters');
  const out = new Map<string, string[]>();
  if (!raw) return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalid('ERR_BAD_FILTERS', `invalid filters: ${raw}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid('ERR_BAD_FILTERS', `invalid filters: ${raw}`);
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!allowed.includes(key)) throw invalid('ERR_BAD_FILTERS', `invalid filter '${key}'`);
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) out.set(key, value as string[]);
    else if (value && typeof value === 'object' && Object.values(value).every((v) => typeof v === 'boolean')) {
      out.set(key, Object.entries(value as Record<string, boolean>).filter(([, on]) => on).map(([k]) => k));
    } else throw invalid('ERR_BAD_FILTERS', `invalid filter value for '${key}'`);
  }
  return out;
}

/** Reads a JSON body (capped); an empty body is `undefined`. */
export async function readJson(c: Ctx, limit = MAX_JSON_BODY): Promise<unknown> {
  const text = await readText(c, limit);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalid('ERR_BAD_JSON', `invalid JSON body: ${(error as Error).message}`);
  }
}

async function readText(c: Ctx, limit: number): Promise<string> {
  if (c.upgrade) return readUpgradeBody(c, limit);
  const declared = Number(c.req.headers['content-length'] ?? '0');
  if (declared > limit) throw new HttpError(413, `request body too large: ${declared} bytes, at most ${limit}`);
  const chunks: Buffer[] = [];
  let size = 0;
  // A JSON body is small: one that trickles in is a slow client, not a slow network.
  const timer = setTimeout(() => c.req.destroy(new HttpError(408, 'request body not received in time')), JSON_BODY_TIMEOUT_MS);
  try {
    for await (const chunk of c.req) {
      size += (chunk as Buffer).length;
      if (size > limit) throw new HttpError(413, `request body too large: more than ${limit} bytes`);
      chunks.push(chunk as Buffer);
    }
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** An upgraded request's body: what came with the headers (`head`) plus the rest of Content-Length. */
async function readUpgradeBody(c: Ctx, limit: number): Promise<string> {
  const { socket, head } = c.upgrade!;
  const declared = Math.min(Number(c.req.headers['content-length'] ?? '0') || 0, limit);
  let body = head;
  if (body.length < declared) {
    body = await new Promise<Buffer>((resolve) => {
      let acc = head;
      const onData = (chunk: Buffer): void => {
        acc = Buffer.concat([acc, chunk]);
        if (acc.length >= declared) done();
      };
      const done = (): void => {
        socket.off('data', onData);
        clearTimeout(timer);
        resolve(acc);
      };
      const timer = setTimeout(done, 5000);
      socket.on('data', onData);
    });
  }
  return body.subarray(0, declared || body.length).toString('utf8');
}

/** A JSON object body (or none): anything else is a 400. */
export async function readObject(c: Ctx): Promise<Record<string, unknown>> {
  const body = await readJson(c);
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalid('ERR_BAD_JSON', 'request body must be a JSON object');
  return body as Record<string, unknown>;
}

export function sendJson(c: Ctx, status: number, body: unknown): void {
  const res = c.res;
  if (!res) {
    writeRawResponse(c, status, 'application/json', `${JSON.stringify(body)}\n`);
    return;
  }
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Api-Version': API_VERSION });
  res.end(text);
}

export function sendEmpty(c: Ctx, status: number): void {
  if (!c.res) {
    writeRawResponse(c, status, 'text/plain', '');
    return;
  }
  c.res.writeHead(status, { 'Api-Version': API_VERSION });
  c.res.end();
}

function writeRawResponse(c: Ctx, status: number, type: string, text: string): void {
  const socket = c.upgrade!.socket;
  socket.end(`HTTP/1.1 ${status} ${statusText(status)}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
}

function statusText(status: number): string {
  return ({ 200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified', 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 413: 'Payload Too Large', 500: 'Internal Server Error' } as Record<number, string>)[status] ?? 'Error';
}

export function errorStatus(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  if (isTsnetError(error)) return httpStatusOf(error);
  return 500;
}

export function sendError(c: Ctx, error: unknown): void {
  const status = errorStatus(error);
  const message = error instanceof Error ? error.message : String(error);
  const body: Record<string, unknown> = { message };
  if (error instanceof TsnetError) body.code = error.code;
  if (c.res?.headersSent) {
    c.res.destroy();
    return;
  }
  if (c.res && status === 413) c.res.setHeader('Connection', 'close');
  sendJson(c, status, body);
}

/**
 * Takes over the connection for a raw stream (attach, exec start): `101 UPGRADED` when the client
 * asked to upgrade (the docker CLI always does), a plain 200 otherwise. Returns the writable side.
 */
export interface Hijacked {
  write(b: Buffer): void;
  end(): void;
  closed: Promise<void>;
  /** Everything the client sent until it half-closed (its stdin). */
  input(): Promise<Buffer>;
}

export function hijack(c: Ctx, contentType = 'application/vnd.docker.multiplexed-stream'): Hijacked {
  if (c.upgrade) {
    const { socket } = c.upgrade;
    socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nApi-Version: ${API_VERSION}\r\n\r\n`);
    const input: Buffer[] = [];
    socket.on('data', (b: Buffer) => input.push(b)); // stdin, used by `exec -i`, drained otherwise
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const ended = new Promise<Buffer>((resolve) => {
      socket.once('end', () => resolve(Buffer.concat(input)));
      void closed.then(() => resolve(Buffer.concat(input)));
    });
    return { write: (b) => void (socket.writable && socket.write(b)), end: () => socket.end(), closed, input: () => ended };
  }
  const res = c.res!;
  res.writeHead(200, { 'Content-Type': contentType, 'Api-Version': API_VERSION });
  res.flushHeaders();
  const closed = new Promise<void>((resolve) => res.once('close', () => resolve()));
  return { write: (b) => void (res.writable && res.write(b)), end: () => res.end(), closed, input: async () => Buffer.alloc(0) };
}
