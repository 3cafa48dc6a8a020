// `npm run bench`: bundles the benchmark's browser page (bench/page.ts) and its Node driver (bench/main.ts) into a
// fresh directory under dist/, then runs the driver. Arguments after `--` go to the driver (`npm run bench -- -h`).
//
// The Node bundle keeps packages external and lives inside the repository, so `puppeteer` resolves from
// node_modules; each run gets its own directory, so concurrent runs never overwrite each other's bundle.

import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildPages } from '../build.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
const out = fs.mkdtempSync(path.join(root, 'dist', 'bench-'));
try {
  await buildPages(path.join(out, 'www'), { bench: 'bench/page.ts' });
  const driver = path.join(out, 'main.mjs');
  await build({
    entryPoints: [path.join(root, 'bench/main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: driver,
    logLevel: 'warning',
  });
  const { main } = await import(pathToFileURL(driver).href);
  process.exitCode = await main(path.join(out, 'www'), process.argv.slice(2));
} finally {
  fs.rmSync(out, { recursive: true, force: true });
}
