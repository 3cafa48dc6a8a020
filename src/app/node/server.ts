// The one local HTTP server behind `npm test`, `npm run bench`, `npm run demo` and `npm start`: static files from a
// root directory plus optional API routes, on 127.0.0.1 (a secure context, which WebGPU requires; about:blank would
// not do). COOP/COEP headers make the page cross-origin isolated, which precise timers and wasm threads (the bench
// peers) need.
//
// Anyone on the machine, and any web page the user has open, can send requests to 127.0.0.1, so every request is
// checked (README, "What the local servers accept"):
// - Host must be 127.0.0.1:<port> or localhost:<port>, else 403: a page of another site whose name was re-pointed at
//   127.0.0.1 (DNS rebinding) sends its own name.
// - A malformed URL is a 400, never a crash; static paths cannot leave the root, through `..` or through a symlink.
// - API routes need the per-run secret in the X-Webgrad-Token header. Node hands the secret to its own page; a page of
//   another origin cannot learn it, and cannot even send the header: a custom header needs a CORS preflight (OPTIONS),
//   which this server never grants. An Origin header, when sent, must be the server's own. Bodies are capped (413).

import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs, { promises as fsp } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** The request header that carries the per-run secret to API routes. */
export const SECRET_HEADER = 'X-Webgrad-Token';

/** What an API route answers: a status and a short text, or a file to stream. */
export type RouteReply = { status: number; text: string } | { status: 200; file: string };

export interface RouteRequest {
  url: URL;
  /** The route's pattern matched against the decoded path. */
  match: RegExpExecArray;
  /** The request body (empty for GET). */
  body: Uint8Array;
}

export interface Route {
  method: 'GET' | 'POST';
  /** Matched against the whole decoded path. */
  path: RegExp;
  /** POST only: the largest body accepted, in bytes; may depend on the URL (e.g. on what is being uploaded). */
  maxBytes?: number | ((url: URL) => number);
  handle(req: RouteRequest): RouteReply | Promise<RouteReply>;
}

export interface ServerOptions {
  /** The file served at `/` (default index.html). */
  index?: string;
  /** Port to listen on (default 0: a free one). */
  port?: number;
  /** When `port` is taken, listen on a free one instead of failing. */
  fallbackPort?: boolean;
  /** API routes; each needs the server's secret (see the top of this file). */
  routes?: Route[];
}

export interface LocalServer {
  /** http://127.0.0.1:<port>/ */
  url: string;
  port: number;
  /** The per-server secret that API requests must send in SECRET_HEADER (64 hex digits). */
  secret: string;
  close(): Promise<void>;
}

/** Kept for the callers that only serve files (tests, bench). */
export type StaticServer = LocalServer;

const COMMON_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  // Other origins may not even embed our responses (a <script src> of /data, say).
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

function sendText(res: http.ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', ...extra }).end(text);
}

/** Streams a regular file; a read error after the headers went out can only cut the connection. */
async function sendFile(res: http.ServerResponse, file: string, head: boolean): Promise<void> {
  const stat = await fsp.stat(file);
  res.writeHead(200, {
    ...COMMON_HEADERS,
    'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'Content-Length': stat.size,
  });
  if (head) {
    res.end();
    return;
  }
  const stream = fs.createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

/** The decoded path of a request target, or null when it is malformed (bad %-escapes, NUL, not starting with /). */
export function decodePath(target: string | undefined): { url: URL; path: string } | null {
  if (!target || !target.startsWith('/')) return null; // absolute-form and `*` targets are for proxies, not us
  try {
    const url = new URL(`http://127.0.0.1${target}`);
    const decoded = decodeURIComponent(url.pathname);
    return decoded.includes('\0') ? null : { url, path: decoded };
  } catch {
    return null;
  }
}

const inside = (root: string, p: string) => p === root || p.startsWith(root + path.sep);

/** The real path of `rel` under `root`, or null when it is not a regular file inside the root (symlinks resolved). */
async function resolveStatic(root: string, realRoot: string, rel: string): Promise<string | null> {
  const file = path.resolve(root, `.${rel}`);
  if (!inside(root, file)) return null;
  let real: string;
  try {
    real = await fsp.realpath(file);
  } catch {
    return null;
  }
  if (!inside(realRoot, real)) return null;
  const stat = await fsp.stat(real);
  return stat.isFile() ? real : null;
}

/**
 * Reads a body of at most `max` bytes; null (after answering 413) when it is larger. The rest of an oversized body is
 * read and dropped, so the client gets the 413 rather than a reset connection.
 */
function readBody(req: http.IncomingMessage, res: http.ServerResponse, max: number): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => {
      req.removeAllListeners('data');
      req.resume();
      sendText(res, 413, `request body over ${max} bytes`, { Connection: 'close' });
      resolve(null);
    };
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) return tooLarge();
    const chunks: Buffer[] = [];
    let total = 0;
    req.on('data', (c: Buffer) => {
      total += c.length;
      if (total > max) return tooLarge();
      chunks.push(c);
    });
    req.on('end', () => {
      if (total <= max) resolve(new Uint8Array(Buffer.concat(chunks)));
    });
    req.on('error', reject);
  });
}

function sameSecret(given: string | string[] | undefined, secret: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Serves `root` (and `opts.routes`) on 127.0.0.1. */
export async function startServer(root: string, opts: ServerOptions = {}): Promise<LocalServer> {
  const dir = path.resolve(root);
  const realRoot = await fsp.realpath(dir);
  const index = opts.index ?? 'index.html';
  const routes = opts.routes ?? [];
  const secret = randomBytes(32).toString('hex');
  let port = 0; // known once listening; every request arrives after that

  const ownHosts = () => [`127.0.0.1:${port}`, `localhost:${port}`];
  const ownOrigins = () => ownHosts().map((h) => `http://${h}`);

  async function api(
    route: Route,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    match: RegExpExecArray,
  ): Promise<void> {
    const origin = req.headers.origin;
    if (origin !== undefined && !ownOrigins().includes(origin))
      return sendText(res, 403, 'cross-origin request refused');
    if (!sameSecret(req.headers[SECRET_HEADER.toLowerCase()], secret))
      return sendText(res, 403, `missing or wrong ${SECRET_HEADER}`);
    let body: Uint8Array = new Uint8Array(0);
    if (route.method === 'POST') {
      const max = typeof route.maxBytes === 'function' ? route.maxBytes(url) : (route.maxBytes ?? 0);
      const read = await readBody(req, res, max);
      if (!read) return;
      body = read;
    }
    const reply = await route.handle({ url, match, body });
    if ('file' in reply) return sendFile(res, reply.file, false);
    sendText(res, reply.status, reply.text);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!ownHosts().includes((req.headers.host ?? '').toLowerCase())) return sendText(res, 403, 'unknown Host');
    const target = decodePath(req.url);
    if (!target) return sendText(res, 400, 'malformed URL');
    for (const route of routes) {
      const match = route.path.exec(target.path);
      if (!match) continue;
      if (req.method !== route.method) return sendText(res, 405, 'method not allowed', { Allow: route.method });
      return api(route, req, res, target.url, match);
    }
    // Everything else is a static file. OPTIONS (a CORS preflight) is refused here too.
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendText(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
    const file = await resolveStatic(dir, realRoot, target.path === '/' ? `/${index}` : target.path);
    if (!file) return sendText(res, 404, 'not found');
    return sendFile(res, file, req.method === 'HEAD');
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) res.destroy();
      else sendText(res, 500, e instanceof Error ? e.message : String(e));
    });
  });
  port = await listen(server, opts.port ?? 0, opts.fallbackPort ?? false);
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    secret,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Listens on 127.0.0.1:`port`; a taken port falls back to a free one when `fallback`. Returns the port. */
async function listen(server: http.Server, port: number, fallback: boolean): Promise<number> {
  const attempt = (p: number) =>
    new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => {
        server.off('listening', onListening);
        reject(e);
      };
      const onListening = () => {
        server.off('error', onError);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(p, '127.0.0.1');
    });
  try {
    await attempt(port);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !fallback || port === 0) throw e;
    await attempt(0);
  }
  return (server.address() as AddressInfo).port;
}

/** Static files only (the test and bench pages). */
export function serveDir(dir: string): Promise<StaticServer> {
  return startServer(dir);
}
