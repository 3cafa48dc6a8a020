// Does DAR's decoupling do what the paper says (issue #15)? Probes of a trained (or training) DAR on one split at one
// missing rate, without the tape, cheap enough to run after every epoch (the validation split: 229 samples).
//
//   retrieval   cross-modal top-1: sample i's feature of modality m (as L_sim compares it: the time mean, or all of H
//               with simPool 'flat') must pick out sample i's feature of
//               m′ by cosine similarity, over the six ordered pairs; among the 32 samples of its batch (chance 1/32,
//               what L_sim^com's InfoNCE sees) and among the whole split (chance 1/N). Common features should score
//               far above chance; specific ones (private to a modality) near it.
//   mi          a held-out Gaussian estimate of I(zc_m; zs_m), in nats, mean over m: a ridge regression from zs_m to
//               zc_m fitted on the first half of the split, then ½·log det Σ(zc) − ½·log det Σ(residual) on the
//               second half, with a small noise floor (probe-math.ts, MI_NOISE) so that collapsed features stay
//               finite. A separate estimator fitted after the fact on frozen features, not the training CLUB,
//               whose value moves with its own training.
//   r2          linear probes (ridge, fitted on the first half, R² on the second) from zc_m and from zs_m to
//               synthetic-mosi's planted factors: the shared s, modality m's private z_m and the shared content u
//               (mean over its K components), means over m. Common features should hold s and u, specific ones z_m;
//               u is the factor only L_sim^com has a reason to put in the common space (the label ignores it).
//   gate        mean gate value per branch and modality (com l, v, a; spec l, v, a): how much of the reconstruction
//               the fused features take.
//   recon       mean over samples and the six groups of ‖Ĥ − H‖_F and ‖H̃ − H‖_F: does reconstruction bring the
//               corrupted features closer to the complete input's?

import type { Tensor } from '../../engine/tensor';
import { applyMissing, MissingField } from '../data/missing';
import { batchIndices } from '../data/loader';
import type { Dataset, Split } from '../data/types';
import type { PlantedFactors } from '../data/synthetic';
import { lazyInputs } from '../train/batches';
import type { ModalityInputs } from '../models/types';
import { heldOutGaussianMi, heldOutR2, topOne } from './probe-math';

/** What the probes need of a model: DAR's inspect() (src/app/models/dar/model.ts). */
export interface Inspectable {
  config: { d: number };
  inspect(
    corrupted: ModalityInputs,
    complete: ModalityInputs,
  ): Record<'z' | 'gate' | 'hatErr' | 'tildeErr', Tensor> & { zSim?: Tensor };
}

export interface DecouplingProbe {
  rate: number;
  n: number;
  retrieval: { common32: number; commonAll: number; specific32: number; specificAll: number; chance32: number };
  /** Held-out Gaussian I(zc_m; zs_m) in nats, mean over modalities. */
  mi: number;
  /** Linear-probe R² on the held-out half (null without planted factors). */
  r2: {
    sharedFromCommon: number;
    sharedFromSpecific: number;
    privateFromCommon: number;
    privateFromSpecific: number;
    /** R² of the shared content u (mean over its K components); null when the data plants none (K = 0). */
    contentFromCommon: number | null;
    contentFromSpecific: number | null;
  } | null;
  /** Mean gate value: [com l, v, a, spec l, v, a]. */
  gate: number[];
  recon: { hat: number; tilde: number };
}

export interface ProbeOptions {
  split?: Split;
  rate: number;
  maskSeed: number;
  /** The first n samples of the split (default all). */
  subset?: number;
  /** The planted factors of the split, for the R² probes (synthetic-mosi: dataset.latents(split)). */
  factors?: PlantedFactors | null;
  /**
   * Samples per inspect() pass (default 32; a multiple of 32). Larger batches mean fewer passes and readbacks; the
   * numbers do not change, as every output is per sample and the sums below run in blocks of 32 whatever the batch.
   */
  batchSize?: number;
}

/** The block of samples the norms are summed over before joining the total (the original batch: same rounding). */
const SUM_BLOCK = 32;

/**
 * The sum of x (6, B): per block of SUM_BLOCK samples, all six groups' values summed in (group, sample) order, the
 * blocks' sums then added up in order; the same sum, to the last bit, as a batch of SUM_BLOCK at a time would give.
 */
function blockSums(x: Float32Array, B: number): number {
  let total = 0;
  for (let b0 = 0; b0 < B; b0 += SUM_BLOCK) {
    const b1 = Math.min(B, b0 + SUM_BLOCK);
    let s = 0;
    for (let g = 0; g < 6; g++) for (let i = b0; i < b1; i++) s += x[g * B + i];
    total += s;
  }
  return total;
}

/** The probes of `model` on `dataset` (see the top of this file). */
export async function probeDecoupling(model: Inspectable, dataset: Dataset, o: ProbeOptions): Promise<DecouplingProbe> {
  const split = o.split ?? 'valid';
  const info = dataset.split(split);
  const n = Math.min(o.subset ?? info.n, info.n);
  const masks = new MissingField(info, dataset.dims, o.maskSeed).masks(o.rate, { keepSpecialTokens: true });
  const d = model.config.d;
  const z = Array.from({ length: 6 }, () => new Float64Array(n * d)); //  z[g] (n, d)
  let zs: Float64Array[] = z; // what L_sim compares (zSim: (n, dSim)); the time means when the model gives no zSim
  let dSim = d;
  const gate = new Float64Array(6);
  let hatSum = 0;
  let tildeSum = 0;
  let at = 0;
  const batchSize = o.batchSize ?? SUM_BLOCK;
  if (!(Number.isInteger(batchSize) && batchSize > 0 && batchSize % SUM_BLOCK === 0))
    throw new RangeError(`probeDecoupling: batchSize must be a positive multiple of ${SUM_BLOCK}, got ${batchSize}`);
  for (const ix of batchIndices(n, batchSize)) {
    const complete = dataset.batch(split, ix);
    const out = model.inspect(lazyInputs(applyMissing(complete, masks)), lazyInputs(complete));
    const [zb, gb, he, te] = await Promise.all([out.z, out.gate, out.hatErr, out.tildeErr].map((t) => t.toArray()));
    const zsb = out.zSim ? await out.zSim.toArray() : null;
    for (const t of Object.values(out)) t.dispose();
    const B = ix.length;
    if (zsb && at === 0) {
      dSim = zsb.length / (6 * B);
      zs = Array.from({ length: 6 }, () => new Float64Array(n * dSim));
    }
    if (zsb) for (let g = 0; g < 6; g++) zs[g].set(zsb.subarray(g * B * dSim, (g + 1) * B * dSim), at * dSim);
    for (let g = 0; g < 6; g++) {
      z[g].set(zb.subarray(g * B * d, (g + 1) * B * d), at * d);
      for (let i = 0; i < B; i++) gate[g] += gb[g * B + i];
    }
    hatSum += blockSums(he, B);
    tildeSum += blockSums(te, B);
    at += B;
  }
  const common = [0, 1, 2].map((g) => z[g]);
  const specific = [3, 4, 5].map((g) => z[g]);
  const half = Math.floor(n / 2);
  const f = o.factors;
  const privateOf = f ? [f.zText, f.zVision, f.zAudio] : []; // modality order l, v, a
  const meanOver = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const r2 = (x: Float64Array, y: Float64Array) => heldOutR2(x, y.subarray(0, n), n, d, half);
  const K = f?.contentDim ?? 0;
  const uCols = Array.from({ length: K }, (_, c) => Float64Array.from({ length: n }, (_, i) => f!.u[i * K + c]));
  const r2u = (xs: Float64Array[]) => (K > 0 ? meanOver(xs.flatMap((x) => uCols.map((y) => r2(x, y)))) : null);
  return {
    rate: o.rate,
    n,
    retrieval: {
      common32: topOne(zs.slice(0, 3), n, dSim, 32),
      commonAll: topOne(zs.slice(0, 3), n, dSim, n),
      specific32: topOne(zs.slice(3), n, dSim, 32),
      specificAll: topOne(zs.slice(3), n, dSim, n),
      chance32: 1 / Math.min(32, n),
    },
    mi: meanOver([0, 1, 2].map((m) => heldOutGaussianMi(specific[m], common[m], n, d, half))),
    r2: f
      ? {
          sharedFromCommon: meanOver(common.map((x) => r2(x, f.s))),
          sharedFromSpecific: meanOver(specific.map((x) => r2(x, f.s))),
          privateFromCommon: meanOver(common.map((x, m) => r2(x, privateOf[m]))),
          privateFromSpecific: meanOver(specific.map((x, m) => r2(x, privateOf[m]))),
          contentFromCommon: r2u(common),
          contentFromSpecific: r2u(specific),
        }
      : null,
    gate: Array.from(gate, (v) => v / n),
    recon: { hat: hatSum / (6 * n), tilde: tildeSum / (6 * n) },
  };
}
