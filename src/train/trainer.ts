// The training loop for sentiment models (DAR, the late-fusion baseline, anything implementing SentimentModel), run in
// the page on WebGPU. It follows spec §2.4, §3.2 and §6.7:
//
//   per epoch:  shuffle the training split (seeded by seed and epoch; optionally a random subset of it)
//               corrupt it with LNLN's protocol at a constant rate k for every sample and modality (MOSI 0.3), the
//               missing seed being the training seed — or LNLN's half-complete per-sample rates, redrawn each epoch
//   per step:   model.auxiliaryStep(batch, cache) (DAR's CLUB estimator, its own optimizer), then model.losses(batch, cache)
//               (the cache carries what both need: DAR's encodings),
//               backward of `total`, optional gradient clipping, AdamW on mainParameters() with warm-up + cosine
//   after each epoch: L_total on the validation split corrupted at k with a fixed mask seed (eval mode, no tape);
//               the epoch with the smallest validation L_total is the model kept (spec §3.2: "the same model with
//               the smallest overall loss"; a model may define the quantity compared, `selectionLoss`, as DAR does to
//               leave out its CLUB estimate); early stop after `patience` epochs without improvement.
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

import { runtime } from '../engine';
import { noGrad, tidy, empty, type Tensor } from '../tensor';
import { AdamW } from '../optim/adam';
import { clipGradNorm } from '../optim/clip';
import { cosineSchedule } from '../optim/schedule';
import type { Optimizer } from '../optim/optimizer';
import { loadCheckpoint, saveCheckpoint } from '../io/checkpoint';
import { parseSafetensors } from '../io/safetensors';
import { batchIndices } from '../data/loader';
import { applyMissing, epochMissingSeed, HalfCompleteRates, MissingField, type KeepMasks } from '../data/missing';
import type { Dataset } from '../data/types';
import { regressionMetrics, type RegressionMetrics } from '../eval/metrics';
import type { SentimentModel, StepCache } from '../models/types';
import { lazyTrainingBatch } from './batches';

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
  /** Of which training steps and validation. */
  trainSeconds: number;
  validSeconds: number;
  /** Training samples per second of this epoch's steps. */
  samplesPerSec: number;
  /** GPU memory after the epoch (everything of the epoch freed): flat from epoch to epoch. */
  memory: { liveBuffers: number; liveBytes: number };
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
  /** Awaited: the trainer waits until the bytes are stored. */
  onCheckpoint?(c: CheckpointInfo): void | Promise<void>;
  /** Runs inside each step's tidy before the forward pass, after the schedule set the learning rate. */
  beforeStep?(ctx: StepContext): void;
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
        (lastGood ? `The last good checkpoint is from epoch ${lastGood.epoch}.` : 'No checkpoint was written before it.'),
    );
  }
}

export const CHECKPOINT_META_FORMAT = 'webgrad-train/1';

/** What a trainer checkpoint's meta holds (plus the caller's `meta`). */
export interface TrainCheckpointMeta {
  format: typeof CHECKPOINT_META_FORMAT;
  model: string;
  /** The model's `config` (enough to rebuild it: see loadModel in src/models/registry.ts). */
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

/** The options that must not change across a resume (they define the schedule, the data order or the masks). */
const RESUME_KEYS = ['seed', 'epochs', 'batchSize', 'lr', 'weightDecay', 'warmupFraction', 'minLrFraction', 'trainMissingRate',
  'halfComplete', 'missingField', 'trainSubset'] as const;

const now = () => performance.now();

/** splitmix-style hash of (seed, epoch) → the shuffle seed of that epoch. */
function epochShuffleSeed(seed: number, epoch: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 0x632be5ab, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

function checkOptions(o: TrainOptions, ds: Dataset) {
  const bad = (what: string, v: unknown) => {
    throw new RangeError(`trainModel: ${what}, got ${JSON.stringify(v)}`);
  };
  if (!Number.isInteger(o.seed)) bad('seed must be an integer', o.seed);
  if (!Number.isInteger(o.epochs) || o.epochs < 1) bad('epochs must be a positive integer', o.epochs);
  const posInt = ['batchSize', 'trainSubset', 'validSubset', 'patience', 'progressEvery'] as const;
  for (const k of posInt) if (o[k] !== undefined && (!Number.isInteger(o[k]) || o[k]! < 1)) bad(`${k} must be a positive integer`, o[k]);
  if (o.lr !== undefined && !(o.lr > 0 && Number.isFinite(o.lr))) bad('lr must be a finite number > 0', o.lr);
  for (const k of ['trainMissingRate', 'validMissingRate', 'warmupFraction', 'minLrFraction'] as const) {
    const v = o[k];
    if (v !== undefined && !(v >= 0 && v <= 1)) bad(`${k} must be in [0, 1]`, v);
  }
  if (o.trainMissingRate === 1) bad('trainMissingRate must be < 1 (nothing would be left)', 1);
  if (ds.sizes.train < 1 || ds.sizes.valid < 1) bad('the dataset needs training and validation samples', ds.sizes);
}

/**
 * Trains a fresh model from `factory(seed)` on `dataset` and returns it with the weights of its best epoch. Throws
 * TrainingDiverged on a NaN/Inf loss (after freeing the model and optimizer).
 */
export async function trainModel(
  factory: (seed: number) => SentimentModel,
  dataset: Dataset,
  opts: TrainOptions,
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  checkOptions(opts, dataset);
  const o = {
    batchSize: 32,
    lr: 1e-4,
    weightDecay: 1e-4,
    warmupFraction: 0.1,
    minLrFraction: 0.01,
    clipNorm: null as number | null,
    trainMissingRate: 0.3,
    halfComplete: false,
    missingField: 'fixed' as 'fixed' | 'fresh',
    keepSpecialTokens: true,
    patience: Infinity,
    progressEvery: 1,
    ...opts,
  };
  const validRate = o.validMissingRate ?? o.trainMissingRate;
  const validSeed = o.validMaskSeed ?? o.seed;
  const rt = runtime();
  const t0 = now();

  const trainInfo = dataset.split('train');
  const nTrain = Math.min(o.trainSubset ?? trainInfo.n, trainInfo.n);
  const nValid = Math.min(o.validSubset ?? dataset.sizes.valid, dataset.sizes.valid);
  const stepsPerEpoch = Math.ceil(nTrain / o.batchSize);
  const totalSteps = o.epochs * stepsPerEpoch;
  const warmupSteps = Math.min(totalSteps - 1, Math.round(o.warmupFraction * totalSteps));
  const schedule = { baseLr: o.lr, warmupSteps, minLr: o.lr * o.minLrFraction };
  const lrAt = (step: number) => (totalSteps > 1 ? cosineSchedule(step, totalSteps, schedule) : o.lr);

  const model = factory(o.seed);
  const optimizer = new AdamW(model.mainParameters(), { lr: o.lr, weightDecay: o.weightDecay });
  const cleanup = () => {
    model.zeroGrad();
    optimizer.dispose();
    model.dispose();
  };

  const optionRecord: Record<string, unknown> = {};
  for (const k of RESUME_KEYS) optionRecord[k] = (o as Record<string, unknown>)[k];
  const baseMeta = { format: CHECKPOINT_META_FORMAT as typeof CHECKPOINT_META_FORMAT, model: model.kind,
    modelConfig: model.config, dataset: dataset.name, seed: o.seed, options: optionRecord, ...o.meta };

  let startEpoch = 0; // epochs completed
  let globalStep = 0;
  let bestEpoch = 0;
  let bestValidLoss = Infinity;
  let sinceBest = 0;
  let best: Uint8Array | null = null;
  let lastGood: { epoch: number; bytes: Uint8Array } | null = null;

  try {
    if (o.resume) {
      const { meta } = loadCheckpoint(o.resume, model, optimizer, { auxiliary: model.auxiliaryOptimizers?.() });
      const m = meta as Partial<TrainCheckpointMeta>;
      if (m.format !== CHECKPOINT_META_FORMAT) throw new Error(`resume: not a training checkpoint (meta.format is ${JSON.stringify(m.format)})`);
      if (m.model !== model.kind) throw new Error(`resume: the checkpoint is of model '${m.model}', not '${model.kind}'`);
      const diffs = RESUME_KEYS.filter((k) => k !== 'epochs' && JSON.stringify(m.options?.[k]) !== JSON.stringify(optionRecord[k]))
        .map((k) => `${k}: checkpoint ${JSON.stringify(m.options?.[k])}, now ${JSON.stringify(optionRecord[k])}`);
      if (diffs.length) throw new Error(`resume: options differ from the checkpoint's (${diffs.join('; ')})`);
      startEpoch = m.epoch!;
      globalStep = m.globalStep!;
      bestEpoch = m.bestEpoch!;
      bestValidLoss = m.bestValidLoss!;
      sinceBest = m.sinceBest ?? 0;
      lastGood = { epoch: startEpoch, bytes: o.resume };
      if (bestEpoch === startEpoch) best = o.resume;
      else if (o.resumeBest) {
        const bm = checkpointMeta(o.resumeBest) as Partial<TrainCheckpointMeta>;
        if (bm.epoch !== bestEpoch || bm.seed !== o.seed) {
          throw new Error(`resume: the best checkpoint given is epoch ${bm.epoch} of seed ${bm.seed}, expected epoch ${bestEpoch} of seed ${o.seed}`);
        }
        best = o.resumeBest;
      }
      if (globalStep !== startEpoch * stepsPerEpoch) {
        throw new Error(`resume: ${globalStep} steps after ${startEpoch} epochs does not fit ${stepsPerEpoch} steps per epoch`);
      }
    }

    // Training masks. Constant rate with a fixed field: one set of masks for the whole run.
    const fieldFor = (epoch: number) => new MissingField(trainInfo, dataset.dims, epochMissingSeed(o.seed, epoch, o.missingField));
    const halfRates = o.halfComplete ? new HalfCompleteRates(trainInfo.n, o.seed) : null;
    for (let e = 0; e < startEpoch && halfRates; e++) halfRates.next(); // the same rate draws as an uninterrupted run
    let fixedField: MissingField | null = null;
    const maskOpts = { keepSpecialTokens: o.keepSpecialTokens };
    const trainMasks = (epoch: number): KeepMasks => {
      const field = o.missingField === 'fixed' ? (fixedField ??= fieldFor(epoch)) : fieldFor(epoch);
      return field.masks(halfRates ? halfRates.next() : o.trainMissingRate, maskOpts);
    };
    const validMasks = new MissingField(dataset.split('valid'), dataset.dims, validSeed).masks(validRate, maskOpts);
    const validPlan = batchIndices(nValid, o.batchSize);

    const history: EpochSummary[] = [];
    let termNames: string[] | null = null;
    let trainSeconds = 0;
    let validSeconds = 0;
    let samplesDone = 0;
    let stoppedEarly = false;
    const runStart = now();

    for (let epoch = startEpoch; epoch < o.epochs; epoch++) {
      const e1 = epoch + 1;
      const tEpoch = now();
      model.train();
      const masks = trainMasks(epoch);
      const order = batchIndices(trainInfo.n, trainInfo.n, { shuffleSeed: epochShuffleSeed(o.seed, epoch) })[0].subarray(0, nTrain);
      const plan = batchIndices(nTrain, o.batchSize).map((ix) => Int32Array.from(ix, (i) => order[i]));
      const sums = new Map<string, number>();
      let pending: { row: Tensor; values: Promise<Float32Array>; step: number; globalStep: number; size: number } | null = null;

      const settle = async (p: NonNullable<typeof pending>) => {
        let v: Float32Array;
        try {
          v = await p.values;
        } finally {
          p.row.dispose();
        }
        const names = termNames!;
        for (let i = 0; i < names.length; i++) {
          if (!Number.isFinite(v[i])) throw new TrainingDiverged(o.seed, e1, p.step, p.globalStep, names[i], v[i], lastGood);
          sums.set(names[i], (sums.get(names[i]) ?? 0) + v[i] * p.size);
        }
        samplesDone += p.size;
        if (hooks.onProgress && (p.step % o.progressEvery === 0 || p.step === plan.length)) {
          const elapsed = (now() - runStart) / 1000;
          const stepsDoneHere = p.globalStep - startEpoch * stepsPerEpoch;
          const perStep = (trainSeconds + (now() - tEpoch) / 1000) / Math.max(1, stepsDoneHere);
          const epochsLeft = o.epochs - e1;
          const perValid = history.length ? validSeconds / history.length : perStep * Math.ceil(nValid / o.batchSize) * 0.5;
          const terms: Record<string, number> = {};
          names.forEach((n, i) => (terms[n] = v[i]));
          await hooks.onProgress({
            seed: o.seed, epoch: e1, epochs: o.epochs, step: p.step, stepsPerEpoch: plan.length, globalStep: p.globalStep, totalSteps,
            terms, lr: lrAt(p.globalStep - 1), samplesPerSec: samplesDone / Math.max(elapsed, 1e-9),
            etaSec: (totalSteps - p.globalStep) * perStep + (epochsLeft + 1) * perValid, elapsedSec: elapsed,
          });
        }
      };

      try {
        for (let s = 0; s < plan.length; s++) {
          const complete = dataset.batch('train', plan[s]);
          const corrupted = applyMissing(complete, masks);
          const batch = lazyTrainingBatch(complete, corrupted);
          const lr = lrAt(globalStep);
          const row = tidy(() => {
            optimizer.setLr(lr);
            hooks.beforeStep?.({ epoch: e1, step: s + 1, globalStep, model, optimizer });
            const cache: StepCache = {};
            const aux = model.auxiliaryStep?.(batch, cache) ?? {};
            model.zeroGrad();
            const out = model.losses(batch, cache);
            out.total.backward();
            if (o.clipNorm) clipGradNorm(model.mainParameters().map(([, p]) => p), o.clipNorm);
            optimizer.step();
            model.zeroGrad();
            const scalars: [string, Tensor][] = [['total', out.total], ...Object.entries(out.terms), ...Object.entries(aux)];
            const names = scalars.map(([n]) => n);
            if (!termNames) termNames = names;
            else if (names.join() !== termNames.join()) throw new Error(`the model's loss terms changed from [${termNames}] to [${names}]`);
            const r = empty([scalars.length]).keep();
            scalars.forEach(([, t], i) => rt.copy(t.buffer, r.buffer, 4, 0, 4 * i));
            return r;
          });
          globalStep++;
          // Read this step's terms while the next step is recorded; check the previous step's now.
          const prev = pending;
          pending = { row, values: row.toArray(), step: s + 1, globalStep, size: plan[s].length };
          if (prev) await settle(prev);
        }
        const last = pending;
        pending = null;
        if (last) await settle(last);
      } catch (e) {
        // Let the in-flight readback finish before its tensor goes.
        const p = pending as { row: Tensor; values: Promise<Float32Array> } | null;
        if (p) {
          await p.values.catch(() => undefined);
          p.row.dispose();
        }
        throw e;
      }
      const epochTrainSeconds = (now() - tEpoch) / 1000;
      trainSeconds += epochTrainSeconds;

      // Validation: L_total and its terms on the corrupted validation split, eval mode, no tape.
      const tValid = now();
      const valid = await validate(model, dataset, validMasks, validPlan);
      const epochValidSeconds = (now() - tValid) / 1000;
      validSeconds += epochValidSeconds;
      for (const [name, v] of Object.entries(valid.terms)) {
        if (!Number.isFinite(v)) throw new TrainingDiverged(o.seed, e1, plan.length, globalStep, `valid ${name}`, v, lastGood, 'validation');
      }
      const validLoss = model.selectionLoss?.(valid.terms) ?? valid.terms.total;
      if (validLoss !== valid.terms.total) valid.terms.selection = validLoss;
      const improved = validLoss < bestValidLoss;
      if (improved) {
        bestValidLoss = validLoss;
        bestEpoch = e1;
        sinceBest = 0;
      } else sinceBest++;

      const kinds: ('best' | 'last')[] = improved ? ['best', 'last'] : ['last'];
      if (improved || hooks.onCheckpoint) {
        const meta: TrainCheckpointMeta = { ...baseMeta, epoch: e1, globalStep, validLoss, bestEpoch, bestValidLoss, sinceBest };
        const bytes = await saveCheckpoint(model, optimizer, meta, { auxiliary: model.auxiliaryOptimizers?.() });
        if (improved) best = bytes;
        lastGood = { epoch: e1, bytes };
        await hooks.onCheckpoint?.({ seed: o.seed, kinds, epoch: e1, globalStep, validLoss, bytes });
      }

      const train: Record<string, number> = {};
      const nSeen = plan.reduce((s, b) => s + b.length, 0);
      for (const [k, v] of sums) train[k] = v / nSeen;
      await rt.sync();
      const mem = rt.stats();
      const summary: EpochSummary = {
        seed: o.seed, epoch: e1, epochs: o.epochs, globalStep, train, valid: valid.terms, validMetrics: valid.metrics, improved,
        bestEpoch, bestValidLoss, lr: lrAt(Math.max(0, globalStep - 1)), seconds: (now() - tEpoch) / 1000,
        trainSeconds: epochTrainSeconds, validSeconds: epochValidSeconds, samplesPerSec: nSeen / epochTrainSeconds, memory: { liveBuffers: mem.liveBuffers, liveBytes: mem.liveBytes },
      };
      history.push(summary);
      await hooks.onEpoch?.(summary);
      if (sinceBest >= o.patience && e1 < o.epochs) {
        stoppedEarly = true;
        break;
      }
    }

    const epochsRun = history.length ? history[history.length - 1].epoch : startEpoch;
    if (!best) {
      // Resumed from a 'last' checkpoint without its best one and never improved since: keep the current weights.
      best = lastGood?.bytes ?? (await saveCheckpoint(model, optimizer, { ...baseMeta, epoch: epochsRun, globalStep }, { auxiliary: model.auxiliaryOptimizers?.() }));
    } else if (bestEpoch !== epochsRun) {
      loadCheckpoint(best, model, optimizer, { auxiliary: model.auxiliaryOptimizers?.() });
    }
    model.eval();
    return {
      model, optimizer, seed: o.seed, bestEpoch, bestValidLoss, best, epochsRun, globalStep, stoppedEarly,
      resumedFrom: startEpoch, history, seconds: (now() - t0) / 1000,
    };
  } catch (e) {
    cleanup();
    throw e;
  }
}

/** The caller's meta of a checkpoint (for a trainer checkpoint: TrainCheckpointMeta), without loading it. */
export function checkpointMeta(bytes: Uint8Array): Record<string, unknown> {
  const md = parseSafetensors(bytes).metadata['webgrad.meta'];
  return md === undefined ? {} : (JSON.parse(md) as Record<string, unknown>);
}

/** Mean loss terms (weighted by batch size) and metrics of the predictions on a corrupted split, in eval mode. */
export async function validate(
  model: SentimentModel,
  dataset: Dataset,
  masks: KeepMasks,
  plan: Int32Array[],
  split: 'valid' | 'test' | 'train' = 'valid',
): Promise<{ terms: Record<string, number>; metrics: RegressionMetrics; preds: Float32Array; labels: Float32Array }> {
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
      const [row, pred, names] = tidy(() =>
        noGrad(() => {
          const out = model.losses(batch);
          const scalars: [string, Tensor][] = [['total', out.total], ...Object.entries(out.terms)];
          const r = empty([scalars.length]).keep();
          scalars.forEach(([, t], i) => rt.copy(t.buffer, r.buffer, 4, 0, 4 * i));
          return [r, out.pred.keep(), scalars.map(([k]) => k)] as const;
        }),
      );
      labels.set(complete.labels, at);
      const offset = at;
      at += B;
      const job = Promise.all([row.toArray(), pred.toArray()]).then(([v, p]) => {
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
