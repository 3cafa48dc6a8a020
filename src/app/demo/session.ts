// The demo page's GPU work, kept apart from the DOM: reading data, training with pause/stop, robustness evaluation,
// predictions at a chosen missing rate, the per-kernel profile of one training step, and model files.

import '../../engine/autograd'; // installs Tensor.backward
import { runtime } from '../../engine/engine';
import { tidy, noGrad } from '../../engine/tensor';
import { AdamW } from '../../engine/optim/adam';
import { isOptimizerKey, loadCheckpoint, saveCheckpoint } from '../io/checkpoint';
import { CheckpointError } from '../../engine/io/safetensors';
import { applyMissing, EVAL_RATES, LNLN_EVAL_SEED, MissingField } from '../data/missing';
import { readMmsaPickle } from '../data/mmsa';
import { syntheticMosi } from '../data/synthetic';
import { DataError, type Dataset, type DatasetDims } from '../data/types';
import { robustnessJson, summarizeRobustness } from '../eval/report';
import type { SentimentModel, StepCache } from '../models/types';
import {
  checkpointMeta,
  constantPredictorMetrics,
  evaluateRobustness,
  lazyInputs,
  lazyTrainingBatch,
  restoreCheckpoint,
  trainModel,
  type EpochSummary,
  type TrainProgress,
} from '../train/index';
import type { Profile } from '../../engine/profile';
import type { RunResults } from '../report/html';
import { findModel, resolveOptions, type DemoModel } from './models';
import { RunControl, StopRequested } from './control';

export type DatasetChoice = 'synthetic-mosi' | 'tiny';

export function syntheticDataset(choice: DatasetChoice): Dataset {
  return syntheticMosi({ seed: 0, size: choice === 'tiny' ? 'tiny' : 'full' });
}

/**
 * Reads an MMSA pickle the user picked (a File, read in this tab; nothing leaves the machine). Throws an Error whose
 * message is fit to show as it is.
 */
export async function readPickleFile(file: File): Promise<{ dataset: Dataset; warnings: readonly string[] }> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (bytes.length < 2 || bytes[0] !== 0x80) {
    throw new Error(
      `${file.name} is not a pickle file (pickles start with byte 0x80; this one starts with ` +
        `${bytes.length ? `0x${bytes[0].toString(16).padStart(2, '0')}` : 'nothing: it is empty'}). Pick an MMSA feature file such as unaligned_50.pkl.`,
    );
  }
  try {
    const ds = await readMmsaPickle(bytes, { name: file.name });
    return { dataset: ds, warnings: ds.warnings };
  } catch (e) {
    if (e instanceof DataError) throw new Error(`${file.name} cannot be used: ${e.reason}`);
    throw new Error(`${file.name} cannot be read: ${(e as Error).message}`);
  }
}

export interface TrainSettings {
  model: DemoModel;
  options: Record<string, string>;
  seed: number;
  epochs: number;
  batchSize: number;
  lr: number;
  trainMissingRate: number;
  rates: number[];
  /** Evaluate on the first this-many test samples (default all). */
  testSubset?: number;
}

export interface TrainedModel {
  model: SentimentModel;
  entry: DemoModel;
  options: Record<string, string>;
  seed: number;
  dims: DatasetDims;
  datasetName: string;
  label: string;
}

export interface TrainCallbacks {
  onProgress(p: TrainProgress): void;
  onEpoch(e: EpochSummary): void;
  /** The first step's kernels compiled so far, of `total` (a CPU-emulated GPU takes 15–55 s for them). */
  onCompile?(done: number, total: number): void;
}

/** Parses "0, 0.3, 0.9" or "0:0.9:0.1" into sorted distinct rates in [0, 1). */
export function parseRates(text: string): number[] {
  const t = text.trim();
  let rates: number[];
  const range = /^([\d.]+)\s*:\s*([\d.]+)\s*:\s*([\d.]+)$/.exec(t);
  if (range) {
    const [a, b, s] = range.slice(1).map(Number);
    if (!(s > 0)) throw new Error('missing rates: the step of a range must be > 0');
    rates = [];
    for (let i = 0; a + i * s <= b + 1e-9; i++) rates.push(Number((a + i * s).toFixed(6)));
  } else {
    rates = t
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number);
  }
  if (!rates.length) throw new Error('missing rates: give at least one, e.g. 0, 0.3, 0.6, 0.9');
  for (const r of rates)
    if (!(r >= 0 && r < 1)) throw new Error(`missing rates must be numbers in [0, 1), got ${JSON.stringify(text)}`);
  return [...new Set(rates)].sort((a, b) => a - b);
}

/** One training run of the page: the model kept (the best epoch's weights) and how training went. */
export interface TrainedRun {
  trained: TrainedModel;
  history: EpochSummary[];
  bestEpoch: number;
  bestValidLoss: number;
  /** Epochs that finished. */
  epochsRun: number;
  /** The user pressed Stop after at least one epoch had finished. */
  stoppedByUser: boolean;
  trainSeconds: number;
}

/**
 * Trains one model (one seed); pausing and stopping go through `control`, which belongs to training alone. A stop
 * after an epoch has finished rebuilds the model from the best checkpoint so far and returns it (`stoppedByUser`); a
 * stop before that rethrows StopRequested (the trainer has freed its model). The caller owns the returned model.
 */
export async function trainRun(
  dataset: Dataset,
  s: TrainSettings,
  control: RunControl,
  cb: TrainCallbacks,
): Promise<TrainedRun> {
  const options = resolveOptions(s.model, s.options);
  const factory = (seed: number) => s.model.create(dataset.dims, seed, options);
  const history: EpochSummary[] = [];
  let best: Uint8Array | null = null;
  const t0 = performance.now();
  let model: SentimentModel;
  let bestEpoch: number;
  let bestValidLoss: number;
  let stoppedByUser = false;
  try {
    const r = await trainModel(
      factory,
      dataset,
      {
        seed: s.seed,
        epochs: s.epochs,
        batchSize: s.batchSize,
        lr: s.lr,
        trainMissingRate: s.trainMissingRate,
        meta: { ...options },
      },
      {
        onProgress: async (p) => {
          cb.onProgress(p);
          await control.gate();
        },
        onEpoch: (e) => {
          history.push(e);
          cb.onEpoch(e);
        },
        ...(cb.onCompile ? { onCompile: cb.onCompile } : {}),
        onCheckpoint: (c) => {
          if (c.kinds.includes('best')) best = c.bytes;
        },
      },
    );
    r.optimizer.dispose();
    ({ model, bestEpoch, bestValidLoss } = r);
  } catch (e) {
    if (!(e instanceof StopRequested) || !best) throw e;
    stoppedByUser = true;
    ({ model, epoch: bestEpoch, validLoss: bestValidLoss } = restoreCheckpoint(factory, s.seed, best));
  }
  const label = s.model.describe(options);
  return {
    trained: { model, entry: s.model, options, seed: s.seed, dims: dataset.dims, datasetName: dataset.name, label },
    history,
    bestEpoch,
    bestValidLoss,
    epochsRun: history.length,
    stoppedByUser,
    trainSeconds: (performance.now() - t0) / 1000,
  };
}

/**
 * Robustness of a trained run at `s.rates` with its training record, in results.json's format. `control` is the
 * evaluation's own (a fresh one: the training's may already be stopped). The model stays the caller's.
 */
export async function evaluateRun(
  run: TrainedRun,
  dataset: Dataset,
  s: TrainSettings,
  control: RunControl,
  onProgress: (done: number, total: number) => void,
): Promise<RunResults> {
  const t1 = performance.now();
  const results = await robustness(run.trained, dataset, s.rates, control, onProgress, s.testSubset);
  results.run = {
    ...results.run,
    epochs: s.epochs,
    batchSize: s.batchSize,
    lr: s.lr,
    trainMissingRate: s.trainMissingRate,
    stoppedByUser: run.stoppedByUser,
  };
  results.training = [
    {
      seed: s.seed,
      parameters: run.trained.model.parameters().reduce((n, p) => n + p.size, 0),
      bestEpoch: run.bestEpoch,
      bestValidLoss: run.bestValidLoss,
      epochsRun: run.epochsRun,
      stoppedEarly: run.stoppedByUser,
      trainSeconds: run.trainSeconds,
      evalSeconds: (performance.now() - t1) / 1000,
      history: run.history.map((h) => ({
        epoch: h.epoch,
        train: h.train,
        valid: h.valid,
        validMetrics: h.validMetrics,
        improved: h.improved,
        lr: h.lr,
        seconds: h.seconds,
      })),
    },
  ];
  return results;
}

/** Robustness of a model on the test split at `rates` (LNLN's mask seed), as a results object. */
export async function robustness(
  t: TrainedModel,
  dataset: Dataset,
  rates: number[],
  control: RunControl,
  onProgress: (done: number, total: number) => void,
  testSubset?: number,
): Promise<RunResults> {
  checkDims(t, dataset);
  const per = await evaluateRobustness(t.model, dataset, rates, LNLN_EVAL_SEED, {
    subset: testSubset,
    batchSize: 32,
    onProgress: async (done, total) => {
      onProgress(done, total);
      await control.gate();
    },
  });
  const summary = summarizeRobustness(per.map((r) => ({ rate: r.rate, seed: t.seed, metrics: r.metrics })));
  const constant = constantPredictorMetrics(dataset, 'test', testSubset);
  return {
    ...robustnessJson(summary, t.label),
    run: {
      model: t.entry.id,
      ...t.options,
      dataset: dataset.name,
      seeds: [t.seed],
      testSamples: per[0].n,
      maskSeed: LNLN_EVAL_SEED,
    },
    baselines: { constant: { value: constant.value, metrics: constant.metrics } },
  };
}

export function checkDims(t: { dims: DatasetDims; label: string }, dataset: Dataset): void {
  const d = (x: DatasetDims) =>
    `text ${x.text.len}×${x.text.dim}, audio ${x.audio.len}×${x.audio.dim}, vision ${x.vision.len}×${x.vision.dim}`;
  if (d(t.dims) !== d(dataset.dims)) {
    throw new Error(
      `the model ${t.label} was built for ${d(t.dims)}, but ${dataset.name} has ${d(dataset.dims)}: load a dataset with the model's shapes`,
    );
  }
}

/** The test samples the probe shows: up to `n`, spread over the split. */
export function probeIndices(dataset: Dataset, n = 6): number[] {
  const N = dataset.sizes.test;
  const k = Math.min(n, N);
  return Array.from({ length: k }, (_, i) => Math.floor((i * N) / k));
}

/** Keep masks of the test split at any rate, for the probe (the evaluation's mask seed). */
export class ProbeMasks {
  private field: MissingField;
  constructor(readonly dataset: Dataset) {
    this.field = new MissingField(dataset.split('test'), dataset.dims, LNLN_EVAL_SEED);
  }
  masks(rate: number) {
    return this.field.masks(rate);
  }
}

/** Predictions of `model` on the test samples `indices` with every modality missing at `rate`. */
export async function predictAt(
  model: SentimentModel,
  dataset: Dataset,
  masks: ProbeMasks,
  indices: number[],
  rate: number,
): Promise<{ preds: Float32Array; labels: Float32Array; ids: readonly string[] }> {
  const batch = dataset.batch('test', indices);
  const x = lazyInputs(applyMissing(batch, masks.masks(rate)));
  const wasTraining = model.training;
  model.eval();
  try {
    const y = tidy(() => noGrad(() => model.predict(x)));
    const preds = await y.toArray();
    y.dispose();
    return { preds: preds.subarray(0, indices.length), labels: batch.labels, ids: batch.ids };
  } finally {
    model.train(wasTraining);
  }
}

/**
 * The per-kernel profile of one training step (auxiliary step, forward, backward, AdamW) of a fresh model on the
 * first `batchSize` training samples at missing rate k. One unprofiled step first, so pipeline compilation is not
 * counted. The model and optimizer are freed afterwards.
 */
export async function profileTrainingStep(
  entry: DemoModel,
  options: Record<string, string>,
  dataset: Dataset,
  batchSize: number,
  k: number,
  seed: number,
): Promise<Profile> {
  const rt = runtime();
  const model = entry.create(dataset.dims, seed, resolveOptions(entry, options));
  const opt = new AdamW(model.mainParameters(), { lr: 1e-4 });
  try {
    model.train();
    const info = dataset.split('train');
    const ix = Array.from({ length: Math.min(batchSize, info.n) }, (_, i) => i);
    const complete = dataset.batch('train', ix);
    const corrupted = applyMissing(complete, new MissingField(info, dataset.dims, seed).masks(k));
    const batch = lazyTrainingBatch(complete, corrupted);
    const step = () =>
      tidy(() => {
        const cache: StepCache = {};
        model.auxiliaryStep?.(batch, cache);
        model.zeroGrad();
        model.losses(batch, cache).total.backward();
        opt.step();
        model.zeroGrad();
      });
    step();
    await rt.sync();
    const { profile } = await rt.profile(step);
    return profile;
  } finally {
    model.zeroGrad();
    opt.dispose();
    model.dispose();
  }
}

export const DEMO_CHECKPOINT_FORMAT = 'webgrad-demo-model/1';

/** The model's weights as a safetensors file, with what it takes to rebuild it in its metadata. */
export async function modelFile(t: TrainedModel): Promise<Uint8Array> {
  return saveCheckpoint(t.model, null, {
    format: DEMO_CHECKPOINT_FORMAT,
    model: t.entry.id,
    modelOptions: t.options,
    dims: t.dims,
    seed: t.seed,
    dataset: t.datasetName,
    label: t.label,
  });
}

/**
 * Rebuilds a model from a safetensors file written by modelFile() or by the trainer (`npm start`'s checkpoints: their
 * meta names the model kind and DAR's options; the dims then come from `dataset`). Errors say what does not fit.
 */
export function loadModelFile(bytes: Uint8Array, fileName: string, dataset: Dataset | null): TrainedModel {
  let meta: Record<string, unknown>;
  try {
    meta = checkpointMeta(bytes);
  } catch (e) {
    throw new Error(`${fileName} is not a safetensors model file: ${(e as Error).message}`);
  }
  const entry = typeof meta.model === 'string' ? findModel(meta.model) : undefined;
  if (!entry) {
    throw new Error(
      `${fileName}: its metadata does not name a model this page knows (model: ${JSON.stringify(meta.model ?? null)}; known: ` +
        `dar, latefusion)`,
    );
  }
  const options = resolveOptions(entry, (meta.modelOptions as Record<string, unknown>) ?? meta);
  const dims = (meta.dims as DatasetDims | undefined) ?? dataset?.dims;
  if (!dims) throw new Error(`${fileName} does not record its input shapes: load the dataset it was trained on first`);
  const seed = typeof meta.seed === 'number' ? meta.seed : 0;
  const model = entry.create(dims, seed, options);
  try {
    const r = loadCheckpoint(bytes, model, null, { strict: false });
    if (r.missing.length) {
      throw new Error(
        `${fileName} does not fit ${entry.describe(options)}: ${r.missing.length} parameters missing (${r.missing.slice(0, 3).join(', ')}${r.missing.length > 3 ? ', …' : ''})`,
      );
    }
    const extra = r.unexpected.filter((n) => !isOptimizerKey(n));
    if (extra.length)
      throw new Error(
        `${fileName} does not fit ${entry.describe(options)}: unexpected tensors ${extra.slice(0, 3).join(', ')}${extra.length > 3 ? ', …' : ''}`,
      );
  } catch (e) {
    model.dispose();
    if (e instanceof CheckpointError)
      throw new Error(`${fileName} does not fit ${entry.describe(options)}: ${e.message}`);
    throw e;
  }
  model.eval();
  return {
    model,
    entry,
    options,
    seed,
    dims,
    datasetName: typeof meta.dataset === 'string' ? meta.dataset : '?',
    label: typeof meta.label === 'string' ? meta.label : entry.describe(options),
  };
}

export { EVAL_RATES };
