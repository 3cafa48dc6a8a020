// Where `npm start`'s kernel time goes (issue 16, docs/decisions/start-time.md): the default run's model (DAR `small`
// with the tiny BERT on token ids) in Node on Dawn, three measurements on one adapter:
//   compile  each pipeline a training step needs, compiled one at a time (createComputePipeline + an empty dispatch,
//            waited for), slowest first: what the run's "compiling the first step" phase pays
//   step     ms per training step of 32 (the trainer's: CLUB's auxiliary step, losses, backward, AdamW) over `steps`
//            steps after two warm-up steps, then the per-kernel profile of one step
//   eval     ms per evaluation pass of 256 test samples at missing rate 0.5 (predict(), as evaluateRobustness
//            runs it), then the per-kernel profile of one pass
// matmul_tiled rows are split by shape (Z, M×N×K, transposed A, bias, fused bias gradient, activation) and the row
// kernels by their uniforms, so one shape's cost can be followed from run to run.
//
//   npx esbuild bench/start-kernels.ts --bundle --platform=node --format=esm --loader:.wgsl=text --external:webgpu \
//     --banner:js="import{createRequire}from'module';const require=createRequire(import.meta.url);" \
//     --outfile=node_modules/.cache/start-kernels.mjs
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node node_modules/.cache/start-kernels.mjs \
//     [compile] [step] [eval] [steps=8] [top=40] [text=features]
// (none of compile/step/eval named: all three). SwiftShader's timings swing by ±20 % from run to run on a shared
// machine: compare two builds by running this script for each, one after the other, more than once.

import { init } from '../src/node/init';
import * as wg from '../src/app/all';
import { buildModel } from '../src/app/models/build';
import { lazyTrainingBatch } from '../src/app/train/batches';
import { formatProfile } from '../src/engine/profile';
import type { StepCache, TrainingBatch } from '../src/app/models/types';

const args = process.argv.slice(2);
const arg = (k: string, d: string) => args.find((a) => a.startsWith(`${k}=`))?.slice(k.length + 1) ?? d;
const parts = ['compile', 'step', 'eval'].filter((p) => args.includes(p));
const run = (p: string) => parts.length === 0 || parts.includes(p);
const STEPS = Number(arg('steps', '8'));
const TOP = Number(arg('top', '40'));
const text = arg('text', 'bert') as 'bert' | 'features';

const rt = await init();
console.log(`adapter ${rt.adapter.vendor}/${rt.adapter.architecture}; tuning ${rt.tuning.profile}; text ${text}`);
const B = 32;
const ds = wg.syntheticMosi({ seed: 0, size: 'full' });
const trainMasks = new wg.MissingField(ds.split('train'), ds.dims, 0).masks(0.3);
const batches = [0, 1].map((k) => {
  const complete = ds.batch(
    'train',
    Int32Array.from({ length: B }, (_, i) => k * B + i),
  );
  return { complete, corrupted: wg.applyMissing(complete, trainMasks) };
});
const choices = { preset: 'small', textEncoder: text, textUnk: 'zero', ablation: 'full' } as const;
const model = buildModel('dar', ds.dims, 1, choices as never) as wg.DAR;
model.train();
const opt = new wg.AdamW(model.mainParameters(), { lr: 1e-4, weightDecay: 1e-4 });
let k = 0;
const step = () => {
  const { complete, corrupted } = batches[k++ % batches.length];
  const batch: TrainingBatch = lazyTrainingBatch(complete, corrupted);
  wg.tidy(() => {
    const cache: StepCache = {};
    model.auxiliaryStep(batch, cache);
    model.zeroGrad();
    model.losses(batch, cache).total.backward();
    opt.step();
    model.zeroGrad();
  });
};

if (run('compile')) {
  const specs = rt.collectPipelines(step);
  const device = (rt as unknown as { device: GPUDevice }).device;
  const rows: [number, string][] = [];
  for (const { kernel, constants } of specs) {
    const t = performance.now();
    const module = device.createShaderModule({ code: kernel.code });
    const pipeline = device.createComputePipeline({
      layout: 'auto',
      compute: { module, entryPoint: 'main', constants },
    });
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline); // an empty pass with the pipeline set: the driver finishes compiling it
    pass.end();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    rows.push([performance.now() - t, `${kernel.name} ${JSON.stringify(constants ?? {})}`]);
  }
  rows.sort((a, b) => b[0] - a[0]);
  const total = rows.reduce((s, r) => s + r[0], 0);
  console.log(`\ncompile: ${rows.length} pipelines, ${(total / 1000).toFixed(1)} s one at a time`);
  for (const [ms, name] of rows.slice(0, TOP)) console.log(`${ms.toFixed(0).padStart(7)} ms  ${name}`);
}

// Profile rows by shape: matmul_tiled by its product, the row kernels by their uniforms.
const dispatch = rt.dispatch.bind(rt);
type Kernel = Parameters<typeof rt.dispatch>[0]['kernel'];
const named = new Map<string, Kernel>();
rt.dispatch = (spec) => {
  const q = (spec.params ?? {}) as Record<string, unknown>;
  let name = '';
  if (spec.kernel.name === 'matmul_tiled') {
    const c = spec.constants ?? {};
    name = `matmul_tiled Z${q.Z} ${q.M}x${q.N}x${q.K}${q.sAm === 1 ? ' Aᵀ' : ''}${q.hasBias ? ' +bias' : ''}${c.DBIAS ? ' +db' : ''}${q.act ? ` act${q.act}` : ''}`;
  } else if (/^(attention|layernorm|affine)/.test(spec.kernel.name)) {
    name = `${spec.kernel.name} ${JSON.stringify(q).slice(0, 60)}`;
  }
  if (name) {
    if (!named.has(name)) named.set(name, { ...spec.kernel, name });
    spec = { ...spec, kernel: named.get(name)! };
  }
  dispatch(spec);
};

if (run('step')) {
  step();
  step();
  await rt.sync();
  const t = performance.now();
  for (let i = 0; i < STEPS; i++) step();
  await rt.sync();
  console.log(`\nstep: ${((performance.now() - t) / STEPS).toFixed(1)} ms per training step of ${B} (${STEPS} steps)`);
  console.log(formatProfile((await rt.profile(() => step())).profile, TOP));
}

if (run('eval')) {
  model.eval();
  const test = ds.batch(
    'test',
    Int32Array.from({ length: 256 }, (_, i) => i),
  );
  const x = wg.applyMissing(test, new wg.MissingField(ds.split('test'), ds.dims, 1111).masks(0.5));
  const pass = () => wg.tidy(() => void model.predict(lazyTrainingBatch(test, x).corrupted));
  pass();
  await rt.sync();
  const t = performance.now();
  for (let i = 0; i < 3; i++) pass();
  await rt.sync();
  console.log(`\neval: ${((performance.now() - t) / 3).toFixed(1)} ms per pass of 256 test samples (3 passes)`);
  console.log(formatProfile((await rt.profile(() => pass())).profile, TOP));
}
process.exit(0);
