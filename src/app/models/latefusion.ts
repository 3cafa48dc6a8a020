// A plain late-fusion baseline for the robustness comparison (issue 4's quality floor): each modality is encoded on
// its own and predicts the sentiment on its own; the final prediction is a learned weighted sum of the three.
//
// Per modality m, x_m (B, T_m, d_m):
//   u = Conv1d(T_m → t, kernel 1)(x_m)        (B, t, d_m)   learned mix over time (the T_m steps are the channels),
//                                                             the same resampling DAR's alignment layer starts with
//   h = GELU(Linear(d_m → d)(u))              (B, t, d)
//   z = mean_t h                              (B, d)
//   p_m = Linear(h → 1)(ReLU(Linear(d → h)(z)))   (B, 1)
// ŷ = Σ_m w_m · p_m + b, with w initialised to 1/3 and b to 0; loss = MSE(ŷ, y). Nothing else: no cross-modal
// interaction, no reconstruction, no use of the complete input, so it shows what the missing-data protocol costs a
// model that has no mechanism against it.

import { Conv1d } from '../../engine/nn/conv1d';
import { Linear, Module, parameter } from '../../engine/nn/module';
import { tensor, zeros } from '../../engine/creation';
import { gelu, relu } from '../../engine/ops/elementwise';
import { mseLoss } from '../../engine/ops/loss';
import { matmul } from '../../engine/ops/matmul';
import { mean } from '../../engine/ops/reduce';
import { concat } from '../../engine/ops/shape';
import { add } from '../../engine/ops/elementwise';
import { check } from '../../engine/errors';
import type { Tensor } from '../../engine/tensor';
import type { DatasetDims } from '../data/types';
import type { LossTerms, ModalityInputs, SentimentModel, TrainingBatch } from './types';

export interface LateFusionConfig {
  /** Sequence lengths and feature sizes of the three modalities. */
  readonly dims: DatasetDims;
  /** Resampled length t (default 8). */
  readonly t?: number;
  /** Encoder width d (default 32). */
  readonly d?: number;
  /** Hidden units of each modality's prediction MLP (default 32). */
  readonly hidden?: number;
  /** Seed of the initial weights (default 0); each layer gets its own seed derived from it. */
  readonly seed?: number;
}

const MODALITIES = ['text', 'audio', 'vision'] as const;

/** One modality's branch: resample over time, project, average, predict. */
class Branch extends Module {
  readonly resample: Conv1d;
  readonly proj: Linear;
  readonly fc1: Linear;
  readonly fc2: Linear;

  constructor(T: number, dIn: number, t: number, d: number, hidden: number, seed: number) {
    super();
    this.resample = new Conv1d(T, t, 1, { seed: seed + 1 });
    this.proj = new Linear(dIn, d, { seed: seed + 2 });
    this.fc1 = new Linear(d, hidden, { seed: seed + 3 });
    this.fc2 = new Linear(hidden, 1, { seed: seed + 4 });
  }

  /** x (B, T, d_in) → (B, 1). */
  forward(x: Tensor): Tensor {
    const u = this.resample.forward(x); //          (B, t, d_in)
    const h = gelu(this.proj.forward(u)); //        (B, t, d)
    const z = mean(h, 1); //                        (B, d)
    return this.fc2.forward(relu(this.fc1.forward(z))); // (B, 1)
  }
}

/** A late-fusion model's per-modality branch (LateFusion.text, .audio, .vision). */
export type { Branch as LateFusionBranch };

export class LateFusion extends Module implements SentimentModel {
  readonly kind = 'latefusion';
  readonly text: Branch;
  readonly audio: Branch;
  readonly vision: Branch;
  /** (3, 1): fusion weights of the text, audio and vision predictions. */
  readonly fusionWeight: Tensor;
  /** (1) */
  readonly fusionBias: Tensor;
  readonly config: Required<LateFusionConfig>;

  constructor(cfg: LateFusionConfig) {
    super();
    const c = { t: 8, d: 32, hidden: 32, seed: 0, ...cfg };
    for (const k of ['t', 'd', 'hidden'] as const) {
      check(Number.isInteger(c[k]) && c[k] > 0, 'LateFusion', `${k} must be a positive integer, got ${c[k]}`);
    }
    check(Number.isInteger(c.seed), 'LateFusion', `seed must be an integer, got ${c.seed}`);
    this.config = c;
    const base = (c.seed >>> 0) * 16;
    this.text = new Branch(c.dims.text.len, c.dims.text.dim, c.t, c.d, c.hidden, base);
    this.audio = new Branch(c.dims.audio.len, c.dims.audio.dim, c.t, c.d, c.hidden, base + 5);
    this.vision = new Branch(c.dims.vision.len, c.dims.vision.dim, c.t, c.d, c.hidden, base + 10);
    this.fusionWeight = parameter(tensor([1 / 3, 1 / 3, 1 / 3], [3, 1]));
    this.fusionBias = parameter(zeros([1]));
  }

  /** Per-modality predictions, each (B, 1), and the fused one. */
  private heads(x: ModalityInputs): { perModality: Tensor[]; fused: Tensor } {
    const perModality = MODALITIES.map((m) => this[m].forward(x[m]));
    const stacked = concat(perModality, 1); //                    (B, 3)
    const fused = add(matmul(stacked, this.fusionWeight), this.fusionBias); // (B, 1)
    return { perModality, fused };
  }

  losses(batch: TrainingBatch): LossTerms {
    const { fused } = this.heads(batch.corrupted);
    const task = mseLoss(fused, batch.labels);
    return { total: task, terms: { task }, pred: fused };
  }

  predict(x: ModalityInputs): Tensor {
    return this.heads(x).fused;
  }

  mainParameters(): [string, Tensor][] {
    return this.namedParameters();
  }
}

/** A factory for the trainer: a fresh LateFusion for the given dims and seed. */
export function lateFusion(dims: DatasetDims, opts: Omit<LateFusionConfig, 'dims'> = {}): (seed: number) => LateFusion {
  return (seed) => new LateFusion({ ...opts, dims, seed: opts.seed ?? seed });
}
