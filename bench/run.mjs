// `npm run bench`: builds the benchmark (bench/build-bench.mjs) into a fresh directory under dist/, then runs the
// driver (bench/main.ts). Arguments after `--` go to the driver (`npm run bench -- -h`).
//
// The Node bundle keeps packages external and lives inside the repository, so `puppeteer` resolves from
// node_modules; each run gets its own directory, so concurrent runs never overwrite each other's bundle.
// onnxruntime-web loads its .mjs/.wasm at run time: they are hard-linked into the page directory under ort/ from
// node_modules/onnxruntime-web/dist and served by the bench's own 127.0.0.1 server (no CDN, works offline).

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildBench, root } from './build-bench.mjs';

fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
const out = fs.mkdtempSync(path.join(root, 'dist', 'bench-'));
try {
  const argv = process.argv.slice(2);
  const node = argv.includes('--runtime') && argv[argv.indexOf('--runtime') + 1] === 'node';
  const { www, main: driver } = await buildBench(out, { node });
  const { main } = await import(pathToFileURL(driver).href);
  process.exitCode = await main(www, argv, root);
} finally {
  fs.rmSync(out, { recursive: true, force: true });
}
