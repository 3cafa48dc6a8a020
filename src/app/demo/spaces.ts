// The GPU side of the demo's 3D view: a model's decoupled spaces (common and specific features per modality, from
// SentimentModel.decoupled) on a few hundred test samples at any missing rate, projected onto 3 principal components
// computed with webgrad (src/app/eval/pca.ts). The components are fitted once, on the complete inputs (rate 0), and
// kept: moving the missing-rate slider then moves the points within one fixed frame, so what moves is the features,
// not the axes.

import { noGrad, tidy, type Tensor } from '../../engine/tensor';
import { concat, reshape } from '../../engine/ops/shape';
import { applyMissing } from '../data/missing';
import type { Dataset } from '../data/types';
import { fitPca, projectPca, type PcaFit } from '../eval/pca';
import type { SentimentModel } from '../models/types';
import { lazyInputs } from '../train/index';
import type { ProbeMasks } from './session';

/** Samples per forward pass: bounds the activations held at once (DAR on MOSI-sized inputs). */
const CHUNK = 64;

export type SpaceName = 'common' | 'specific';
export const SPACES: readonly SpaceName[] = ['common', 'specific'];

/** One missing rate's points: per space, (3·S, 3) coordinates, modality-major (all text rows, then vision, audio). */
export interface SpacePoints {
  rate: number;
  coords: Record<SpaceName, Float32Array>;
}

export class DecoupledSpaces {
  private constructor(
    private readonly model: SentimentModel & Required<Pick<SentimentModel, 'decoupled'>>,
    private readonly dataset: Dataset,
    private readonly masks: ProbeMasks,
    /** The test samples drawn, evenly spaced over the split. */
    readonly indices: number[],
    /** Their labels (sentiment in [−3, 3]). */
    readonly labels: Float32Array,
    private readonly fits: Record<SpaceName, PcaFit>,
    /** Per space, 1 / the largest |coordinate| at rate 0: the complete inputs fill the unit cube. */
    readonly scale: Record<SpaceName, number>,
  ) {}

  /** Whether the 3D view can show this model (it must expose its decoupled spaces: DAR does). */
  static supports(model: SentimentModel): boolean {
    return typeof model.decoupled === 'function';
  }

  /** Fits the principal components of both spaces on `samples` test samples of `dataset` at rate 0. */
  static async fit(
    model: SentimentModel,
    dataset: Dataset,
    masks: ProbeMasks,
    samples = 240,
  ): Promise<DecoupledSpaces> {
    if (!model.decoupled) throw new Error(`the ${model.kind} model has no decoupled spaces to draw`);
    const N = dataset.sizes.test;
    const k = Math.min(samples, N);
    const indices = Array.from({ length: k }, (_, i) => Math.floor((i * N) / k));
    const labels = dataset.batch('test', indices).labels.slice();
    const m = model as SentimentModel & Required<Pick<SentimentModel, 'decoupled'>>;
    const feats = features(m, dataset, masks, indices, 0);
    try {
      const fits = {} as Record<SpaceName, PcaFit>;
      const scale = {} as Record<SpaceName, number>;
      for (const s of SPACES) {
        fits[s] = await fitPca(feats[s], 3);
        const p = projectPca(fits[s], feats[s]);
        const xyz = await p.toArray();
        p.dispose();
        scale[s] = 1 / Math.max(1e-12, ...xyz.map(Math.abs));
      }
      return new DecoupledSpaces(m, dataset, masks, indices, labels, fits, scale);
    } finally {
      for (const s of SPACES) feats[s].dispose();
    }
  }

  /** The points of both spaces with every modality missing at `rate` (LNLN's evaluation masks), scaled. */
  async at(rate: number): Promise<SpacePoints> {
    const feats = features(this.model, this.dataset, this.masks, this.indices, rate);
    const coords = {} as Record<SpaceName, Float32Array>;
    try {
      for (const s of SPACES) {
        const p = projectPca(this.fits[s], feats[s]);
        coords[s] = (await p.toArray()).map((v) => v * this.scale[s]);
        p.dispose();
      }
    } finally {
      for (const s of SPACES) feats[s].dispose();
    }
    return { rate, coords };
  }

  /** Variance along each component, per space (what the axes of the picture explain). */
  variances(s: SpaceName): number[] {
    return this.fits[s].variances;
  }

  dispose(): void {
    for (const s of SPACES) this.fits[s].dispose();
  }
}

/** Both spaces' features of the samples at `rate`, as (3·S, d) rows: modality-major. */
function features(
  model: SentimentModel & Required<Pick<SentimentModel, 'decoupled'>>,
  dataset: Dataset,
  masks: ProbeMasks,
  indices: number[],
  rate: number,
): Record<SpaceName, Tensor> {
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() =>
      tidy(() => {
        const parts: Record<SpaceName, Tensor[]> = { common: [], specific: [] };
        const keep = masks.masks(rate);
        for (let i = 0; i < indices.length; i += CHUNK) {
          const batch = dataset.batch('test', indices.slice(i, i + CHUNK));
          const out = model.decoupled(lazyInputs(applyMissing(batch, keep))); // (3, b, d) each
          parts.common.push(out.common);
          parts.specific.push(out.specific);
        }
        const rows = (xs: Tensor[]) => {
          const all = xs.length === 1 ? xs[0] : concat(xs, 1); // (3, S, d)
          return reshape(all, [all.shape[0] * all.shape[1], all.shape[2]]);
        };
        return { common: rows(parts.common), specific: rows(parts.specific) };
      }),
    );
  } finally {
    model.train(wasTraining);
  }
}
