// bench/gpu/pack.sh: everything bench/gpu/run.sh needs on a GPU machine with no node_modules, no browser and no
// network, in one archive: bench/gpu/payload/webgrad-gpu.tar.xz (git-ignored). Inside:
//   node                        this machine's Node binary (Linux x86-64)
//   node_modules/webgpu/        Dawn for Node: its index.js and the linux-x64 dawn.node only
//   lib/libvulkan.so.1          the Vulkan loader (the GPU machine's NVIDIA driver provides the Vulkan driver)
//   gradcheck.mjs               the Node gradient checks, vitest replaced by bench/gpu/vitest-shim.ts
//   bench.mjs, bench/           the bench's Node driver and pages (--runtime node), with ORT's wasm files
//   node_modules/onnxruntime-common/  what ORT's Node build imports
// The bench's driver is bundled with its packages; puppeteer is replaced by a stub (Node runs need no browser).

import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildBench, root } from '../build-bench.mjs';

const payload = path.join(root, 'bench/gpu/payload');
const stage = path.join(payload, 'stage');
fs.rmSync(payload, { recursive: true, force: true });
fs.mkdirSync(stage, { recursive: true });
const mib = (n) => `${(n / 2 ** 20).toFixed(1)} MiB`;

// No browser on the GPU machine: the driver's and the test harness's imports of puppeteer resolve to a stub that
// throws if ever called.
const noBrowser = path.join(root, 'bench/gpu/no-browser.mjs');
const stubBrowser = {
  name: 'no-browser',
  setup: (b) =>
    b.onResolve({ filter: /^(puppeteer|puppeteer-core|@puppeteer\/browsers)$/ }, () => ({ path: noBrowser })),
};

// The bench, its ORT files limited to the CPU column's (ORT's WebGPU provider fails under Dawn in Node: README).
await buildBench(path.join(stage, 'bench'), {
  node: true,
  ort: /^ort\.(wasm|node)\.min\.mjs$|^ort-wasm-simd-threaded\.(mjs|wasm)$/,
  driver: { external: ['webgpu'], plugins: [stubBrowser] },
});
fs.writeFileSync(
  path.join(stage, 'bench.mjs'),
  `// The bench's driver (bench/main.ts) on this payload's pages; run from the repository root.\n` +
    `import path from 'node:path';\nimport { main } from './bench/main.mjs';\n` +
    `process.exitCode = await main(path.join(import.meta.dirname, 'bench/www'), process.argv.slice(2), process.cwd());\n`,
);

await build({
  entryPoints: [path.join(root, 'bench/gpu/gradcheck.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  loader: { '.wgsl': 'text' },
  external: ['webgpu'],
  alias: { vitest: path.join(root, 'bench/gpu/vitest-shim.ts') },
  plugins: [stubBrowser],
  outfile: path.join(stage, 'gradcheck.mjs'),
  logLevel: 'warning',
});

const webgpu = path.join(root, 'node_modules/webgpu');
fs.mkdirSync(path.join(stage, 'node_modules/webgpu/dist/linux-x64'), { recursive: true });
for (const f of ['index.js', 'package.json', 'LICENSE.md', 'dist/linux-x64/dawn.node'])
  fs.copyFileSync(path.join(webgpu, f), path.join(stage, 'node_modules/webgpu', f));
// ORT's Node build (the CPU column in Node) imports its API package.
fs.cpSync(path.join(root, 'node_modules/onnxruntime-common'), path.join(stage, 'node_modules/onnxruntime-common'), {
  recursive: true,
  filter: (f) => !f.endsWith('.map') && !f.includes(`${path.sep}cjs`),
});
fs.copyFileSync(process.execPath, path.join(stage, 'node'));
fs.chmodSync(path.join(stage, 'node'), 0o755);
const loader = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/chromium/libvulkan.so.1'].find((p) =>
  fs.existsSync(p),
);
if (!loader) throw new Error('no libvulkan.so.1 to pack (apt-get install libvulkan1, or chromium)');
fs.mkdirSync(path.join(stage, 'lib'));
fs.copyFileSync(loader, path.join(stage, 'lib/libvulkan.so.1'));

const du = (dir) =>
  fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((n, e) => n + fs.statSync(path.join(e.parentPath, e.name)).size, 0);
const raw = du(stage);
// --stage-only: leave the files unpacked in payload/stage/ (for trying them here), no archive.
if (process.argv.includes('--stage-only')) {
  console.log(`staged ${path.relative(root, stage)}: ${mib(raw)}`);
  process.exit(0);
}
const archive = path.join(payload, 'webgrad-gpu.tar.xz');
const t0 = Date.now();
execFileSync('tar', ['-cf', archive, '-I', 'xz -T0 -3', '-C', stage, '.'], { stdio: 'inherit' });
fs.rmSync(stage, { recursive: true, force: true });
const size = fs.statSync(archive).size;
console.log(
  `packed ${path.relative(root, archive)}: ${mib(size)} (${mib(raw)} unpacked; xz took ${((Date.now() - t0) / 1000).toFixed(0)} s)`,
);
if (size > 64 * 2 ** 20) throw new Error(`the payload is ${mib(size)}, over the 64 MiB the GPU run can carry`);
