// How far above chance can cross-modal retrieval of synthetic-mosi's samples go at all? A ceiling for DAR's L_sim^com
// (docs/decisions/dar-deviations.md §1): per sample and modality, the shared factor s read off the raw frames with the
// generator's own direction c_m (mean over the real frames, projected on c_m) and the sequence length, then top-1
// retrieval of sample i of modality m among the 32 samples of its block of modality m′ by nearest standardised
// value, over the six ordered pairs, on the validation split. Pure TypeScript, no GPU:
//
//   npx esbuild bench/synthetic-retrieval-ceiling.ts --bundle --platform=node --format=esm \
//     --outfile=node_modules/.cache/ceiling.mjs && node node_modules/.cache/ceiling.mjs

import { syntheticMosi } from '../src/app/data/synthetic';

const data = syntheticMosi({ seed: 0 });
// The generator's per-modality shared directions (private to the dataset: read here only to bound what is learnable).
const world = (data as unknown as { world: { c: Float64Array[] } }).world;
const n = data.sizes.valid;
const b = data.batch(
  'valid',
  Array.from({ length: n }, (_, i) => i),
);
const mods = ['text', 'audio', 'vision'] as const;
const Tt = data.dims.text.len;
const lengths = [
  Array.from({ length: n }, (_, i) => b.textMask.subarray(i * Tt, (i + 1) * Tt).reduce((s, v) => s + v, 0)),
  Array.from(b.audioLengths),
  Array.from(b.visionLengths),
];
const standardise = (v: number[]) => {
  const mu = v.reduce((s, x) => s + x, 0) / v.length;
  const sd = Math.sqrt(v.reduce((s, x) => s + (x - mu) ** 2, 0) / v.length);
  return v.map((x) => (x - mu) / sd);
};
const sHat = mods.map((m, k) => {
  const { len: T, dim: d } = data.dims[m];
  const x = b[m];
  return standardise(
    Array.from({ length: n }, (_, i) => {
      let s = 0;
      for (let j = 0; j < lengths[k][i]; j++) for (let q = 0; q < d; q++) s += x[(i * T + j) * d + q] * world.c[k][q];
      return s / lengths[k][i];
    }),
  );
});
const len = lengths.map(standardise);
const corr = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i], 0) / x.length;
console.log(
  `corr of ŝ across modalities: l-v ${corr(sHat[0], sHat[2]).toFixed(2)}, l-a ${corr(sHat[0], sHat[1]).toFixed(2)}, ` +
    `a-v ${corr(sHat[1], sHat[2]).toFixed(2)}; of lengths: l-a ${corr(len[0], len[1]).toFixed(2)}, a-v ${corr(len[1], len[2]).toFixed(2)}`,
);
for (const withLength of [false, true]) {
  let hits = 0;
  let total = 0;
  for (let a = 0; a < 3; a++)
    for (let c = 0; c < 3; c++) {
      if (a === c) continue;
      for (let s0 = 0; s0 < n; s0 += 32) {
        const e = Math.min(n, s0 + 32);
        for (let i = s0; i < e; i++) {
          let best = Infinity;
          let arg = -1;
          for (let j = s0; j < e; j++) {
            const dist = (sHat[a][i] - sHat[c][j]) ** 2 + (withLength ? (len[a][i] - len[c][j]) ** 2 : 0);
            if (dist < best) [best, arg] = [dist, j];
          }
          hits += arg === i ? 1 : 0;
          total++;
        }
      }
    }
  console.log(
    `top-1 within blocks of 32 from ŝ${withLength ? ' and the length' : ''}: ${((100 * hits) / total).toFixed(1)}% (chance 3.1%)`,
  );
}
