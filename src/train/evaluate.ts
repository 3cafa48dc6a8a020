// Robustness evaluation as in LNLN and DAR (spec §2.3, §3): the test split corrupted at each missing rate
// r ∈ {0.0, 0.1, …, 0.9} for all three modalities at once, with the masks of one fixed missing seed (1111) for every
// model, scored with MMSA's regression metrics. The uniform field is drawn once, so the masks are nested across rates
// and every batch of features is generated once and corrupted ten times.

import { runtime } from '../engine';
import { noGrad, tidy } from '../tensor';
import { batchIndices } from '../data/loader';
import { applyMissing, EVAL_RATES, LNLN_EVAL_SEED, MissingField, type MissingOptions } from '../data/missing';
import type { Dataset, Split } from '../data/types';
import { regressionMetrics, type RegressionMetrics } from '../eval/metrics';
import type { SentimentModel } from '../models/types';
import { lazyInputs } from './batches';

export interface RateResult {
  rate: number;
  metrics: RegressionMetrics;
  /** Samples scored. */
  n: number;
}

export interface EvaluateOptions extends MissingOptions {
  /** Default 'test'. */
  split?: Split;
  /** Default 64. */
  batchSize?: number;
  /** Score only the first this-many samples of the split (default: all). */
  subset?: number;
  /** Called after each batch with the number of predictions done and planned (rates × samples). */
  onProgress?(done: number, total: number): void | Promise<void>;
  /** Also return the raw predictions per rate. */
  returnPredictions?: boolean;
}

/**
 * Predictions of `model` on the split corrupted at each rate (masks from `maskSeed`), scored per rate. The model is
 * put in eval mode and left in the mode it was in.
 */
export async function evaluateRobustness(
  model: SentimentModel,
  dataset: Dataset,
  rates: readonly number[] = EVAL_RATES,
  maskSeed: number = LNLN_EVAL_SEED,
  opts: EvaluateOptions = {},
): Promise<(RateResult & { preds?: Float32Array; labels?: Float32Array })[]> {
  const split = opts.split ?? 'test';
  const info = dataset.split(split);
  const n = Math.min(opts.subset ?? info.n, info.n);
  if (!rates.length) throw new RangeError('evaluateRobustness: no missing rates given');
  if (n < 1) throw new RangeError(`evaluateRobustness: split '${split}' has no samples`);
  const field = new MissingField(info, dataset.dims, maskSeed);
  const masks = rates.map((r) => field.masks(r, { keepSpecialTokens: opts.keepSpecialTokens }));
  const preds = rates.map(() => new Float32Array(n));
  const labels = new Float32Array(n);
  const plan = batchIndices(n, opts.batchSize ?? 64);
  const total = n * rates.length;
  let done = 0;

  const wasTraining = model.training;
  model.eval();
  let pending: Promise<void> | null = null;
  try {
    let at = 0;
    for (const ix of plan) {
      const complete = dataset.batch(split, ix);
      labels.set(complete.labels, at);
      for (let k = 0; k < rates.length; k++) {
        const x = lazyInputs(applyMissing(complete, masks[k]));
        const y = tidy(() => noGrad(() => model.predict(x)));
        const offset = at;
        const B = ix.length;
        const job = y.toArray().then(async (p) => {
          y.dispose();
          preds[k].set(p.subarray(0, B), offset);
          done += B;
          await opts.onProgress?.(done, total);
        });
        // One prediction in flight while the next is recorded.
        if (pending) await pending;
        pending = job;
      }
      at += ix.length;
    }
    if (pending) await pending;
  } finally {
    if (pending) await (pending as Promise<void>).catch(() => undefined);
    model.train(wasTraining);
  }
  await runtime().sync();
  return rates.map((rate, k) => ({
    rate,
    metrics: regressionMetrics(preds[k], labels),
    n,
    ...(opts.returnPredictions ? { preds: preds[k], labels } : {}),
  }));
}

/**
 * The constant predictor of the quality floor: always the mean training label (the best constant under MSE). Missing
 * data cannot affect it, so its metrics are the same at every rate (its Corr is NaN: a constant has no correlation).
 */
export function constantPredictorMetrics(dataset: Dataset, split: Split = 'test', subset?: number): { value: number; metrics: RegressionMetrics } {
  const train = dataset.split('train').labels;
  let s = 0;
  for (let i = 0; i < train.length; i++) s += train[i];
  const value = s / train.length;
  const truth = dataset.split(split).labels;
  const n = Math.min(subset ?? truth.length, truth.length);
  return { value, metrics: regressionMetrics(new Float32Array(n).fill(value), truth.subarray(0, n)) };
}
