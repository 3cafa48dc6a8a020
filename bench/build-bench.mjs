// Builds the benchmark into a directory: the browser pages (bench/page.ts: kernels and peers; bench/dar-page.ts: the
// DAR training step) under www/, onnxruntime-web's run-time files under www/ort/, with `node` the same pages bundled
// for Node (www/<name>-node.mjs, loaded by bench/node-page.ts), and the Node driver (bench/main.ts) as main.mjs.
// bench/run.mjs (`npm run bench`) builds into a fresh directory and runs it; bench/gpu/pack.mjs builds a driver with
// no package left external, for a machine with no node_modules.

import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPages } from '../build.mjs';

export const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

// A hard link (or a copy across file systems), not a symlink: the server refuses symlinks that leave its root.
function linkOrCopy(from, to) {
  try {
    fs.linkSync(from, to);
  } catch {
    fs.copyFileSync(from, to);
  }
}

/**
 * `out`: the directory to fill. `node`: also the Node bundles of the pages. `ort`: which of ORT's files to serve
 * (default: those of the WebGPU peer and of the CPU column). `driver`: esbuild options for main.mjs (default: packages
 * external, resolved from node_modules). Returns the paths of www/ and main.mjs.
 */
export async function buildBench(out, { node = false, ort = /./, driver = { packages: 'external' } } = {}) {
  const www = path.join(out, 'www');
  await buildPages(www, { bench: 'bench/page.ts', dar: 'bench/dar-page.ts' });
  const ortDist = path.join(root, 'node_modules/onnxruntime-web/dist');
  if (fs.existsSync(ortDist)) {
    fs.mkdirSync(path.join(www, 'ort'));
    for (const f of fs.readdirSync(ortDist)) {
      // ort.webgpu.*: the WebGPU peer; ort.wasm.* with the plain threaded build: the CPU column (peers/ort-wasm.ts).
      if (
        /^ort\.(webgpu|wasm|node)\.min\.mjs$|^ort-wasm-simd-threaded\.((jsep|asyncify)\.)?(mjs|wasm)$/.test(f) &&
        ort.test(f)
      ) {
        linkOrCopy(path.join(ortDist, f), path.join(www, 'ort', f));
      }
    }
  }
  // The same pages bundled for Node, tfjs stubbed (its bundle assumes a browser: peers/node-stub.ts); ORT loads its
  // own files at run time, so it is tried as is; jax-js runs on Dawn's navigator.gpu (node-page.ts).
  if (node) {
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
  const main = path.join(out, 'main.mjs');
  await build({
    entryPoints: [path.join(root, 'bench/main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: main,
    logLevel: 'warning',
    ...driver,
  });
  return { www, main };
}
