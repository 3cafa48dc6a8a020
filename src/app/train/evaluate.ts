// Robustness evaluation as in LNLN and DAR (docs/models.md §2.3, §3): the test split corrupted at each missing rate
// r ∈ {0.0, 0.1, …, 0.9} for all three modalities at once, with the masks of one fixed missing seed (1111) for every
// model, scored with MMSA's regression metrics. The uniform field is drawn once, so the masks are nested across rates
// and every batch of features is generated once and corrupted ten times.
// The inter-modality setting (DERL's): whole modalities absent (L, A, V, L+A, L+V, A+V), the others complete.

import { runtime } from '../../engine/engine';
import { noGrad, tidy, type Tensor } from '../../engine/tensor';
import { batchIndices } from '../data/loader';
import {
  applyMissing,
  EVAL_RATES,
  LNLN_EVAL_SEED,
  MissingField,
  type KeepMasks,
  type MissingOptions,
} from '../data/missing';
import type { Batch, Dataset, Split } from '../data/types';
import { regressionMetrics, type RegressionMetrics } from '../eval/metrics';
import { ProbeAccumulator, type PredictInspectable } from '../eval/probes';
import type { ModalityInputs, SentimentModel } from '../models/types';
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
 * DAR's decoupling probes (src/app/eval/probes.ts) read from evaluateRobustness's own passes instead of passes of
 * their own: at each of `rates` (each one of the evaluated rates; the first evaluated rate must be 0, whose pass gives
 * the complete input's encoding that ‖Ĥ − H‖ and ‖H̃ − H‖ compare with), over the split's first `subset` samples.
 * The same readings as probeDecoupling() at the same mask seed (docs/decisions/start-time.md).
 */
export interface EvalProbes {
  rates: readonly number[];
  subset: number;
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
  opts: EvaluateOptions & { probes?: EvalProbes } = {},
): Promise<(RateResult & { preds?: Float32Array; labels?: Float32Array; probe?: ProbeAccumulator })[]> {
  const op = 'evaluateRobustness';
  if (!rates.length) throw new RangeError(`${op}: no missing rates given`);
  const field = new MissingField(dataset.split(opts.split ?? 'test'), dataset.dims, maskSeed);
  const masks = rates.map((r) => field.masks(r, { keepSpecialTokens: opts.keepSpecialTokens }));
  let probing: Probing | null = null;
  if (opts.probes) {
    const { rates: at, subset } = opts.probes;
    if (!isPredictInspectable(model)) throw new TypeError(`${op}: probes need a model with predictInspect() (DAR)`);
    if (rates[0] !== 0) throw new RangeError(`${op}: probes need rate 0 first (the complete input), got ${rates[0]}`);
    const missing = at.filter((r) => !rates.includes(r));
    if (missing.length) throw new RangeError(`${op}: probe rates ${missing.join(', ')} are not evaluated`);
    const n = Math.min(subset, opts.subset ?? Infinity, dataset.split(opts.split ?? 'test').n);
    if (!(n >= 1)) throw new RangeError(`${op}: probes need at least one sample, got subset ${subset}`);
    probing = { model, n, accs: rates.map((r) => (at.includes(r) ? new ProbeAccumulator(n) : null)) };
  }
  const scored = await scoreBatches(op, model, dataset, masks.length, opts, maskRecorder(model, masks, probing));
  return rates.map((rate, k) => ({ rate, ...scored[k], ...(probing?.accs[k] ? { probe: probing.accs[k]! } : {}) }));
}

/** Which passes of maskRecorder also read the probes: masks[0] is the complete input; accs[k] collects mask k's. */
interface Probing {
  model: SentimentModel & PredictInspectable;
  n: number;
  accs: (ProbeAccumulator | null)[];
}

function isPredictInspectable(m: SentimentModel): m is SentimentModel & PredictInspectable {
  return typeof (m as unknown as Partial<PredictInspectable>).predictInspect === 'function';
}

/** Which modalities are absent in one condition of the inter-modality setting. */
export type ModalitySet = readonly ('text' | 'audio' | 'vision')[];

/** The six conditions with one or two whole modalities absent (L, A, V, L+A, L+V, A+V), DERL's inter-modality setting. */
export const MODALITY_DROPS: readonly ModalitySet[] = [
  ['text'],
  ['audio'],
  ['vision'],
  ['text', 'audio'],
  ['text', 'vision'],
  ['audio', 'vision'],
];

/** "L+A" style label of a set of absent modalities ("none" for the complete input). */
export function modalitySetLabel(absent: ModalitySet): string {
  const letter = { text: 'L', audio: 'A', vision: 'V' } as const;
  return absent.length ? absent.map((m) => letter[m]).join('+') : 'none';
}

export interface ModalityDropResult {
  /** The modalities that were absent (every position zero, [CLS]/[SEP] included). */
  absent: ModalitySet;
  label: string;
  metrics: RegressionMetrics;
  n: number;
}

/**
 * The inter-modality setting: predictions with whole modalities absent (all their positions zero, text's special
 * tokens too, and every text token marked dropped), the others complete, scored per condition.
 */
export async function evaluateModalityDrop(
  model: SentimentModel,
  dataset: Dataset,
  conditions: readonly ModalitySet[] = MODALITY_DROPS,
  opts: Omit<EvaluateOptions, 'keepSpecialTokens'> = {},
): Promise<ModalityDropResult[]> {
  if (!conditions.length) throw new RangeError('evaluateModalityDrop: no conditions given');
  const field = new MissingField(dataset.split(opts.split ?? 'test'), dataset.dims, LNLN_EVAL_SEED);
  const masks = conditions.map((absent) => {
    const r = (m: 'text' | 'audio' | 'vision') => (absent.includes(m) ? 1 : 0);
    // Rate 1 drops every position (keep iff u > r, u < 1); rate 0 keeps every valid one, whatever the field.
    return field.masks(
      { text: r('text'), audio: r('audio'), vision: r('vision') },
      { keepSpecialTokens: !absent.includes('text') },
    );
  });
  const op = 'evaluateModalityDrop';
  let record: BatchRecorder;
  if (isDropPredictor(model)) {
    // Every condition from two inputs: the complete one and the one with every modality absent (each modality's masks as
    // its conditions draw them: rate 0 with [CLS]/[SEP] kept, or rate 1 without).
    const all = field.masks({ text: 0, audio: 0, vision: 0 }, { keepSpecialTokens: true });
    const none = field.masks({ text: 1, audio: 1, vision: 1 }, { keepSpecialTokens: false });
    record = (complete) => ({
      ys: model.predictModalityDrops(
        lazyInputs(applyMissing(complete, all)),
        lazyInputs(applyMissing(complete, none)),
        conditions,
      ),
    });
  } else record = maskRecorder(model, masks, null);
  const scored = await scoreBatches(op, model, dataset, conditions.length, opts, record);
  return conditions.map((absent, k) => ({
    absent,
    label: modalitySetLabel(absent),
    metrics: scored[k].metrics,
    n: scored[k].n,
  }));
}

/** A model that predicts every condition of a batch from two encodings per modality (DAR's predictModalityDrops()). */
interface DropPredictor {
  predictModalityDrops(complete: ModalityInputs, none: ModalityInputs, conditions: readonly ModalitySet[]): Tensor[];
}

function isDropPredictor(m: SentimentModel): m is SentimentModel & DropPredictor {
  return typeof (m as unknown as Partial<DropPredictor>).predictModalityDrops === 'function';
}

/**
 * Records one batch's K predictions (each (B, 1)), and anything else to await before the batch counts as read (the
 * probes' readings). `at` is the batch's first sample.
 */
type BatchRecorder = (complete: Batch, at: number) => { ys: Tensor[]; wait?: Promise<unknown>[] };

/**
 * The batch's predictions under each set of keep masks, mask by mask. With `probing`, the probed masks' passes go
 * through predictInspect() for the probed samples, the complete input's encoding taken from masks[0]'s pass.
 */
function maskRecorder(model: SentimentModel, masks: readonly KeepMasks[], probing: Probing | null): BatchRecorder {
  return (complete, at) => {
    const B = complete.labels.length;
    const ys: Tensor[] = [];
    const wait: Promise<unknown>[] = [];
    const probed = probing && at < probing.n ? probing : null; // this batch holds probed samples
    let hc: Tensor | null = null; // the complete input's encoding, while it does
    try {
      for (let k = 0; k < masks.length; k++) {
        const x = lazyInputs(applyMissing(complete, masks[k]));
        const acc = probed ? probed.accs[k] : null;
        if (probed && (k === 0 || acc)) {
          const r = probed.model.predictInspect(x, hc);
          if (k === 0) hc = r.encoding.keep();
          else r.encoding.dispose();
          ys.push(r.pred);
          if (acc) wait.push(acc.addPass(r.readings, at, B));
          else for (const t of Object.values(r.readings)) t.dispose();
        } else ys.push(tidy(() => noGrad(() => model.predict(x))));
      }
    } finally {
      hc?.dispose(); // its last use is recorded; the GPU keeps what it needs until the work is done
    }
    return { ys, wait };
  };
}

/**
 * Scores K predictions per sample of the split (the first opts.subset samples) with MMSA's metrics: `record` makes
 * each batch's; one batch's read back is in flight while the next is recorded.
 */
async function scoreBatches(
  op: string,
  model: SentimentModel,
  dataset: Dataset,
  K: number,
  opts: Omit<EvaluateOptions, 'keepSpecialTokens'>,
  record: BatchRecorder,
): Promise<{ metrics: RegressionMetrics; n: number; preds?: Float32Array; labels?: Float32Array }[]> {
  const split = opts.split ?? 'test';
  const info = dataset.split(split);
  const n = Math.min(opts.subset ?? info.n, info.n);
  if (n < 1) throw new RangeError(`${op}: split '${split}' has no samples`);
  const preds = Array.from({ length: K }, () => new Float32Array(n));
  const labels = new Float32Array(n);
  const total = n * K;
  let done = 0;

  const wasTraining = model.training;
  model.eval();
  let pending: Promise<void> | null = null;
  try {
    let at = 0;
    for (const ix of batchIndices(n, opts.batchSize ?? 64)) {
      const complete = dataset.batch(split, ix);
      labels.set(complete.labels, at);
      const { ys, wait = [] } = record(complete, at);
      const offset = at;
      const B = ix.length;
      const job = Promise.all([Promise.all(ys.map((y) => y.toArray())), ...wait]).then(async ([ps]) => {
        ys.forEach((y, k) => {
          y.dispose();
          preds[k].set(ps[k].subarray(0, B), offset);
        });
        done += B * K;
        await opts.onProgress?.(done, total);
      });
      // The newest job is `pending` before the previous one is awaited, so when that one throws (a hook's
      // StopRequested) the finally below still catches the newest.
      const prev = pending;
      pending = job;
      if (prev) await prev;
      at += B;
    }
    if (pending) await pending;
  } finally {
    if (pending) await (pending as Promise<void>).catch(() => undefined);
    model.train(wasTraining);
  }
  await runtime().sync();
  return preds.map((p) => ({
    metrics: regressionMetrics(p, labels),
    n,
    ...(opts.returnPredictions ? { preds: p, labels } : {}),
  }));
}

/**
 * The constant predictor of the quality floor: always the mean training label (the best constant under MSE). Missing
 * data cannot affect it, so its metrics are the same at every rate (its Corr is NaN: a constant has no correlation).
 */
export function constantPredictorMetrics(
  dataset: Dataset,
  split: Split = 'test',
  subset?: number,
): { value: number; metrics: RegressionMetrics } {
  const train = dataset.split('train').labels;
  let s = 0;
  for (let i = 0; i < train.length; i++) s += train[i];
  const value = s / train.length;
  const truth = dataset.split(split).labels;
  const n = Math.min(subset ?? truth.length, truth.length);
  return { value, metrics: regressionMetrics(new Float32Array(n).fill(value), truth.subarray(0, n)) };
}
