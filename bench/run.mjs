// `npm run bench`: bundles the benchmark's browser pages (bench/page.ts: kernels and peers; bench/dar-page.ts: the DAR
// training step) and its Node driver (bench/main.ts) into a fresh directory under dist/, then runs the driver.
// Arguments after `--` go to the driver (`npm run bench -- -h`).
//
// The Node bundle keeps packages external and lives inside the repository, so `puppeteer` resolves from
// node_modules; each run gets its own directory, so concurrent runs never overwrite each other's bundle.
// onnxruntime-web loads its .mjs/.wasm at run time: they are hard-linked into the page directory under ort/ from
// node_modules/onnxruntime-web/dist and served by the bench's own 127.0.0.1 server (no CDN, works offline).

import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildPages } from '../build.mjs';

// A hard link (or a copy across file systems), not a symlink: the server refuses symlinks that leave its root.
function linkOrCopy(from, to) {
  try {
    fs.linkSync(from, to);
  } catch {
    fs.copyFileSync(from, to);
  }
}

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
const out = fs.mkdtempSync(path.join(root, 'dist', 'bench-'));
try {
  const www = path.join(out, 'www');
  await buildPages(www, { bench: 'bench/page.ts', dar: 'bench/dar-page.ts' });
  const ortDist = path.join(root, 'node_modules/onnxruntime-web/dist');
  if (fs.existsSync(ortDist)) {
    fs.mkdirSync(path.join(www, 'ort'));
    for (const f of fs.readdirSync(ortDist)) {
      // ort.webgpu.*: the WebGPU peer; ort.wasm.* with the plain threaded build: the CPU column (peers/ort-wasm.ts).
      if (/^ort\.(webgpu|wasm)\.min\.mjs$|^ort-wasm-simd-threaded\.((jsep|asyncify)\.)?(mjs|wasm)$/.test(f)) {
        linkOrCopy(path.join(ortDist, f), path.join(www, 'ort', f));
      }
    }
  }
  // --runtime node: the same pages bundled for Node (bench/node-page.ts loads them), tfjs stubbed (its bundle assumes
  // a browser); ORT loads its own files at run time, so it is tried as is.
  if (process.argv.includes('--runtime') && process.argv[process.argv.indexOf('--runtime') + 1] === 'node') {
    const stub = path.join(root, 'bench/peers/node-stub.ts');
    const stubPeers = {
      name: 'stub-peers',
      setup: (b) => b.onResolve({ filter: /\/peers\/tfjs$/ }, () => ({ path: stub })),
    };
    await Promise.all(
      Object.entries({ bench: 'bench/page.ts', dar: 'bench/dar-page.ts' }).map(([name, entry]) =>
        build({
          entryPoints: [path.join(root, entry)],
          bundle: true,
          platform: 'node',
          format: 'esm',
          target: 'node20',
          loader: { '.wgsl': 'text' },
          external: ['webgpu'],
          plugins: [stubPeers],
          outfile: path.join(www, `${name}-node.mjs`),
          logLevel: 'warning',
        }),
      ),
    );
  }
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
  process.exitCode = await main(www, process.argv.slice(2), root);
} finally {
  fs.rmSync(out, { recursive: true, force: true });
}
