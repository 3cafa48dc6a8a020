// The local HTTP servers (src/app/node/server.ts: tests, bench, demo and `npm start` all use it), attacked as a user of
// the machine could: malformed URLs, directory escapes, symlinks out of the root, foreign Host headers (DNS
// rebinding). Plain Node requests; no page needed.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDir, type StaticServer } from '../src/app/node/server';
import { serveDemo } from '../src/app/node/demo';
import { request } from './http';

let root: string;
let outside: string;
let server: StaticServer;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'webgrad-server-'));
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'webgrad-outside-'));
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html>hello');
  fs.mkdirSync(path.join(root, 'sub'));
  fs.writeFileSync(path.join(root, 'sub', 'a b.js'), 'export {};');
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'private');
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'escape.txt'));
  fs.symlinkSync(outside, path.join(root, 'escape-dir'));
  server = await serveDir(root);
});

afterAll(async () => {
  await server?.close();
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

describe('static server (tests, bench)', () => {
  it('serves its files, decoding the path', async () => {
    const index = await request(server.url, '/');
    expect(index.status).toBe(200);
    expect(index.body).toBe('<!doctype html>hello');
    const js = await request(server.url, '/sub/a%20b.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
  });

  it('answers a malformed URL (GET /%) with 400 and keeps serving', async () => {
    for (const bad of ['/%', '/%E0%A4%A', '/sub/%zz']) expect((await request(server.url, bad)).status, bad).toBe(400);
    expect((await request(server.url, '/')).status).toBe(200);
  });

  it('never leaves its root: .. (plain or encoded), absolute paths, NUL bytes, symlinks pointing outside', async () => {
    const rel = path.relative(root, path.join(outside, 'secret.txt'));
    for (const bad of [
      `/${rel}`,
      `/${encodeURIComponent(rel)}`,
      `/sub/..%2F..%2F${encodeURIComponent(rel)}`,
      '/escape.txt',
      '/escape-dir/secret.txt',
      '/index.html%00.js',
      '/sub',
    ]) {
      const r = await request(server.url, bad);
      expect([400, 403, 404], bad).toContain(r.status);
      expect(r.body, bad).not.toContain('private');
    }
    expect((await request(server.url, '/')).status).toBe(200);
  });

  it('refuses a foreign Host header (DNS rebinding) with 403, and accepts 127.0.0.1 and localhost on its port', async () => {
    const port = new URL(server.url).port;
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1:${Number(port) + 1}`, '127.0.0.1']) {
      expect((await request(server.url, '/', { headers: { Host: host } })).status, host).toBe(403);
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      expect((await request(server.url, '/', { headers: { Host: host } })).status, host).toBe(200);
    }
  });

  it('allows only GET and HEAD on static files; no CORS preflight is ever granted', async () => {
    expect((await request(server.url, '/', { method: 'POST', body: new Uint8Array(4) })).status).toBe(405);
    const pre = await request(server.url, '/', {
      method: 'OPTIONS',
      headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(pre.status).toBe(405);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const head = await request(server.url, '/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });
});

describe('demo server', () => {
  it('answers GET /% with 400 and refuses a foreign Host', async () => {
    fs.writeFileSync(path.join(root, 'demo.html'), 'demo');
    const demo = await serveDemo(root, { port: 0 });
    try {
      expect((await request(demo.url, '/%')).status).toBe(400);
      expect((await request(demo.url, '/', { headers: { Host: 'evil.example' } })).status).toBe(403);
      const page = await request(demo.url, '/');
      expect(page.status).toBe(200);
      expect(page.body).toBe('demo');
    } finally {
      await demo.close();
    }
  });
});
