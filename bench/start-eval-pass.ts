// How much does `npm start`'s test evaluation gain from larger passes (docs/decisions/start-time.md)? DAR `small` with
// the tiny BERT (untrained: the cost of a pass does not depend on the weights) on synthetic-mosi's test split, in Node
// on Dawn: evaluateRobustness at the 10 rates and probeDecoupling at one rate, each at the old pass size and the new
// one, alternated `--rounds` times so that a busy machine slows both alike. Prints each time, the ratios, and whether
// the numbers are equal.
//
//   npx esbuild bench/start-eval-pass.ts --bundle --platform=node --format=esm --external:webgpu --loader:.wgsl=text \
//     --outfile=node_modules/.cache/start-eval-pass.mjs
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json nice -n 19 node node_modules/.cache/start-eval-pass.mjs

import { parseArgs } from 'node:util';
import { init } from '../src/node/init';
import { adapterInfo } from '../src/node';
import { syntheticMosi, SYNTHETIC_VOCAB } from '../src/app/data/synthetic';
import { darConfig } from '../src/app/models/dar/config';
import { DAR } from '../src/app/models/dar/model';
import { TINY_BERT } from '../src/app/models/text-encoder-config';
import { evaluateRobustness } from '../src/app/train/evaluate';
import { probeDecoupling } from '../src/app/eval/probes';

const { values: a } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, samples: { type: 'string', default: '256' } },
});
const rounds = Number(a.rounds);
const n = Number(a.samples);

await init();
const data = syntheticMosi({ seed: 0 });
const textEncoder = { kind: 'bert' as const, bert: { ...TINY_BERT, vocabSize: SYNTHETIC_VOCAB.size }, frozen: false };
const model = new DAR(darConfig('small', data.dims, { seed: 1111, textEncoder }));
model.eval();

const time = async <T>(f: () => Promise<T>): Promise<[number, T]> => {
  const t0 = performance.now();
  const r = await f();
  return [(performance.now() - t0) / 1000, r];
};
const evalAt = (batchSize: number) => () => evaluateRobustness(model, data, undefined, 1111, { subset: n, batchSize });
const probeAt = (batchSize: number) => () =>
  probeDecoupling(model, data, { split: 'test', rate: 0.5, maskSeed: 1111, subset: n, batchSize });

const info = adapterInfo();
console.log(`adapter: ${info?.vendor} / ${info?.architecture}; ${n} test samples, ${rounds} rounds`);
await evalAt(256)(); // compile every pipeline first, so that no timing below includes it
await probeAt(128)();
const t = { eval64: 0, eval256: 0, probe32: 0, probe128: 0 };
let same = true;
for (let r = 0; r < rounds; r++) {
  const [e64, r64] = await time(evalAt(64));
  const [e256, r256] = await time(evalAt(256));
  const [p32, q32] = await time(probeAt(32));
  const [p128, q128] = await time(probeAt(128));
  same &&= JSON.stringify(r64) === JSON.stringify(r256) && JSON.stringify(q32) === JSON.stringify(q128);
  Object.assign(t, {
    eval64: t.eval64 + e64,
    eval256: t.eval256 + e256,
    probe32: t.probe32 + p32,
    probe128: t.probe128 + p128,
  });
  console.log(
    `round ${r + 1}: 10 rates at 64 ${e64.toFixed(1)} s, at 256 ${e256.toFixed(1)} s; probes at 32 ${p32.toFixed(1)} s, at 128 ${p128.toFixed(1)} s`,
  );
}
console.log(
  `sum over rounds: evaluation 64 → 256: ${t.eval64.toFixed(1)} s → ${t.eval256.toFixed(1)} s (${(t.eval64 / t.eval256).toFixed(2)}×); ` +
    `probes 32 → 128: ${t.probe32.toFixed(1)} s → ${t.probe128.toFixed(1)} s (${(t.probe32 / t.probe128).toFixed(2)}×); numbers equal: ${same}`,
);
model.dispose();
process.exit(0);
