// What does a trained model's BERT know of the text? A linear read-out (docs/decisions/bert.md "Why the tiny BERT did
// not learn"): the BERT of each model file, run on synthetic-mosi's COMPLETE token ids, gives per sentence its [CLS] row
// and its masked mean (2H features); ridge regression fitted on the training split predicts the text's share of the
// label, 1.2·s + 0.55·z_t (the planted factors), and the test split's r² (squared correlation) is printed — beside that of a fresh,
// untrained BERT of the same config (the floor: a random embedding already separates the sentiment words a little).
//
//   npx esbuild bench/bert-text-readout.ts --bundle --platform=node --format=esm --external:webgpu --loader:.wgsl=text \
//     --outfile=node_modules/.cache/bert-readout.mjs
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node node_modules/.cache/bert-readout.mjs \
//     runs/x/model-seed1111.safetensors …

import fs from 'node:fs';
import { init } from '../src/node/init';
import { Bert, div, mul, noGrad, reshape, slice, sum, tensor, tidy, concat } from '../src/node';
import { syntheticMosi, SYNTHETIC_PARAMS } from '../src/app/data/synthetic';
import { loadModel } from '../src/app/models/registry';
import type { Split } from '../src/app/data/types';

await init();
const data = syntheticMosi({ seed: 0 });
const T = data.dims.text.len;

/** [CLS] row and masked mean of BERT's last hidden states for every sample of a split: (N, 2H), row-major. */
async function features(bert: Bert, split: Split): Promise<{ x: Float32Array; n: number; dim: number }> {
  const n = data.sizes[split];
  const H = bert.config.hidden;
  const x = new Float32Array(n * 2 * H);
  for (let s = 0; s < n; s += 64) {
    const ix = Array.from({ length: Math.min(64, n - s) }, (_, i) => s + i);
    const tb = data.batch(split, ix).textBert!;
    const B = ix.length;
    const ids = new Int32Array(B * T);
    const mask = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      ids.set(tb.subarray(b * 3 * T, b * 3 * T + T), b * T);
      mask.set(tb.subarray(b * 3 * T + T, b * 3 * T + 2 * T), b * T);
    }
    const f = noGrad(() =>
      tidy(() => {
        const shape = [B, T] as const;
        const h = bert.forward({ data: ids, shape }, null, { data: mask, shape }).hidden; // (B, T, H)
        const m = tensor(Float32Array.from(mask), [B, T, 1]);
        const avg = div(sum(mul(h, m), 1), sum(m, 1)); //                                    (B, H)
        return concat([reshape(slice(h, 1, 0, 1), [B, H]), avg], 1).keep(); //             (B, 2H)
      }),
    );
    x.set(await f.toArray(), s * 2 * H);
    f.dispose();
  }
  return { x, n, dim: 2 * H };
}

/** The text's share of each label: 1.2·s + 0.55·z_t. */
function target(split: Split): Float64Array {
  const f = data.latents(split);
  return f.s.map((s, i) => SYNTHETIC_PARAMS.shared * s + SYNTHETIC_PARAMS.specific * f.zText[i]);
}

/** Ridge regression (λ = 1e-3·n, standardised features, intercept) fitted on train; r² on test. */
function ridgeR2(
  train: { x: Float32Array; n: number; dim: number },
  ytr: Float64Array,
  test: typeof train,
  yte: Float64Array,
) {
  const d = train.dim;
  const mu = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < train.n; i++) mu[j] += train.x[i * d + j] / train.n;
    for (let i = 0; i < train.n; i++) sd[j] += (train.x[i * d + j] - mu[j]) ** 2 / train.n;
    sd[j] = Math.sqrt(sd[j]) || 1;
  }
  const z = (x: Float32Array, i: number, j: number) => (x[i * d + j] - mu[j]) / sd[j];
  const ym = ytr.reduce((a, b) => a + b, 0) / train.n;
  // Normal equations (ZᵀZ + λI) w = Zᵀ(y − ȳ), solved by Gaussian elimination with partial pivoting.
  const A = Array.from({ length: d }, () => new Float64Array(d + 1));
  for (let i = 0; i < train.n; i++)
    for (let j = 0; j < d; j++) {
      const zj = z(train.x, i, j);
      for (let k = 0; k < d; k++) A[j][k] += zj * z(train.x, i, k);
      A[j][d] += zj * (ytr[i] - ym);
    }
  for (let j = 0; j < d; j++) A[j][j] += 1e-3 * train.n;
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
    [A[c], A[p]] = [A[p], A[c]];
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = A[r][c] / A[c][c];
      for (let k = c; k <= d; k++) A[r][k] -= f * A[c][k];
    }
  }
  const w = A.map((row, j) => row[d] / row[j]);
  const pred = Array.from({ length: test.n }, (_, i) => w.reduce((p, wj, j) => p + wj * z(test.x, i, j), ym));
  // The squared correlation: the splits' sentiment means differ by design (MOSI's label balance), which an intercept
  // fitted on train cannot know; the read-out's quality is how well it ranks and scales within the test split.
  const mean = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + b, 0) / v.length;
  const [pm, ymt] = [mean(pred), mean(yte)];
  let [sxy, sxx, syy] = [0, 0, 0];
  for (let i = 0; i < test.n; i++) {
    sxy += (pred[i] - pm) * (yte[i] - ymt);
    sxx += (pred[i] - pm) ** 2;
    syy += (yte[i] - ymt) ** 2;
  }
  return sxy ** 2 / (sxx * syy);
}

const ytr = target('train');
const yte = target('test');
for (const file of process.argv.slice(2)) {
  const { model } = loadModel(new Uint8Array(fs.readFileSync(file)));
  const trained = (model as unknown as { bert: Bert | null }).bert;
  if (!trained) throw new Error(`${file}: the model has no BERT text encoder`);
  const { seed: _seed, ...sizes } = trained.config;
  const fresh = new Bert({ ...sizes, seed: 1 });
  for (const [what, bert] of [
    ['trained', trained],
    ['fresh', fresh],
  ] as const) {
    bert.eval();
    const r2 = ridgeR2(await features(bert, 'train'), ytr, await features(bert, 'test'), yte);
    console.log(
      `${file} ${what} BERT: test r² (squared correlation) of the text's share of the label from [CLS] + mean: ${r2.toFixed(3)}`,
    );
  }
  fresh.dispose();
  model.dispose();
}
process.exit(0);
