// Can the small preset's BERT learn synthetic-mosi's text on its own? A text-only probe (issue 16's diagnosis,
// docs/decisions/bert.md "Why the tiny BERT did not learn"): BERT from scratch on the `text_bert` ids, corrupted as in
// training (each content token → [UNK] with probability k), then a read-out to the label, trained with AdamW
// (warm-up 10 % + cosine, as the trainer); prints the validation R² of the label per epoch. No DAR around it, so what
// it measures is whether BERT + a read-out can learn the text within the default budget (4 epochs of 41 steps).
//
//   npx esbuild bench/bert-text-probe.ts --bundle --platform=node --format=esm --external:webgpu --loader:.wgsl=text \
//     --outfile=node_modules/.cache/bert-probe.mjs
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node node_modules/.cache/bert-probe.mjs \
//     --lr 2e-3 --layers 1 --hidden 32 --pool mean
//
// --pool: mean (masked mean of the hidden states), cls (the [CLS] row), align (DAR's alignment: Conv1d(50 → 8, k 1)
// mixing the positions, LayerNorm, Linear + GELU, then the mean of the 8 steps: what DAR's text encoders read).

import { parseArgs } from 'node:util';
import { init } from '../src/node/init';
import {
  AdamW,
  Bert,
  Linear,
  LayerNorm,
  Conv1d,
  gelu,
  mul,
  sum,
  mean,
  reshape,
  slice,
  tensor,
  tidy,
} from '../src/node';
import { div, mseLoss, type Tensor } from '../src/node';
import { syntheticMosi } from '../src/app/data/synthetic';

const { values: a } = parseArgs({
  options: {
    lr: { type: 'string', default: '2e-3' },
    layers: { type: 'string', default: '1' },
    hidden: { type: 'string', default: '32' },
    heads: { type: 'string', default: '2' },
    ffn: { type: 'string', default: '0' },
    pool: { type: 'string', default: 'mean' },
    k: { type: 'string', default: '0.3' },
    epochs: { type: 'string', default: '4' },
    seed: { type: 'string', default: '1111' },
    'bert-lr': { type: 'string', default: '' },
  },
});
const H = Number(a.hidden);
const cfg = {
  vocabSize: 120,
  hidden: H,
  layers: Number(a.layers),
  heads: Number(a.heads),
  intermediate: Number(a.ffn) || 2 * H,
  maxPosition: 64,
  typeVocab: 2,
  pooler: false,
  seed: Number(a.seed),
};
await init();
const data = syntheticMosi({ seed: 0 });
const T = data.dims.text.len;
const bert = new Bert(cfg);
const conv = a.pool === 'align' ? new Conv1d(T, 8, 1, { seed: 5 }) : null;
const norm = a.pool === 'align' ? new LayerNorm(H) : null;
const proj = a.pool === 'align' ? new Linear(H, H, { seed: 6 }) : null;
const head = new Linear(H, 1, { seed: 7 });
const named = (p: string, m: { namedParameters(): [string, Tensor][] } | null) =>
  m ? m.namedParameters().map(([n, t]) => [`${p}.${n}`, t] as const) : [];
const opt = new AdamW(
  [head, conv, norm, proj].flatMap((m, i) => named(`m${i}`, m)),
  { lr: Number(a.lr), weightDecay: 1e-4 },
);
// BERT's own group: its peak lr is --bert-lr (default: --lr).
const bertLr = Number(a['bert-lr'] || a.lr);
const bertOpt = new AdamW(bert, { lr: bertLr, weightDecay: 1e-4 });
const k = Number(a.k);
const epochs = Number(a.epochs);
const B = 32;
const steps = Math.ceil(data.sizes.train / B) * epochs;
let rng = Number(a.seed) >>> 0;
const rand = () => (rng = (Math.imul(rng, 1664525) + 1013904223) >>> 0) / 2 ** 32;

/** ids, mask (B, T) of the samples, content tokens → [UNK] with probability `rate`; labels (B, 1). */
function batch(split: 'train' | 'valid', ix: number[], rate: number) {
  const b = data.batch(split, ix);
  const tb = b.textBert!;
  const ids = new Int32Array(ix.length * T);
  const mask = new Int32Array(ix.length * T);
  for (let i = 0; i < ix.length; i++) {
    ids.set(tb.subarray(i * 3 * T, i * 3 * T + T), i * T);
    mask.set(tb.subarray(i * 3 * T + T, i * 3 * T + 2 * T), i * T);
    for (let j = 0; j < T; j++) {
      const id = ids[i * T + j];
      if (id !== 0 && id !== 101 && id !== 102 && rand() < rate) ids[i * T + j] = 100;
    }
  }
  return { ids, mask, labels: b.labels };
}

function predict(ids: Int32Array, mask: Int32Array, n: number) {
  const shape = [n, T] as const;
  const h = bert.forward({ data: ids, shape }, { data: new Int32Array(n * T), shape }, { data: mask, shape }).hidden;
  let feat;
  if (a.pool === 'cls') feat = reshape(slice(h, 1, 0, 1), [n, H]);
  else if (a.pool === 'align') feat = mean(gelu(proj!.forward(norm!.forward(conv!.forward(h)))), 1);
  else {
    const m = tensor(Float32Array.from(mask), [n, T, 1]);
    feat = div(sum(mul(h, m), 1), sum(m, 1));
  }
  return head.forward(feat);
}

const t0 = performance.now();
let step = 0;
for (let e = 0; e < epochs; e++) {
  const order = Array.from({ length: data.sizes.train }, (_, i) => i).sort(() => rand() - 0.5);
  bert.train();
  let lossSum = 0;
  for (let s = 0; s < order.length; s += B, step++) {
    const ix = order.slice(s, s + B);
    const warm = Math.ceil(0.1 * steps);
    const f =
      step < warm ? (step + 1) / warm : 0.01 + 0.99 * 0.5 * (1 + Math.cos((Math.PI * (step - warm)) / (steps - warm)));
    opt.setLr(Number(a.lr) * f);
    bertOpt.setLr(bertLr * f);
    const { ids, mask, labels } = batch('train', ix, k);
    const loss = tidy(() => {
      const l = mseLoss(predict(ids, mask, ix.length), tensor(labels, [ix.length, 1]));
      l.backward();
      opt.step();
      bertOpt.step();
      opt.zeroGrad();
      bertOpt.zeroGrad();
      return l.keep();
    });
    lossSum += (await loss.toArray())[0];
    loss.dispose();
  }
  bert.eval();
  const n = data.sizes.valid;
  const vix = Array.from({ length: n }, (_, i) => i);
  for (const rate of [0, 0.5]) {
    const { ids, mask, labels } = batch('valid', vix, rate);
    const p = tidy(() => predict(ids, mask, n).keep());
    const pv = await p.toArray();
    p.dispose();
    const mu = labels.reduce((x, y) => x + y, 0) / n;
    let ss = 0;
    let st = 0;
    for (let i = 0; i < n; i++) {
      ss += (pv[i] - labels[i]) ** 2;
      st += (labels[i] - mu) ** 2;
    }
    console.log(
      `epoch ${e + 1} train mse ${(lossSum / Math.ceil(order.length / B)).toFixed(3)} valid@${rate} R² ${(1 - ss / st).toFixed(3)}  ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );
  }
}
process.exit(0);
