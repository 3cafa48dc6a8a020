// Does DAR's L_sim^com line the modalities up at all, and what stops it? A fast experiment for issue #15
// (docs/decisions/dar-deviations.md §1): DAR `small` on synthetic-mosi with shared content u (K = 8), trained by the
// app's trainer in Node on Dawn, probed every `--every` steps on the validation split at k = 0.3:
//   retrieval   top-1 cross-modal retrieval of the common features among the 32 of a batch (chance 3.1 %) and among
//               all validation samples (src/app/eval/probes.ts)
//   R² u        held-out linear probes of u from the aligned features Ũ¹ (time mean: what the encoders get), from the
//               common and from the specific features
//   grad        (with --grad) the gradient norm that α·λ·L_sim^com alone and L_task alone send to the alignment,
//               the common encoders and BERT, on one fixed training batch: does L_sim's gradient reach them?
// Loss weights: by default the model's own L_total; `--w task=0,boot=0,sim_com=1,...` replaces it by Σ w·term over
// the model's terms (task, boot, sim_com, sim_spec, diff, re, recon; unnamed terms keep the config's weight, e.g.
// sim_com's α·λ), so L_sim can be trained alone. `--config '{"alignInit":"average"}'` overrides darConfig fields.
//
//   npx esbuild bench/lsim-probe.ts --bundle --platform=node --format=esm --external:webgpu --loader:.wgsl=text \
//     --outfile=node_modules/.cache/lsim-probe.mjs
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json nice -n 19 node node_modules/.cache/lsim-probe.mjs \
//     --steps 120 --every 20 --w task=0,boot=0,diff=0,re=0,recon=0,sim_spec=0,sim_com=1

import { parseArgs } from 'node:util';
import { init } from '../src/node/init';
import { add, mean, mulScalar, noGrad, reshape, slice, sub, tidy, type Tensor } from '../src/node';
import { syntheticMosi, SYNTHETIC_VOCAB } from '../src/app/data/synthetic';
import { applyMissing, MissingField } from '../src/app/data/missing';
import { batchIndices } from '../src/app/data/loader';
import { darConfig, type DarOverrides } from '../src/app/models/dar/config';
import { DAR } from '../src/app/models/dar/model';
import { FEATURE_TEXT, TINY_BERT } from '../src/app/models/text-encoder-config';
import { lazyInputs, lazyTrainingBatch } from '../src/app/train/batches';
import { trainModel } from '../src/app/train/trainer';
import { probeDecoupling } from '../src/app/eval/probes';
import { heldOutR2, topOne } from '../src/app/eval/probe-math';
import type { ModalityInputs, TrainingBatch } from '../src/app/models/types';

const { values: a } = parseArgs({
  options: {
    steps: { type: 'string', default: '120' },
    every: { type: 'string', default: '20' },
    seed: { type: 'string', default: '1111' },
    lr: { type: 'string', default: '2e-3' },
    batch: { type: 'string', default: '32' },
    k: { type: 'string', default: '0.3' },
    text: { type: 'string', default: 'bert' },
    config: { type: 'string', default: '{}' },
    w: { type: 'string', default: '' },
    grad: { type: 'boolean', default: false },
    pos: { type: 'string', default: 'keep' },
    'shared-content': { type: 'string', default: '8' },
  },
});
const B = Number(a.batch);
const every = Number(a.every);
const probes = Math.ceil(Number(a.steps) / every);
const seed = Number(a.seed);
const k = Number(a.k);

await init();
const data = syntheticMosi({ seed: 0, sharedContent: Number(a['shared-content']) });
const textEncoder =
  a.text === 'bert'
    ? { kind: 'bert' as const, bert: { ...TINY_BERT, vocabSize: SYNTHETIC_VOCAB.size }, frozen: false }
    : FEATURE_TEXT;
const overrides = JSON.parse(a.config!) as DarOverrides;
const config = (s: number) => darConfig('small', data.dims, { seed: s, textEncoder, ...overrides });
const c0 = config(seed);
const weights: Record<string, number> = {
  task: 1,
  boot: 1,
  sim_com: c0.alpha * c0.lambda,
  sim_spec: c0.alpha * c0.lambda,
  diff: c0.alpha * c0.lambda,
  re: c0.alpha,
  recon: c0.beta,
};
for (const kv of (a.w ?? '').split(',').filter(Boolean)) {
  const [name, v] = kv.split('=');
  if (!(name in weights)) throw new Error(`--w: unknown term ${name}`);
  weights[name] = Number(v);
}
console.log(
  `config ${JSON.stringify(overrides)} pos ${a.pos} text ${a.text} lr ${a.lr} batch ${B} k ${k} seed ${seed}; ` +
    (a.w ? `weights ${JSON.stringify(weights)}` : 'L_total as the model defines it'),
);

function factory(s: number): DAR {
  const model = new DAR(config(s));
  // --pos centre: the encoders' learned positions minus their mean over time (no offset in the time mean of H);
  // --pos <x>: scaled by x.
  if (a.pos !== 'keep') {
    const p = model.enc.pos_embedding; //                                                   (6, t, d)
    const [G, , d] = p.shape;
    const next = noGrad(() =>
      a.pos === 'centre' ? sub(p, reshape(mean(p, 1), [G, 1, d])) : mulScalar(p, Number(a.pos)),
    );
    model.enc.loadStateDict({ pos_embedding: next }, { strict: false });
    next.dispose();
  }
  if (!a.w) return model;
  const losses = model.losses.bind(model);
  model.losses = (batch, cache) => {
    const r = losses(batch, cache);
    const parts = Object.entries(weights)
      .filter(([n, w]) => w !== 0 && r.terms[n])
      .map(([n, w]) => mulScalar(r.terms[n], w));
    return { ...r, total: parts.reduce((x, y) => add(x, y)) };
  };
  return model;
}

// The validation split at k, as the probes see it; and one fixed training batch for the gradient probe.
const nValid = data.sizes.valid;
const validMasks = new MissingField(data.split('valid'), data.dims, 1111).masks(k, { keepSpecialTokens: true });
const factors = data.latents('valid');
const K = factors.contentDim;
const trainMasks = new MissingField(data.split('train'), data.dims, 7).masks(k, { keepSpecialTokens: true });
const gradIx = Array.from({ length: B }, (_, i) => i);
const gradBatch = (): TrainingBatch => {
  const complete = data.batch('train', gradIx);
  return lazyTrainingBatch(complete, applyMissing(complete, trainMasks));
};

/**
 * From one pass of the validation split: R² of u (mean over its K components and the modalities) from the time mean
 * of Ũ¹; the mean cosine between two samples' common features of one modality (near 1: a shared offset dominates
 * them, and cosine retrieval sees little else); retrieval of the common features after subtracting each modality's
 * mean over the split (what the offset hides).
 */
async function stages(model: DAR): Promise<{ r2Aligned: number; cos: number; centred32: number }> {
  const d = model.config.d;
  const aligned = [0, 1, 2].map(() => new Float64Array(nValid * d));
  const common = [0, 1, 2].map(() => new Float64Array(nValid * d));
  let at = 0;
  for (const ix of batchIndices(nValid, 32)) {
    const complete = data.batch('valid', ix);
    const x: ModalityInputs = lazyInputs(applyMissing(complete, validMasks));
    const enc = model as unknown as { encodeViews(v: ModalityInputs[]): { u: Tensor; h: Tensor } };
    const [zu, zh] = noGrad(() =>
      tidy(() => {
        const e = enc.encodeViews([x]);
        return [mean(e.u, 2), mean(slice(e.h, 0, 0, 3), 2)];
      }),
    );
    const [ub, hb] = [await zu.toArray(), await zh.toArray()];
    zu.dispose();
    zh.dispose();
    const n = ix.length;
    for (let m = 0; m < 3; m++) {
      aligned[m].set(ub.subarray(m * n * d, (m + 1) * n * d), at * d);
      common[m].set(hb.subarray(m * n * d, (m + 1) * n * d), at * d);
    }
    at += n;
  }
  const half = Math.floor(nValid / 2);
  let r2 = 0;
  for (let m = 0; m < 3; m++)
    for (let q = 0; q < K; q++) {
      const y = Float64Array.from({ length: nValid }, (_, i) => factors.u[i * K + q]);
      r2 += heldOutR2(aligned[m], y, nValid, d, half);
    }
  let cos = 0;
  let pairs = 0;
  for (const z of common)
    for (let i = 0; i + 1 < nValid; i += 2) {
      let [ab, aa, bb] = [0, 0, 0];
      for (let q = 0; q < d; q++) {
        ab += z[i * d + q] * z[(i + 1) * d + q];
        aa += z[i * d + q] ** 2;
        bb += z[(i + 1) * d + q] ** 2;
      }
      cos += ab / Math.sqrt(aa * bb + 1e-30);
      pairs++;
    }
  const centred = common.map((z) => {
    const out = Float64Array.from(z);
    for (let q = 0; q < d; q++) {
      let mu = 0;
      for (let i = 0; i < nValid; i++) mu += z[i * d + q] / nValid;
      for (let i = 0; i < nValid; i++) out[i * d + q] -= mu;
    }
    return out;
  });
  return { r2Aligned: r2 / (3 * K), cos: cos / pairs, centred32: topOne(centred, nValid, d, 32) };
}

/** Gradient norms that `term` (times its weight) sends to parameter groups, on the fixed batch. */
async function gradNorms(model: DAR, term: string, w: number): Promise<string> {
  const groups = ['align.', 'enc.', 'bert.'];
  const sq = new Map<string, number>(groups.map((g) => [g, 0]));
  tidy(() => {
    const r = model.losses(gradBatch());
    mulScalar(r.terms[term], w).backward();
  });
  for (const [name, p] of model.mainParameters()) {
    const g = groups.find((x) => name.startsWith(x));
    if (!g || !p.grad) continue;
    // enc.* holds E_c (groups 0-2) and E_s (3-5) stacked on axis 0: count only E_c's rows.
    const gr = g === 'enc.' && p.grad.shape[0] === 6 ? slice(p.grad, 0, 0, 3) : p.grad;
    const v = await gr.toArray();
    if (gr !== p.grad) gr.dispose();
    sq.set(g, sq.get(g)! + v.reduce((s, x) => s + x * x, 0));
  }
  model.zeroGrad();
  return groups.map((g) => `${g.slice(0, -1)} ${Math.sqrt(sq.get(g)!).toExponential(1)}`).join(' ');
}

const t0 = performance.now();
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
await trainModel(
  factory,
  data,
  {
    seed,
    epochs: probes,
    batchSize: B,
    lr: Number(a.lr),
    trainMissingRate: k,
    missingField: 'fresh',
    trainSubset: every * B,
    validSubset: 64,
  },
  {
    onEpoch: (e) => {
      const t = e.train;
      console.log(
        `  train: task ${t.task?.toFixed(3)} sim_com ${t.sim_com?.toFixed(3)} sim_spec ${t.sim_spec?.toFixed(3)} ` +
          `diff ${t.diff?.toFixed(3)} re ${t.re?.toFixed(3)} | valid MAE ${e.validMetrics.mae.toFixed(3)}`,
      );
    },
    probe: async (model, epoch) => {
      const dar = model as DAR;
      const p = await probeDecoupling(dar, data, { split: 'valid', rate: k, maskSeed: 1111, factors });
      const r2 = p.r2!;
      const st = await stages(dar);
      const line =
        `step ${(epoch * every).toString().padStart(4)}: retrieval com ${pct(p.retrieval.common32)} ` +
        `(all ${pct(p.retrieval.commonAll)}; centred ${pct(st.centred32)}; cos ${st.cos.toFixed(2)}) spec ` +
        `${pct(p.retrieval.specific32)} | R² u ← Ũ¹ ${st.r2Aligned.toFixed(2)} ← com ${r2.contentFromCommon!.toFixed(2)} ← spec ` +
        `${r2.contentFromSpecific!.toFixed(2)} s ← com ${r2.sharedFromCommon.toFixed(2)} | ` +
        `${((performance.now() - t0) / 1000).toFixed(0)} s`;
      console.log(line);
      if (a.grad) {
        console.log(`  grad α·λ·sim_com: ${await gradNorms(dar, 'sim_com', c0.alpha * c0.lambda)}`);
        console.log(`  grad task:        ${await gradNorms(dar, 'task', 1)}`);
      }
      return null;
    },
  },
);
console.log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
process.exit(0);
