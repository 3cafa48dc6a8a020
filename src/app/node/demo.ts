// `npm run demo`: serves the demo page (built by build.mjs into dist/www) on http://127.0.0.1 and prints its URL.
// Open it in Chrome/Chromium 113+ (or any browser with WebGPU); the page needs a secure context, and 127.0.0.1 is one.
// No browser is launched here. Ctrl-C stops the server.
//
//   npm run demo                 port 8787, or a free one if that is taken
//   npm run demo -- --port 9000

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isMainModule } from './main-module';
import { startServer } from './server';

export const DEFAULT_PORT = 8787;

export interface DemoServer {
  /** The page's URL. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves `dir` (which holds demo.html and demo.js) on 127.0.0.1; `port` 0 picks a free one; a busy port falls back to a free one. */
export async function serveDemo(dir: string, opts: { port?: number } = {}): Promise<DemoServer> {
  const root = path.resolve(dir);
  if (!fs.existsSync(path.join(root, 'demo.html')))
    throw new Error(`${root}/demo.html does not exist: run node build.mjs first`);
  // The demo has no API routes: training runs in the tab, and files are read there and saved by the browser.
  const server = await startServer(root, { index: 'demo.html', port: opts.port ?? DEFAULT_PORT, fallbackPort: true });
  return { url: server.url, port: server.port, close: server.close };
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npm run demo [-- --port <n>]\nServes the demo page on http://127.0.0.1 (default port 8787) and prints its URL.\n',
    );
    return;
  }
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be a port number, got ${values.port}`);
  const www = path.join(path.dirname(fileURLToPath(import.meta.url)), 'www');
  const s = await serveDemo(www, { port });
  if (port && s.port !== port) console.log(`port ${port} is taken; using ${s.port}`);
  console.log(`webgrad demo: ${s.url}\nopen it in Chrome/Chromium (WebGPU); Ctrl-C stops the server`);
  const stop = () => void s.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (isMainModule(import.meta.url)) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
