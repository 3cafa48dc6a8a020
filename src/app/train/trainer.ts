// The training loop for sentiment models (DAR, the late-fusion baseline, anything implementing SentimentModel), run in
// the page on WebGPU. It follows docs/models.md §2.4, §3.2 and §6.7:
//
//   per epoch:  shuffle the training split (seeded by seed and epoch; optionally a random subset of it)
//               corrupt it with LNLN's protocol at a constant rate k for every sample and modality (MOSI 0.3), the
//               missing seed being the training seed — or LNLN's half-complete per-sample rates, redrawn each epoch
//   per step:   model.auxiliaryStep(batch, cache) (DAR's CLUB estimator, its own optimizer), then model.losses(batch, cache)
//               (the cache carries what both need: DAR's encodings),
//               backward of `total`, optional gradient clipping, AdamW on mainParameters() with warm-up + cosine
//   after each epoch: L_total on the validation split corrupted at k with a fixed mask seed (eval mode, no tape);
//               the epoch with the smallest validation L_total is the model kept (docs/models.md §3.2: "the same model
//               with the smallest overall loss"; a model may define the quantity compared, `selectionLoss`, as DAR does
//               to leave out its CLUB estimate); early stop after `patience` epochs without improvement.
//
// Every step runs inside tidy(), so the batch tensors, activations and gradients are freed with it; all model
// gradients are dropped after each step (DAR's CLUB estimator gets gradients from L_total that the main optimizer
// does not own). The loss terms of a step are copied into one small tensor on the GPU and read back while the next
// step is being recorded (one step of lag, so the loop never waits for the GPU between steps yet the loss is checked
// every step): a NaN or infinite term stops training with a TrainingDiverged error naming the epoch, the step and the
// term, and carrying the last good checkpoint. Checkpoints (safetensors bytes: parameters, optimizer state and a JSON
// `meta` with the position in training) are handed to `hooks.onCheckpoint`: 'best' on every improvement, 'last' after
// every epoch; resuming from one continues at the next epoch with the same step count, learning rate schedule,
// shuffling, masks and optimizer state.
//
// This file holds the API (options, hooks, results, errors) and trainModel's outline; the run itself, step by step,
// is ./run.ts (TrainingRun), and its missing-data masks ./masks.ts.

import { runtime } from '../../engine/engine';
import { noGrad, tidy, empty, type Tensor } from '../../engine/tensor';
import { AdamW } from '../../engine/optim/adam';
import type { Optimizer } from '../../engine/optim/optimizer';
import { parseSafetensors } from '../../engine/io/safetensors';
import { applyMissing, type KeepMasks } from '../data/missing';
import type { Dataset } from '../data/types';
import { regressionMetrics, type RegressionMetrics } from '../eval/metrics';
import type { LossTerms, ProbeReadings, SentimentModel } from '../models/types';
import type { ProbeAccumulator } from '../eval/probes';
import { lazyTrainingBatch } from './batches';
import { TrainingRun, type ResolvedOptions } from './run';

export interface TrainOptions {
  /** Training seed (1111, 1112, 1113 in the papers): model initialisation (via the factory), shuffling, masks. */
  seed: number;
  epochs: number;
  /** Default 32. */
  batchSize?: number;
  /** Peak learning rate of AdamW (default 1e-4, the paper's; small models on few epochs want more). */
  lr?: number;
  /** AdamW's decoupled weight decay (default 1e-4). */
  weightDecay?: number;
  /**
   * Learning-rate multipliers by parameter-name prefix (torch's param groups): `{ 'bert.': 10 }` trains a from-scratch
   * BERT at 10× the rest (the first matching prefix applies; default 1 for every parameter).
   */
  lrScales?: Readonly<Record<string, number>>;
  /** Share of all steps spent in linear warm-up (default 0.1: LNLN's 20 of 200 epochs). */
  warmupFraction?: number;
  /** The learning rate the cosine ends at, as a fraction of `lr` (default 0.01). */
  minLrFraction?: number;
  /** Clip the global gradient norm of the main parameters to this (default none). */
  clipNorm?: number | null;
  /** Training missing rate k, constant for every sample and modality (default 0.3, DAR on MOSI). */
  trainMissingRate?: number;
  /** LNLN's training corruption instead: per modality r_i ~ U(0, 1), half the samples complete, redrawn per epoch. */
  halfComplete?: boolean;
  /**
   * 'fixed' (default): the uniform field u comes from the training seed every epoch, as in LNLN (with a constant rate
   * the same positions drop in every epoch); 'fresh': a new field per epoch (seed derived from seed and epoch).
   */
  missingField?: 'fixed' | 'fresh';
  /** Validation missing rate (default: the training rate k) and mask seed (default: the training seed). */
  validMissingRate?: number;
  validMaskSeed?: number;
  /** Keep LNLN's always-kept [CLS]/[SEP] (default true). */
  keepSpecialTokens?: boolean;
  /** Train on a random subset of this many training samples per epoch (default: all). */
  trainSubset?: number;
  /** Validate on the first this-many validation samples (default: all). */
  validSubset?: number;
  /** Stop after this many epochs without a validation improvement (default: never). */
  patience?: number;
  /** Progress callback every this many steps (default 1). */
  progressEvery?: number;
  /** Checkpoint bytes to continue from (a 'last' or 'best' checkpoint of the same model and options). */
  resume?: Uint8Array;
  /** The best checkpoint of the run being resumed, when `resume` is a later 'last' one. */
  resumeBest?: Uint8Array;
  /** Anything JSON to store in every checkpoint's meta (model config, dataset, ...). */
  meta?: Record<string, unknown>;
}

export interface StepContext {
  epoch: number;
  step: number;
  globalStep: number;
  model: SentimentModel;
  optimizer: Optimizer;
}

export interface TrainProgress {
  seed: number;
  /** 1-based. */
  epoch: number;
  epochs: number;
  /** Steps done in this epoch (1-based) and per epoch. */
  step: number;
  stepsPerEpoch: number;
  /** Steps done in total (including those before a resume) and planned in total. */
  globalStep: number;
  totalSteps: number;
  /** This step's loss terms: `total` first, then the model's terms, then those of auxiliaryStep. */
  terms: Record<string, number>;
  lr: number;
  samplesPerSec: number;
  /** Seconds left for this training run (remaining steps and validations at the speed so far). */
  etaSec: number;
  elapsedSec: number;
}

export interface EpochSummary {
  seed: number;
  epoch: number;
  epochs: number;
  globalStep: number;
  /** Means over the epoch's steps. */
  train: Record<string, number>;
  /** Validation loss terms (means over samples) and metrics of the predictions. */
  valid: Record<string, number>;
  validMetrics: RegressionMetrics;
  improved: boolean;
  bestEpoch: number;
  bestValidLoss: number;
  lr: number;
  seconds: number;
  /** Of which training steps (the run's first epoch: with compileSeconds), validation, probes and checkpoints. */
  trainSeconds: number;
  validSeconds: number;
  /** Compiling the first step's kernels ahead (./compile-ahead.ts): the run's first epoch only, else 0. */
  compileSeconds: number;
  /** hooks.probe (0 without it) and the checkpoint (serialised and handed to hooks.onCheckpoint). */
  probeSeconds: number;
  checkpointSeconds: number;
  /** Training samples per second of this epoch's steps. */
  samplesPerSec: number;
  /** GPU memory after the epoch (everything of the epoch freed): flat from epoch to epoch. */
  memory: { liveBuffers: number; liveBytes: number };
  /** What hooks.probe returned after this epoch (DAR: src/app/eval/probes.ts), if anything. */
  probes?: unknown;
}

export interface CheckpointInfo {
  seed: number;
  /** 'best': a new minimum of the validation loss; 'last': the end of an epoch (both at once when it improved). */
  kinds: ('best' | 'last')[];
  epoch: number;
  globalStep: number;
  validLoss: number;
  bytes: Uint8Array;
}

export interface TrainHooks {
  onProgress?(p: TrainProgress): void | Promise<void>;
  onEpoch?(e: EpochSummary): void | Promise<void>;
  /**
   * Runs after each epoch's validation, before onEpoch; what it returns goes into the summary's `probes`. With a model
   * that has lossesInspect() (DAR), `read` holds the decoupling probes' readings of that validation pass (its masks,
   * every validation sample): the hook can score them instead of running passes of its own.
   */
  probe?(model: SentimentModel, epoch: number, read?: ProbeAccumulator): Promise<unknown>;
  /** Awaited: the trainer waits until the bytes are stored. */
  onCheckpoint?(c: CheckpointInfo): void | Promise<void>;
  /** Runs inside each step's tidy before the forward pass, after the schedule set the learning rate. */
  beforeStep?(ctx: StepContext): void;
  /**
   * With this hook, the kernels of a step are compiled before the run's first step, reporting (done, total) as they
   * finish (./compile-ahead.ts); without it they compile during that step, silently.
   */
  onCompile?(done: number, total: number): void;
}

export interface TrainResult {
  /** The model with the best epoch's weights loaded, in eval mode. The caller disposes it (and the optimizer). */
  model: SentimentModel;
  optimizer: Optimizer;
  seed: number;
  bestEpoch: number;
  bestValidLoss: number;
  /** Checkpoint bytes of the best epoch. */
  best: Uint8Array;
  /** Epochs completed (including those before a resume). */
  epochsRun: number;
  globalStep: number;
  stoppedEarly: boolean;
  /** The epoch training continued after, when resumed (0 otherwise). */
  resumedFrom: number;
  history: EpochSummary[];
  seconds: number;
}

/** Training stopped because a loss term was NaN or infinite. */
export class TrainingDiverged extends Error {
  override name = 'TrainingDiverged';
  constructor(
    readonly seed: number,
    readonly epoch: number,
    readonly step: number,
    readonly globalStep: number,
    readonly term: string,
    readonly value: number,
    /** The last checkpoint written before the failure, if any (its weights are finite). */
    readonly lastGood: { epoch: number; bytes: Uint8Array } | null,
    where = 'training',
  ) {
    super(
      `${where} diverged (seed ${seed}): loss term '${term}' is ${value} at epoch ${epoch}, step ${step} (global step ${globalStep}); stopped. ` +
        (lastGood
          ? `The last good checkpoint is from epoch ${lastGood.epoch}.`
          : 'No checkpoint was written before it.'),
    );
  }
}

export const CHECKPOINT_META_FORMAT = 'webgrad-train/1';

/** What a trainer checkpoint's meta holds (plus the caller's `meta`). */
export interface TrainCheckpointMeta {
  format: typeof CHECKPOINT_META_FORMAT;
  model: string;
  /** The model's `config` (enough to rebuild it: see loadModel in src/app/models/registry.ts). */
  modelConfig: unknown;
  dataset: string;
  seed: number;
  /** Epochs completed. */
  epoch: number;
  globalStep: number;
  validLoss: number;
  bestEpoch: number;
  bestValidLoss: number;
  sinceBest: number;
  options: Record<string, unknown>;
  [k: string]: unknown;
}

function checkOptions(o: TrainOptions, ds: Dataset) {
  const bad = (what: string, v: unknown) => {
    throw new RangeError(`trainModel: ${what}, got ${JSON.stringify(v)}`);
  };
  if (!Number.isInteger(o.seed)) bad('seed must be an integer', o.seed);
  if (!Number.isInteger(o.epochs) || o.epochs < 1) bad('epochs must be a positive integer', o.epochs);
  const posInt = ['batchSize', 'trainSubset', 'validSubset', 'patience', 'progressEvery'] as const;
  for (const k of posInt)
    if (o[k] !== undefined && (!Number.isInteger(o[k]) || o[k]! < 1)) bad(`${k} must be a positive integer`, o[k]);
  if (o.lr !== undefined && !(o.lr > 0 && Number.isFinite(o.lr))) bad('lr must be a finite number > 0', o.lr);
  for (const [k, v] of Object.entries(o.lrScales ?? {}))
    if (!(v > 0 && Number.isFinite(v))) bad(`lrScales['${k}'] must be a finite number > 0`, v);
  for (const k of ['trainMissingRate', 'validMissingRate', 'warmupFraction', 'minLrFraction'] as const) {
    const v = o[k];
    if (v !== undefined && !(v >= 0 && v <= 1)) bad(`${k} must be in [0, 1]`, v);
  }
  if (o.trainMissingRate === 1) bad('trainMissingRate must be < 1 (nothing would be left)', 1);
  if (ds.sizes.train < 1 || ds.sizes.valid < 1) bad('the dataset needs training and validation samples', ds.sizes);
}

/**
 * Trains a fresh model from `factory(seed)` on `dataset` and returns it with the weights of its best epoch. Throws
 * TrainingDiverged on a NaN/Inf loss (after freeing the model and optimizer). The steps are in ./run.ts.
 */
export async function trainModel(
  factory: (seed: number) => SentimentModel,
  dataset: Dataset,
  opts: TrainOptions,
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  checkOptions(opts, dataset);
  const o = withDefaults(opts);
  const t0 = performance.now();
  const model = factory(o.seed);
  const scales = Object.entries(o.lrScales ?? {});
  const lrScale = (name: string) => scales.find(([prefix]) => name.startsWith(prefix))?.[1] ?? 1;
  const optimizer = new AdamW(model.mainParameters(), { lr: o.lr, weightDecay: o.weightDecay, lrScale });
  try {
    const run = new TrainingRun(o, dataset, model, optimizer, hooks);
    if (o.resume) run.resume(o.resume, o.resumeBest);
    run.start();
    let stoppedEarly = false;
    for (let epoch = run.startEpoch; epoch < o.epochs && !stoppedEarly; epoch++)
      stoppedEarly = !(await run.epoch(epoch));
    return await run.finish(stoppedEarly, t0);
  } catch (e) {
    model.zeroGrad();
    optimizer.dispose();
    model.dispose();
    throw e;
  }
}

/** The options with their defaults. */
function withDefaults(opts: TrainOptions): ResolvedOptions {
  return {
    batchSize: 32,
    lr: 1e-4,
    weightDecay: 1e-4,
    warmupFraction: 0.1,
    minLrFraction: 0.01,
    clipNorm: null,
    trainMissingRate: 0.3,
    halfComplete: false,
    missingField: 'fixed',
    keepSpecialTokens: true,
    patience: Infinity,
    progressEvery: 1,
    ...opts,
  };
}

/** The caller's meta of a checkpoint (for a trainer checkpoint: TrainCheckpointMeta), without loading it. */
export function checkpointMeta(bytes: Uint8Array): Record<string, unknown> {
  const md = parseSafetensors(bytes).metadata['webgrad.meta'];
  return md === undefined ? {} : (JSON.parse(md) as Record<string, unknown>);
}

/**
 * Mean loss terms (weighted by batch size) and metrics of the predictions on a corrupted split, in eval mode. With
 * `probe` (a model with lossesInspect()), the same passes also fill it with the decoupling probes' readings.
 */
export async function validate(
  model: SentimentModel,
  dataset: Dataset,
  masks: KeepMasks,
  plan: Int32Array[],
  split: 'valid' | 'test' | 'train' = 'valid',
  probe?: ProbeAccumulator,
): Promise<{ terms: Record<string, number>; metrics: RegressionMetrics; preds: Float32Array; labels: Float32Array }> {
  if (probe && !model.lossesInspect) throw new TypeError('validate: probes need a model with lossesInspect() (DAR)');
  const rt = runtime();
  const wasTraining = model.training;
  model.eval();
  const n = plan.reduce((s, b) => s + b.length, 0);
  const preds = new Float32Array(n);
  const labels = new Float32Array(n);
  const sums = new Map<string, number>();
  let at = 0;
  let pending: Promise<void> | null = null;
  try {
    for (const ix of plan) {
      const complete = dataset.batch(split, ix);
      const corrupted = applyMissing(complete, masks);
      const batch = lazyTrainingBatch(complete, corrupted);
      const B = ix.length;
      let readings: ProbeReadings | null = null;
      const [row, pred, names] = tidy(() =>
        noGrad(() => {
          let out: LossTerms;
          if (probe) {
            const both = model.lossesInspect!(batch);
            out = both.losses;
            readings = both.readings;
            for (const t of Object.values(readings)) t.keep(); // read back (and freed) by the probe below
          } else out = model.losses(batch);
          const scalars: [string, Tensor][] = [['total', out.total], ...Object.entries(out.terms)];
          const r = empty([scalars.length]).keep();
          scalars.forEach(([, t], i) => rt.copy(t.buffer, r.buffer, 4, 0, 4 * i));
          return [r, out.pred.keep(), scalars.map(([k]) => k)] as const;
        }),
      );
      labels.set(complete.labels, at);
      const offset = at;
      at += B;
      const read = readings ? probe!.addPass(readings, offset, B) : null;
      const job = Promise.all([row.toArray(), pred.toArray(), read]).then(([v, p]) => {
        row.dispose();
        pred.dispose();
        names.forEach((k, i) => sums.set(k, (sums.get(k) ?? 0) + v[i] * B));
        preds.set(p.subarray(0, B), offset);
      });
      if (pending) await pending;
      pending = job;
    }
    if (pending) await pending;
  } finally {
    model.train(wasTraining);
  }
  const terms: Record<string, number> = {};
  for (const [k, v] of sums) terms[k] = v / n;
  return { terms, metrics: regressionMetrics(preds, labels), preds, labels };
}
