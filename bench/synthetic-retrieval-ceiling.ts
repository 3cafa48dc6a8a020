// How far above chance can cross-modal retrieval of synthetic-mosi's samples go at all? A ceiling for DAR's L_sim^com
// (docs/decisions/dar-deviations.md §1). Per sample and modality, an oracle that knows the generator's directions reads
// (1) the shared sentiment factor s (mean over the real frames, projected on c_m) and the sequence length, and (2) the
// shared content u (least squares on G_m's K directions from the centred mean frame; audio, whose 5 dims hold only
// 3 of them, Gᵀ_a x̄_a); and from the
// token ids, u's topics (the share of fillers in each topic's block, centred). Then top-1 retrieval of sample i of
// modality m among the 32 samples of its block of modality m′ (nearest standardised value or vector), over
// the six ordered pairs, on the validation split. Pure TypeScript, no GPU; `--shared-content K` (default 8; 0 = the
// data before u existed):
//
//   npx esbuild bench/synthetic-retrieval-ceiling.ts --bundle --platform=node --format=esm \
//     --outfile=node_modules/.cache/ceiling.mjs && node node_modules/.cache/ceiling.mjs

import { SYNTHETIC_VOCAB, syntheticMosi } from '../src/app/data/synthetic';

const at = process.argv.indexOf('--shared-content');
const K = at > 0 ? Number(process.argv[at + 1]) : 8; // the measurement data's K (the dataset's own default is 0)
const data = syntheticMosi({ seed: 0, sharedContent: K });
// The generator's per-modality directions (private to the dataset: read here only to bound what is learnable).
const world = (data as unknown as { world: { c: Float64Array[] } }).world;
const content = (data as unknown as { content: Float64Array[] }).content;
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

if (K > 0) {
  // û_m = G_mᵀ(x̄_m − mean over samples of x̄_m): (n, K) per modality.
  const uHat = mods.map((m, k) => {
    const { len: T, dim: d } = data.dims[m];
    const x = b[m];
    const mean = new Float64Array(n * d);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < lengths[k][i]; j++)
        for (let q = 0; q < d; q++) mean[i * d + q] += x[(i * T + j) * d + q] / lengths[k][i];
    for (let q = 0; q < d; q++) {
      let mu = 0;
      for (let i = 0; i < n; i++) mu += mean[i * d + q] / n;
      for (let i = 0; i < n; i++) mean[i * d + q] -= mu;
    }
    const G = content[k];
    const out = new Float64Array(n * K);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < K; c++) {
        let v = 0;
        for (let q = 0; q < d; q++) v += G[q * K + c] * mean[i * d + q];
        out[i * K + c] = v;
      }
    if (d < K + 2) return out; // audio: Gᵀx̄ (rank 3), mapped into audio's frame space below
    // Least squares (GᵀG)⁻¹Gᵀx̄: G's columns are unit but not orthogonal in vision's 18 free dims.
    const A = Array.from({ length: K }, (_, r) =>
      Array.from({ length: K }, (_, c) => {
        let v = 0;
        for (let q = 0; q < d; q++) v += G[q * K + r] * G[q * K + c];
        return v;
      }),
    );
    for (let i = 0; i < n; i++) {
      const M = A.map((row, r) => [...row, out[i * K + r]]);
      for (let p = 0; p < K; p++)
        for (let r = p + 1; r < K; r++) {
          const f = M[r][p] / M[p][p];
          for (let c = p; c <= K; c++) M[r][c] -= f * M[p][c];
        }
      for (let p = K - 1; p >= 0; p--) {
        let v = M[p][K];
        for (let c = p + 1; c < K; c++) v -= M[p][c] * out[i * K + c];
        out[i * K + p] = v / M[p][p];
      }
    }
    return out;
  });
  // The ids' topics: share of each topic block among the fillers, centred.
  const w = Math.floor(SYNTHETIC_VOCAB.fillers / K);
  const topics = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    const ids = b.textBert!.subarray(i * 3 * Tt, i * 3 * Tt + Tt);
    for (let j = 1; j < lengths[0][i] - 1; j++)
      if (ids[j] >= 1 && ids[j] <= K * w) topics[i * K + Math.floor((ids[j] - 1) / w)] += 1 / (lengths[0][i] - 2);
  }
  for (let c = 0; c < K; c++) {
    let mu = 0;
    for (let i = 0; i < n; i++) mu += topics[i * K + c] / n;
    for (let i = 0; i < n; i++) topics[i * K + c] -= mu;
  }
  // Audio's 5 dims hold only 3 of u's directions (the other two are c_a, e_a): a pair with audio is compared where both
  // see u, in audio's frame space (G_a û), a pair without it in u's space.
  const da = data.dims.audio.dim;
  const toAudio = (x: Float64Array) => {
    const out = new Float64Array(n * da);
    for (let i = 0; i < n; i++)
      for (let q = 0; q < da; q++) {
        let v = 0;
        for (let c = 0; c < K; c++) v += content[1][q * K + c] * x[i * K + c];
        out[i * da + q] = v;
      }
    return out;
  };
  // Nearest neighbour by Euclidean distance between the two sides' standardised vectors, both directions.
  const nearest = (x: Float64Array, y: Float64Array, p: number, block: number) => {
    const z = [x, y].map((v) => {
      const out = Float64Array.from(v);
      let ss = 0;
      for (const e of out) ss += e * e;
      const scale = Math.sqrt(ss / n);
      return out.map((e) => e / scale);
    });
    let hits = 0;
    for (const [a, c] of [
      [0, 1],
      [1, 0],
    ])
      for (let s0 = 0; s0 < n; s0 += block)
        for (let i = s0; i < Math.min(n, s0 + block); i++) {
          let best = Infinity;
          let arg = -1;
          for (let j = s0; j < Math.min(n, s0 + block); j++) {
            let dist = 0;
            for (let q = 0; q < p; q++) dist += (z[a][i * p + q] - z[c][j * p + q]) ** 2;
            if (dist < best) [best, arg] = [dist, j];
          }
          hits += arg === i ? 1 : 0;
        }
    return hits / (2 * n);
  };
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const pairAcc = (x: Float64Array, y: Float64Array, audio: boolean, block: number) =>
    audio ? nearest(toAudio(x), toAudio(y), da, block) : nearest(x, y, K, block);
  const pairs: [string, number, number][] = [
    ['l-v', 0, 2],
    ['l-a', 0, 1],
    ['a-v', 1, 2],
  ];
  const accs = (block: number) => pairs.map(([, a, c]) => pairAcc(uHat[a], uHat[c], a === 1 || c === 1, block));
  const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
  const in32 = accs(32);
  console.log(
    `top-1 within blocks of 32 from û (K = ${K}), six pairs: ${pct(mean(in32))} ` +
      `(${pairs.map(([name], i) => `${name} ${pct(in32[i])}`).join(', ')}; chance 3.1%); ` +
      `over all ${n}: ${pct(mean(accs(n)))} (chance ${pct(1 / n)})`,
  );
  const pair = (x: Float64Array, y: Float64Array) => pct(nearest(x, y, K, 32));
  console.log(
    `top-1 within blocks of 32, token ids' topics ↔ frames' û: text ${pair(topics, uHat[0])}, vision ${pair(topics, uHat[2])}, ` +
      `audio ${pct(pairAcc(topics, uHat[1], true, 32))}`,
  );
}
