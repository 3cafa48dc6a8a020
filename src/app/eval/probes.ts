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
import type { ModalityInputs, ProbeReadings } from '../models/types';
import { heldOutGaussianMi, heldOutR2, topOne } from './probe-math';

/** What the probes need of a model: DAR's inspect() (src/app/models/dar/model.ts). */
export interface Inspectable {
  inspect(corrupted: ModalityInputs, complete: ModalityInputs): ProbeReadings;
}

/** What an evaluation that reads the probes from its own passes needs: DAR's predictInspect(). */
export interface PredictInspectable {
  predictInspect(
    x: ModalityInputs,
    complete: Tensor | null,
  ): { pred: Tensor; encoding: Tensor; readings: ProbeReadings };
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
   * Samples per inspect() pass (default 32). Larger batches mean fewer passes and readbacks; the numbers do not
   * change, as every output is per sample and the sums run in blocks of 32 samples whatever the passes.
   */
  batchSize?: number;
}

/** The block of samples the norms are summed over before joining the total (the original batch: same rounding). */
const SUM_BLOCK = 32;

const six = (size: number) => Array.from({ length: 6 }, () => new Float64Array(size));

/**
 * The readings of one probe (one split, one rate), gathered pass by pass in any order and any pass size, and the
 * probe computed from them (result()). Every number depends only on the samples, not on how passes cut them.
 */
export class ProbeAccumulator {
  private z: Float64Array[] = []; //                                         z[g] (n, d), d from the first pass
  private d = 0;
  private zs: Float64Array[] | null = null; //                               zSim[g] (n, dSim), when the model gives it
  private dSim = 0;
  private readonly gate: Float64Array[]; //                                  gate[g] (n): per sample
  private readonly hatErr: Float64Array[];
  private readonly tildeErr: Float64Array[];
  private filled = 0;

  constructor(readonly n: number) {
    this.gate = six(n);
    this.hatErr = six(n);
    this.tildeErr = six(n);
  }

  /** Reads back a pass's readings (and disposes them) into samples [at, at + B ∩ n). */
  async addPass(out: ProbeReadings, at: number, B: number): Promise<void> {
    const [zb, gb, he, te] = await Promise.all([out.z, out.gate, out.hatErr, out.tildeErr].map((t) => t.toArray()));
    const zsb = out.zSim ? await out.zSim.toArray() : null;
    for (const t of Object.values(out)) t.dispose();
    const take = Math.min(B, this.n - at); // a pass may run past the probe's subset
    if (take <= 0) return;
    if (!this.d) {
      this.d = zb.length / (6 * B);
      this.z = six(this.n * this.d);
    }
    const d = this.d;
    if (zsb) {
      const dSim = zsb.length / (6 * B);
      if (!this.zs) {
        this.dSim = dSim;
        this.zs = six(this.n * dSim);
      }
      for (let g = 0; g < 6; g++) this.zs[g].set(zsb.subarray(g * B * dSim, g * B * dSim + take * dSim), at * dSim);
    }
    for (let g = 0; g < 6; g++) {
      this.z[g].set(zb.subarray(g * B * d, g * B * d + take * d), at * d);
      this.gate[g].set(gb.subarray(g * B, g * B + take), at);
      this.hatErr[g].set(he.subarray(g * B, g * B + take), at);
      this.tildeErr[g].set(te.subarray(g * B, g * B + take), at);
    }
    this.filled += take;
  }

  /**
   * The sum of a per-sample reading over the six groups: per block of SUM_BLOCK samples, the groups' values in
   * (group, sample) order, the blocks' sums then added up in order (the rounding of the probes' original 32-sample
   * passes, whatever the passes now are).
   */
  private blockSum(x: Float64Array[]): number {
    let total = 0;
    for (let b0 = 0; b0 < this.n; b0 += SUM_BLOCK) {
      const b1 = Math.min(this.n, b0 + SUM_BLOCK);
      let s = 0;
      for (let g = 0; g < 6; g++) for (let i = b0; i < b1; i++) s += x[g][i];
      total += s;
    }
    return total;
  }

  /** The probe at `rate` from every sample's readings (throws unless all n samples were added). */
  result(rate: number, factors: PlantedFactors | null | undefined): DecouplingProbe {
    const { n, d, z } = this;
    if (this.filled !== n) throw new Error(`probes: ${this.filled} of ${n} samples read`);
    const zs = this.zs ?? z; // what L_sim compares; the time means when the model gives no zSim
    const dSim = this.zs ? this.dSim : d;
    const common = [0, 1, 2].map((g) => z[g]);
    const specific = [3, 4, 5].map((g) => z[g]);
    const half = Math.floor(n / 2);
    const f = factors;
    const privateOf = f ? [f.zText, f.zVision, f.zAudio] : []; // modality order l, v, a
    const meanOver = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const r2 = (x: Float64Array, y: Float64Array) => heldOutR2(x, y.subarray(0, n), n, d, half);
    const K = f?.contentDim ?? 0;
    const uCols = Array.from({ length: K }, (_, c) => Float64Array.from({ length: n }, (_, i) => f!.u[i * K + c]));
    const r2u = (xs: Float64Array[]) => (K > 0 ? meanOver(xs.flatMap((x) => uCols.map((y) => r2(x, y)))) : null);
    const gateSum = (g: Float64Array) => g.reduce((a, b) => a + b, 0);
    return {
      rate,
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
      gate: this.gate.map((g) => gateSum(g) / n),
      recon: { hat: this.blockSum(this.hatErr) / (6 * n), tilde: this.blockSum(this.tildeErr) / (6 * n) },
    };
  }
}

/** The probes of `model` on `dataset` (see the top of this file). */
export async function probeDecoupling(model: Inspectable, dataset: Dataset, o: ProbeOptions): Promise<DecouplingProbe> {
  const split = o.split ?? 'valid';
  const info = dataset.split(split);
  const n = Math.min(o.subset ?? info.n, info.n);
  const masks = new MissingField(info, dataset.dims, o.maskSeed).masks(o.rate, { keepSpecialTokens: true });
  const batchSize = o.batchSize ?? SUM_BLOCK;
  if (!(Number.isInteger(batchSize) && batchSize > 0))
    throw new RangeError(`probeDecoupling: batchSize must be a positive integer, got ${batchSize}`);
  const acc = new ProbeAccumulator(n);
  let at = 0;
  for (const ix of batchIndices(n, batchSize)) {
    const complete = dataset.batch(split, ix);
    await acc.addPass(model.inspect(lazyInputs(applyMissing(complete, masks)), lazyInputs(complete)), at, ix.length);
    at += ix.length;
  }
  return acc.result(o.rate, o.factors);
}
