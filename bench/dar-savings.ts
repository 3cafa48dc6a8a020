// The launch savings of issue 14 on a DAR `small` training step (MOSI shapes, batch 64), timed in one process: the
// step as the engine runs it now (multi-tensor Adam for AdamW and the CLUB estimators' Adam, folded small sums) and as
// it ran before (one Adam dispatch per parameter, two-pass sums: `multiTensor: false`, `setSumFolding(false)`), in
// interleaved rounds, with the dispatches per step. Runs in Node on Dawn (the engine's Node runtime), so it needs the
// optional `webgpu` package and, here, SwiftShader's Vulkan driver:
//
//   npx esbuild bench/dar-savings.ts --bundle --platform=node --format=esm --loader:.wgsl=text --external:webgpu \
//     --banner:js="import{createRequire}from'module';const require=createRequire(import.meta.url);" \
//     --outfile=node_modules/.cache/dar-savings.mjs
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node node_modules/.cache/dar-savings.mjs [rounds]
//
// Results and their reading: docs/decisions/optim.md.

import os from 'node:os';
import { init } from '../src/node/init';
import * as wg from '../src/app/all';
import { createDar, darConfig } from '../src/app/models/dar/index';
import { lazyTrainingBatch } from '../src/app/train/batches';

const ROUNDS = Number(process.argv[2] ?? 5);
const STEPS = 3; // per round and path

const rt = await init({});
const a = rt.adapter;
console.log(`adapter ${a.vendor}/${a.architecture} (${a.description}); tuning ${rt.tuning.profile}`);
console.log(
  `load average at start ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ')} on ${os.cpus().length} cores`,
);
const ds = wg.syntheticMosi({ seed: 0, size: 'tiny' });
const masks = new wg.MissingField(ds.split('train'), ds.dims, 0).masks(0.3);
const B = 64;
const complete = ds.batch(
  'train',
  Int32Array.from({ length: B }, (_, i) => i % ds.sizes.train),
);
const corrupted = wg.applyMissing(complete, masks);

function setup(savings: boolean) {
  const model = createDar(darConfig('small', ds.dims, { seed: 1 }));
  model.train();
  const opt = new wg.AdamW(model.mainParameters(), { lr: 1e-4, weightDecay: 1e-4, multiTensor: savings });
  (model.auxiliaryOptimizers().club as wg.Adam).multiTensor = savings;
  return { savings, model, opt, ms: [] as number[], dispatches: 0 };
}
type Path = ReturnType<typeof setup>;

function step(p: Path): void {
  wg.setSumFolding(p.savings);
  const batch = lazyTrainingBatch(complete, corrupted);
  wg.tidy(() => {
    const cache = {};
    p.model.auxiliaryStep(batch, cache);
    p.model.zeroGrad();
    p.model.losses(batch, cache).total.backward();
    p.opt.step();
    p.model.zeroGrad();
  });
  wg.setSumFolding(true);
}

const paths = [setup(false), setup(true)];
for (const p of paths) for (let s = 0; s < 2; s++) step(p); // compiles, and makes the optimizer state
await rt.sync();
for (let r = 0; r < ROUNDS; r++) {
  for (const p of paths) {
    await rt.sync();
    const d0 = rt.stats().dispatches;
    const t0 = performance.now();
    for (let s = 0; s < STEPS; s++) step(p);
    await rt.sync();
    p.ms.push((performance.now() - t0) / STEPS);
    p.dispatches = (rt.stats().dispatches - d0) / STEPS;
  }
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
for (const p of paths) {
  console.log(
    `${p.savings ? 'after ' : 'before'}  ${p.dispatches} dispatches/step  min ${Math.min(...p.ms).toFixed(1)} ms  ` +
      `median ${median(p.ms).toFixed(1)} ms  (${ROUNDS} interleaved rounds of ${STEPS} steps)`,
  );
}
const [before, after] = paths;
console.log(
  `before/after: min ${(Math.min(...before.ms) / Math.min(...after.ms)).toFixed(3)}, median ` +
    `${(median(before.ms) / median(after.ms)).toFixed(3)}; load average at end ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' / ')}`,
);
for (const p of paths) {
  p.opt.dispose();
  p.model.dispose();
}
process.exit(0);
