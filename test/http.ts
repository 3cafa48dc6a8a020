// Raw HTTP requests for the server tests (test/server.test.ts, test/start-server.test.ts).

import http from 'node:http';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One raw request: the path goes on the request line exactly as given (fetch would normalise `/%` or `/../`), and any
 * Host header can be sent.
 */
export interface RequestOptions {
  method?: string;
  headers?: Record<string, string | number>;
  /** One buffer (sent with Content-Length), several (sent chunked, one after another), or 'none' (headers only). */
  body?: Uint8Array | Uint8Array[] | 'none';
}

export function request(base: string, target: string, opts: RequestOptions = {}): Promise<Reply> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: target,
        method: opts.method ?? 'GET',
        headers: opts.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(20_000, () => req.destroy(new Error(`${opts.method ?? 'GET'} ${target}: no answer in 20 s`))); // a hang fails fast
    if (opts.body === 'none') {
      // Headers only (say, a huge Content-Length): the answer must come without the body; then hang up.
      req.flushHeaders();
      req.once('response', (res) => res.once('end', () => req.destroy()));
    } else if (Array.isArray(opts.body)) {
      for (const chunk of opts.body) req.write(chunk);
      req.end();
    } else req.end(opts.body);
  });
}
