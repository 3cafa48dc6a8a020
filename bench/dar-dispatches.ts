// Where a DAR `small` training step's launches go (MOSI shapes, batch 64; issue 14's dispatch floor): one step after
// two warm-up steps, with `runtime().dispatch` wrapped to count each launch by kernel name and by call site (the
// first stack frames outside the runtime and the op that dispatched). Prints the per-kernel table and the busiest
// call sites, with fusions on, then with `setLaunchFusions(false)` and `setSumFolding(false)` (the unfused path).
// Runs in Node on Dawn, so it needs the optional `webgpu` package and, here, SwiftShader's Vulkan driver:
//
//   npx esbuild bench/dar-dispatches.ts --bundle --platform=node --format=esm --loader:.wgsl=text --external:webgpu \
//     --banner:js="import{createRequire}from'module';const require=createRequire(import.meta.url);" \
//     --outfile=node_modules/.cache/dar-dispatches.mjs
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node node_modules/.cache/dar-dispatches.mjs [sites]
//
// `tuning=gpu` as an argument runs the gpu profile. Results and their reading: docs/decisions/optim.md.

import { init } from '../src/node/init';
import * as wg from '../src/app/all';
import { createDar, darConfig } from '../src/app/models/dar/index';
import { randomBatch } from '../test/page/model-batches';

const SITES = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 40);
const tuning = process.argv.includes('tuning=gpu') ? 'gpu' : undefined;
const rt = await init(tuning ? { tuning } : {});
console.log(`adapter ${rt.adapter.vendor}/${rt.adapter.architecture}; tuning ${rt.tuning.profile}`);

const byKernel = new Map<string, number>();
const bySite = new Map<string, number>();
let counting = false;
const dispatch = rt.dispatch.bind(rt);
rt.dispatch = (spec) => {
  if (counting) {
    byKernel.set(spec.kernel.name, (byKernel.get(spec.kernel.name) ?? 0) + 1);
    // The frames under the runtime: the op's function, its caller and the caller's caller.
    const frames = (new Error().stack ?? '').split('\n').slice(2, 6);
    const site = `${spec.kernel.name} ← ${frames
      .map((f) =>
        f
          .trim()
          .replace(/^at /, '')
          .replace(/\(.*\//, '('),
      )
      .join(' ← ')}`;
    bySite.set(site, (bySite.get(site) ?? 0) + 1);
  }
  dispatch(spec);
};

// MOSI's shapes, as test/dar.test.ts takes them.
const dims = { text: { len: 50, dim: 768 }, audio: { len: 375, dim: 5 }, vision: { len: 500, dim: 20 } };
const B = 64;

async function profile(fused: boolean): Promise<number> {
  wg.setLaunchFusions(fused);
  wg.setSumFolding(fused);
  const batch = randomBatch(wg, dims, B, 1);
  const model = createDar(darConfig('small', dims, { seed: 1 }));
  model.train();
  const opt = new wg.AdamW(model.mainParameters(), { lr: 1e-4, weightDecay: 1e-4, multiTensor: fused });
  (model.auxiliaryOptimizers().club as wg.Adam).multiTensor = fused;
  byKernel.clear();
  bySite.clear();
  let total = 0;
  for (let s = 0; s < 3; s++) {
    await rt.sync();
    counting = s === 2;
    const d0 = rt.stats().dispatches;
    wg.tidy(() => {
      const cache = {};
      model.auxiliaryStep(batch, cache);
      model.zeroGrad();
      model.losses(batch, cache).total.backward();
      opt.step();
      model.zeroGrad();
    });
    await rt.sync();
    total = rt.stats().dispatches - d0;
    counting = false;
  }
  opt.dispose();
  model.dispose();
  wg.setLaunchFusions(true);
  wg.setSumFolding(true);
  console.log(`\n${fused ? 'fused' : 'unfused'}: ${total} dispatches per step`);
  const rows = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((x, y) => y[1] - x[1])
      .slice(0, n)
      .map(([k, v]) => `${String(v).padStart(5)}  ${k}`)
      .join('\n');
  console.log(rows(byKernel, 100));
  console.log(`\ncall sites (top ${SITES}):\n${rows(bySite, SITES)}`);
  return total;
}

await profile(true);
if (process.argv.includes('unfused')) await profile(false);
process.exit(0);
