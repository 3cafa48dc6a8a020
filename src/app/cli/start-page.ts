// The page `npm start` opens (src/app/cli/start.ts drives it): loads the dataset (synthetic-mosi generated here, or an
// MMSA pickle fetched from the driver's server by URL and parsed here), trains one model per seed with the trainer,
// evaluates each on the test set at every missing rate, and reports progress, checkpoints and results to Node.
//
// Channels to Node: `webgradReport(msg)` (exposed by puppeteer; small JSON messages: progress, epochs, results) and
// HTTP on the driver's own server for bytes (checkpoints are POSTed to /checkpoint, resume checkpoints are fetched
// from /resume/<seed>), so megabytes never travel through the DevTools protocol. Every such request carries the
// server's secret, which Node passes in the options (`token`); with each checkpoint the page first tells Node which
// parameters the model holds, and the server refuses any upload that does not fit (src/app/cli/start-server.ts).

import { hostRuntime } from '../host';
import * as wg from '../all';
import { DERL, type DerlExpertUsage } from '../models/derl/index';
import { DAR } from '../models/dar/model';
import { SyntheticMosi } from '../data/synthetic';
import { probeDecoupling, type DecouplingProbe } from '../eval/probes';
import { modelSpec, takenChoices, type ModelName, type RunChoices } from '../models/catalog';
import { buildModel } from '../models/build';
import type { SentimentModel } from '../models/types';
import {
  checkpointMeta,
  constantPredictorMetrics,
  evaluateModalityDrop,
  evaluateRobustness,
  MODALITY_DROPS,
  restoreCheckpoint,
  trainModel,
  TrainingDiverged,
  type EpochSummary,
  type TrainProgress,
  type TrainResult,
} from '../train/index';
import { pretrainBertMlm } from '../train/pretrain-bert';
import type { Dataset } from '../data/types';
import type { ExpectedCheckpoint } from './start-server';
import type { Report, StartPageGlobals } from './start-messages';

export interface StartPageOptions {
  /** The driver server's secret, sent with every request to its API (see src/app/node/server.ts). */
  token: string;
  dataset: 'synthetic-mosi' | 'tiny' | 'mmsa';
  /** synthetic-mosi's shared-content K (--shared-content; absent: the data's default). */
  sharedContent?: number;
  /** URL of the MMSA pickle on the driver's server (dataset 'mmsa'), and its name for messages. */
  dataUrl?: string;
  dataName?: string;
  model: ModelName;
  preset: RunChoices['preset'];
  ablation: RunChoices['ablation'];
  textUnk: RunChoices['textUnk'];
  textEncoder: RunChoices['textEncoder'];
  /** A supplied BERT folder is served at /bert/config.json and /bert/model.safetensors (--bert). */
  bert: boolean;
  /** BERT's lr as a multiple of `lr` (its own AdamW group; default 1), the tiny BERT's masked-LM steps (default 0). */
  bertLrScale?: number;
  bertPretrainSteps?: number;
  seeds: number[];
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  trainMissingRate: number;
  halfComplete: boolean;
  missingField: 'fixed' | 'fresh';
  trainSubset?: number;
  validSubset?: number;
  testSubset?: number;
  patience?: number;
  rates: number[];
  maskSeed: number;
  /** Seeds with a checkpoint to resume from at /resume/<seed> (and /resume-best/<seed> when `resumeBest` lists it). */
  resume: number[];
  resumeBest: number[];
}

export interface SeedOutcome {
  seed: number;
  bestEpoch: number;
  bestValidLoss: number;
  epochsRun: number;
  stoppedEarly: boolean;
  resumedFrom: number;
  trainSeconds: number;
  evalSeconds: number;
  parameters: number;
  history: EpochSummary[];
  rates: { rate: number; metrics: wg.RegressionMetrics }[];
  /** The inter-modality setting: whole modalities absent (L, A, V, L+A, L+V, A+V), the others complete. */
  modalityDrop: { condition: string; absent: readonly string[]; metrics: wg.RegressionMetrics }[];
  /** DERL only: router statistics on the test set at EXPERT_USAGE_RATES. */
  experts: { rate: number; usage: DerlExpertUsage }[];
  /** DAR only: the decoupling probes (src/app/eval/probes.ts) of the best epoch on the test set at PROBE_RATES. */
  probes: DecouplingProbe[];
  /** Where this seed's wall time went, in seconds (see SeedPhases). */
  phases: SeedPhases;
}

/**
 * One seed's wall time by phase, in seconds: training (compiling the first step's kernels, the steps, per-epoch
 * validation, probes and checkpoints; `other` is the rest of trainSeconds: building the model, the epochs' ends) and
 * evaluation on the test set (every missing rate, whole modalities absent, DERL's expert usage, the probes).
 */
export interface SeedPhases {
  compile: number;
  steps: number;
  validation: number;
  probes: number;
  checkpoints: number;
  trainOther: number;
  evalRates: number;
  evalAbsent: number;
  evalExperts: number;
  evalProbes: number;
}

/** The training phases of a seed, from its epochs' summaries (those of this run: a resumed run's earlier ones are not). */
function trainingPhases(history: readonly EpochSummary[], resumedFrom: number, trainSeconds: number) {
  const ran = history.filter((e) => e.epoch > resumedFrom);
  const sum = (f: (e: EpochSummary) => number) => ran.reduce((s, e) => s + f(e), 0);
  const compile = sum((e) => e.compileSeconds);
  const phases = {
    compile,
    steps: sum((e) => e.trainSeconds) - compile,
    validation: sum((e) => e.validSeconds),
    probes: sum((e) => e.probeSeconds),
    checkpoints: sum((e) => e.checkpointSeconds),
  };
  const known = Object.values(phases).reduce((a, b) => a + b, 0);
  return { ...phases, trainOther: Math.max(0, trainSeconds - known) };
}

/** The missing rates at which the best epoch's decoupling is probed (gates and ‖Ĥ − H‖ vs ‖H̃ − H‖ per rate). */
export const PROBE_RATES = [0, 0.3, 0.5, 0.7, 0.9];
const PROBE_TEST_SAMPLES = 343;

/**
 * Samples per pass of the test evaluation and of the probes' inspect(). DAR's small preset (no supplied BERT) takes
 * 256 and 128: fewer, larger passes and fewer readbacks (1.15× and 1.05× on SwiftShader: the arithmetic dominates),
 * and the same numbers (its predictions and probe outputs are per sample; docs/decisions/start-time.md). The other models keep the batches they
 * had (DERL's expert usage is summed per batch on the GPU: another batch would round it differently), and so do a
 * supplied bert-base and the paper preset, whose activations must stay within a GPU's memory.
 */
function passSizes(o: StartPageOptions): { evalBatch: number; probeBatch: number } {
  const small = o.model === 'dar' && o.preset === 'small' && !o.bert;
  return small ? { evalBatch: 256, probeBatch: 128 } : { evalBatch: Math.max(o.batchSize, 64), probeBatch: 32 };
}

/** The factors synthetic-mosi planted in `split` (for the probes' R²); null for other data. */
function plantedFactors(ds: Dataset, split: 'valid' | 'test') {
  return ds instanceof SyntheticMosi ? ds.latents(split) : null;
}

/**
 * DAR's decoupling probes on `split` at `rate` (mask seed 1111) in passes of their own; undefined for other models.
 * Where an evaluation's own passes already read them (evaluateSeed, the validation hook), those are used instead.
 */
function probeRun(run: Run, model: SentimentModel, split: 'valid' | 'test', rate: number) {
  if (!(model instanceof DAR)) return Promise.resolve(undefined);
  const ds = run.dataset;
  const factors = plantedFactors(ds, split);
  // The test set's probes read at most PROBE_TEST_SAMPLES samples per rate, to keep them a small part of evaluation.
  const subset =
    split === 'test' ? Math.min(run.o.testSubset ?? PROBE_TEST_SAMPLES, PROBE_TEST_SAMPLES) : run.o.validSubset;
  const batchSize = passSizes(run.o).probeBatch;
  return probeDecoupling(model, ds, { split, rate, maskSeed: run.o.maskSeed, subset, factors, batchSize });
}

/**
 * Ctrl-C in `npm start`: Node calls globalThis.webgradInterrupt(). Training then ends at its next step, the seed's best
 * epoch so far is evaluated and reported as usual, and no further seed starts (a seed being evaluated is finished).
 */
let interruptRequested = false;
(globalThis as unknown as StartPageGlobals).webgradInterrupt = () => {
  interruptRequested = true;
};

class Interrupted extends Error {
  override name = 'Interrupted';
}

/** What the evaluation needs of a training run: the trainer's result, or the best epoch rebuilt after an interrupt. */
type TrainedSeed = Pick<
  TrainResult,
  'model' | 'bestEpoch' | 'bestValidLoss' | 'epochsRun' | 'stoppedEarly' | 'resumedFrom' | 'history'
>;

/** The best epoch so far rebuilt from its checkpoint, for a run interrupted after it was written. */
function restoreBest(
  factory: (seed: number) => SentimentModel,
  seed: number,
  best: Uint8Array,
  history: EpochSummary[],
  resumedFrom: number,
): TrainedSeed {
  const { model, epoch, validLoss } = restoreCheckpoint(factory, seed, best);
  return {
    model,
    bestEpoch: epoch,
    bestValidLoss: validLoss,
    epochsRun: history.at(-1)?.epoch ?? resumedFrom,
    stoppedEarly: true,
    resumedFrom,
    history,
  };
}

/** The missing rates at which DERL's expert usage is reported. */
export const EXPERT_USAGE_RATES = [0, 0.5, 0.9];

/** src/app/node/server.ts's SECRET_HEADER (that module is Node-only). */
const SECRET_HEADER = 'X-Webgrad-Token';

/** A request to the driver's API, with its secret. */
function apiFetch(token: string, url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { [SECRET_HEADER]: token } });
}

async function loadDataset(o: StartPageOptions, report: Report): Promise<Dataset> {
  if (o.dataset === 'mmsa') {
    const t0 = performance.now();
    const bytes = await fetchBytes(o.token, o.dataUrl!, o.dataName);
    const ds = await wg.readMmsaPickle(bytes, { name: o.dataName });
    await report({
      kind: 'dataset',
      name: ds.name,
      sizes: ds.sizes,
      dims: ds.dims,
      warnings: ds.warnings,
      knownAs: ds.knownAs,
      seconds: (performance.now() - t0) / 1000,
    });
    return ds;
  }
  const ds = wg.syntheticMosi({
    seed: 0,
    size: o.dataset === 'tiny' ? 'tiny' : 'full',
    ...(o.sharedContent !== undefined ? { sharedContent: o.sharedContent } : {}),
  });
  await report({
    kind: 'dataset',
    name: ds.name,
    sizes: ds.sizes,
    dims: ds.dims,
    warnings: [],
    knownAs: null,
    seconds: 0,
  });
  return ds;
}

/**
 * The BERT of --bert (fetched from Node and loaded once: every name and shape checked, a CheckpointError otherwise),
 * whose weights each seed's model starts from; null without --bert.
 */
async function loadSuppliedBert(o: StartPageOptions): Promise<{ sizes: wg.BertSizes; weights: wg.Bert } | null> {
  if (!o.bert || o.textEncoder === 'features') return null;
  const config = new TextDecoder().decode(await fetchBytes(o.token, '/bert/config.json', 'the BERT config.json'));
  const weights = await fetchBytes(o.token, '/bert/model.safetensors', 'the BERT model.safetensors');
  const loaded = wg.loadBert({ config, weights });
  const { seed: _seed, ...sizes } = loaded.config;
  return { sizes, weights: loaded };
}

/** Seed of the tiny BERT's pre-training (its weights, batches and masks): one BERT for every training seed. */
const PRETRAIN_SEED = 4242;

/**
 * The tiny BERT pre-trained by masked-language modelling on the training split's ids (src/app/train/pretrain-bert.ts),
 * once for the run: every seed then starts from it, as every LNLN seed starts from bert-base. Null without it.
 */
async function pretrainedTinyBert(
  o: StartPageOptions,
  dataset: Dataset,
  report: Report,
): Promise<{ sizes: wg.BertSizes; weights: wg.Bert } | null> {
  const steps = o.bertPretrainSteps ?? 0;
  if (steps === 0 || o.textEncoder === 'features' || o.bert) return null;
  const sizes = bertSizesFor(dataset);
  const weights = new wg.Bert({ ...sizes, seed: PRETRAIN_SEED });
  const t0 = performance.now();
  await pretrainBertMlm(weights, dataset, {
    steps,
    seed: PRETRAIN_SEED,
    onProgress: (step, n, loss) =>
      report({ kind: 'pretraining', step, steps: n, loss, seconds: (performance.now() - t0) / 1000 }),
  });
  return { sizes, weights };
}

/** The tiny BERT trained from scratch: synthetic-mosi's vocabulary, or bert-base-uncased's ids for MMSA data. */
function bertSizesFor(dataset: Dataset): wg.BertSizes {
  return { ...wg.TINY_BERT, vocabSize: dataset instanceof wg.SyntheticMosi ? wg.SYNTHETIC_VOCAB.size : 30522 };
}

async function fetchBytes(token: string, url: string, what = url): Promise<Uint8Array> {
  const res = await apiFetch(token, url);
  if (!res.ok) throw new Error(`fetching ${what}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** What every seed of the run shares. */
interface Run {
  o: StartPageOptions;
  report: Report;
  dataset: Dataset;
  trainMissingRate: number;
  /** A fresh model for a seed. */
  factory: (seed: number) => SentimentModel;
  /** The test samples evaluated per rate. */
  testN: number;
  checkpoints: CheckpointChannel;
}

/**
 * Checkpoints to Node: the parameters of the model each seed trains are recorded when it is built, and told to Node
 * before each upload, so that the server accepts only checkpoints that hold exactly these.
 */
class CheckpointChannel {
  private readonly expected = new Map<number, ExpectedCheckpoint>();

  constructor(
    private readonly token: string,
    private readonly report: Report,
  ) {}

  /** `factory`, recording what each model it builds holds. */
  tracked(factory: (seed: number) => SentimentModel): (seed: number) => SentimentModel {
    return (seed) => {
      const m = factory(seed);
      this.expected.set(seed, {
        seed,
        model: m.kind,
        tensors: m.namedParameters().map(([name, p]) => [name, [...p.shape]]),
      });
      return m;
    };
  }

  async post(c: { seed: number; kinds: string[]; epoch: number; bytes: Uint8Array }): Promise<void> {
    const e = this.expected.get(c.seed);
    if (!e) throw new Error(`checkpoint of seed ${c.seed} before its model was built`);
    await this.report({ kind: 'expect', expected: e }); // awaited: Node knows it before the upload arrives
    const q = `seed=${c.seed}&kinds=${c.kinds.join(',')}&epoch=${c.epoch}`;
    const res = await apiFetch(this.token, `/checkpoint?${q}`, {
      method: 'POST',
      body: c.bytes as Uint8Array<ArrayBuffer>,
    });
    if (!res.ok)
      throw new Error(
        `storing the checkpoint of seed ${c.seed}, epoch ${c.epoch}: HTTP ${res.status} ${await res.text()}`,
      );
  }
}

/** Where a Ctrl-C left the run. */
type InterruptedAt = { seed: number; epochsRun: number; bestEpoch: number | null };

/**
 * How training one seed ended: a model to evaluate (null: interrupted before its first epoch) and where a Ctrl-C
 * during training left it, or divergence.
 */
type SeedTraining =
  | { kind: 'trained'; result: TrainedSeed | null; interrupted: InterruptedAt | null; trainSeconds: number }
  | { kind: 'diverged'; error: TrainingDiverged };

/** Trains seed number `si`, resuming when Node has a checkpoint of it; an interrupt keeps the best epoch so far. */
async function trainSeed(run: Run, si: number): Promise<SeedTraining> {
  const { o, report } = run;
  const seed = o.seeds[si];
  const resume = o.resume.includes(seed) ? await fetchBytes(o.token, `/resume/${seed}`) : undefined;
  const resumeBest = o.resumeBest.includes(seed) ? await fetchBytes(o.token, `/resume-best/${seed}`) : undefined;
  const t0 = performance.now();
  // The best checkpoint so far (a resumed run's too) and the epochs run, for an interrupt.
  const resumedFrom = resume ? (checkpointMeta(resume).epoch as number) : 0;
  let best = resumeBest ?? (resume && checkpointMeta(resume).bestEpoch === resumedFrom ? resume : null);
  const history: EpochSummary[] = [];
  const seconds = () => (performance.now() - t0) / 1000;
  try {
    const r = await trainModel(
      run.checkpoints.tracked(run.factory),
      run.dataset,
      {
        seed,
        epochs: o.epochs,
        batchSize: o.batchSize,
        lr: o.lr,
        weightDecay: o.weightDecay,
        // BERT in a group of its own when its lr differs (the tiny from-scratch one: TINY_BERT_TRAINING).
        lrScales: (o.bertLrScale ?? 1) !== 1 ? { 'bert.': o.bertLrScale! } : undefined,
        trainMissingRate: run.trainMissingRate,
        halfComplete: o.halfComplete,
        missingField: o.missingField,
        trainSubset: o.trainSubset,
        validSubset: o.validSubset,
        patience: o.patience,
        resume,
        resumeBest,
        meta: takenChoices(modelSpec(o.model), o),
      },
      {
        onProgress: async (p: TrainProgress) => {
          await report({ kind: 'progress', seedIndex: si, ...p });
          if (interruptRequested) throw new Interrupted();
        },
        // The first step's kernels, compiled ahead with a count (a CPU-emulated GPU takes 15–55 s for them).
        onCompile: (done, total) => void report({ kind: 'compiling', seedIndex: si, seed, done, total }),
        onEpoch: (e: EpochSummary) => {
          history.push(e);
          return report({ kind: 'epoch', seedIndex: si, ...e });
        },
        // DAR's validation pass reads the probes (`read`; at its own masks, drawn from the training seed).
        probe: (model, _epoch, read) =>
          read
            ? Promise.resolve(read.result(run.trainMissingRate, plantedFactors(run.dataset, 'valid')))
            : probeRun(run, model, 'valid', run.trainMissingRate),
        onCheckpoint: async (c) => {
          if (c.kinds.includes('best')) best = c.bytes;
          await run.checkpoints.post(c);
        },
      },
    );
    r.optimizer.dispose();
    return { kind: 'trained', result: r, interrupted: null, trainSeconds: seconds() };
  } catch (e) {
    if (e instanceof TrainingDiverged) return { kind: 'diverged', error: e };
    if (!(e instanceof Interrupted)) throw e;
    const interrupted = {
      seed,
      epochsRun: history.at(-1)?.epoch ?? resumedFrom,
      bestEpoch: best ? (checkpointMeta(best).epoch as number) : null,
    };
    // With no finished epoch of this seed there is nothing of it to evaluate.
    const result = best ? restoreBest(run.factory, seed, best, history, resumedFrom) : null;
    return { kind: 'trained', result, interrupted, trainSeconds: seconds() };
  }
}

/** Evaluates a trained seed: every missing rate, whole modalities absent, and DERL's expert usage. Disposes the model. */
async function evaluateSeed(run: Run, si: number, trained: TrainedSeed, trainSeconds: number): Promise<SeedOutcome> {
  const { o, report, dataset, testN } = run;
  const seed = o.seeds[si];
  const model = trained.model;
  const parameters = model.parameters().reduce((s, p) => s + p.size, 0);
  await report({ kind: 'evaluating', seedIndex: si, seed, rates: o.rates.length, testN, trainSeconds });
  const t1 = performance.now();
  const since = (t: number) => (performance.now() - t) / 1000;
  let lastEvalReport = 0;
  const batchSize = passSizes(o).evalBatch;
  // DAR's test probes read the passes of these rates (the first PROBE_TEST_SAMPLES samples) rather than passes of their own.
  const probing = model instanceof DAR && o.rates[0] === 0 && PROBE_RATES.every((r) => o.rates.includes(r));
  const rates = await evaluateRobustness(model, dataset, o.rates, o.maskSeed, {
    subset: o.testSubset,
    batchSize,
    ...(probing ? { probes: { rates: PROBE_RATES, subset: PROBE_TEST_SAMPLES } } : {}),
    onProgress: (done, total) => {
      const t = performance.now();
      if (done < total && t - lastEvalReport < 500) return;
      lastEvalReport = t;
      return report({ kind: 'evalProgress', seedIndex: si, done, total, elapsedSec: (t - t1) / 1000 });
    },
  });
  const evalRates = since(t1);
  const tAbsent = performance.now();
  const drops = await evaluateModalityDrop(model, dataset, MODALITY_DROPS, { subset: o.testSubset, batchSize });
  const evalAbsent = since(tAbsent);
  const tExperts = performance.now();
  // DERL: which experts the routers pick, per modality, on the test set at a few missing rates.
  const experts: { rate: number; usage: DerlExpertUsage }[] = [];
  if (model instanceof DERL) {
    for (const rate of EXPERT_USAGE_RATES) {
      model.resetUsage();
      await evaluateRobustness(model, dataset, [rate], o.maskSeed, { subset: o.testSubset, batchSize });
      experts.push({ rate, usage: await model.expertUsage() });
    }
  }
  const evalExperts = since(tExperts);
  const tProbes = performance.now();
  const probes: DecouplingProbe[] = [];
  for (const rate of PROBE_RATES) {
    const read = rates.find((r) => r.rate === rate)?.probe;
    const p = read ? read.result(rate, plantedFactors(dataset, 'test')) : await probeRun(run, model, 'test', rate);
    if (p) probes.push(p);
  }
  const evalProbes = since(tProbes);
  const evalSeconds = since(t1);
  model.dispose();
  await report({ kind: 'seedDone', seedIndex: si, seed, trainSeconds, evalSeconds, bestEpoch: trained.bestEpoch });
  return {
    seed,
    bestEpoch: trained.bestEpoch,
    bestValidLoss: trained.bestValidLoss,
    epochsRun: trained.epochsRun,
    stoppedEarly: trained.stoppedEarly,
    resumedFrom: trained.resumedFrom,
    trainSeconds,
    evalSeconds,
    parameters,
    history: trained.history,
    rates: rates.map((r) => ({ rate: r.rate, metrics: r.metrics })),
    modalityDrop: drops.map((d) => ({ condition: d.label, absent: d.absent, metrics: d.metrics })),
    experts,
    probes,
    phases: {
      ...trainingPhases(trained.history, trained.resumedFrom, trainSeconds),
      evalRates,
      evalAbsent,
      evalExperts,
      evalProbes,
    },
  };
}

async function main(o: StartPageOptions) {
  const report = (globalThis as unknown as StartPageGlobals).webgradReport;
  const tSetup = performance.now();
  await wg.init();
  await report({ kind: 'adapter', adapter: wg.adapterInfo(), runtime: hostRuntime() });
  const dataset = await loadDataset(o, report);
  // DAR's k: 0.3 on MOSI, 0.4 on MOSEI (docs/models.md §2.4); -1 = choose by the data's dims.
  const mosei = dataset.dims.audio.len === 500 && dataset.dims.audio.dim === 74;
  const trainMissingRate = o.trainMissingRate >= 0 ? o.trainMissingRate : mosei ? 0.4 : 0.3;
  const constant = constantPredictorMetrics(dataset, 'test', o.testSubset);
  const testN = Math.min(o.testSubset ?? dataset.sizes.test, dataset.sizes.test);
  const bert = (await loadSuppliedBert(o)) ?? (await pretrainedTinyBert(o, dataset, report));
  const run: Run = {
    o,
    report,
    dataset,
    trainMissingRate,
    testN,
    factory: (seed) => {
      const model = buildModel(o.model, dataset.dims, seed, { ...o, bert: bert?.sizes ?? bertSizesFor(dataset) });
      // A supplied (or pre-trained) BERT's weights replace the fresh ones (a resumed checkpoint's, loaded after, replace these).
      if (bert) (model as unknown as { bert: wg.Bert }).bert.loadStateDict(bert.weights.stateDict());
      return model;
    },
    checkpoints: new CheckpointChannel(o.token, report),
  };
  // Setup: the adapter, the data, a supplied or pre-trained BERT (before any seed).
  const setupSeconds = (performance.now() - tSetup) / 1000;
  await report({ kind: 'plan', testN, constant });

  const outcomes: SeedOutcome[] = [];
  let interrupted: InterruptedAt | null = null;
  for (let si = 0; si < o.seeds.length && !interrupted; si++) {
    const t = await trainSeed(run, si);
    if (t.kind === 'diverged') {
      const e = t.error;
      return {
        kind: 'diverged' as const,
        message: e.message,
        seed: e.seed,
        epoch: e.epoch,
        step: e.step,
        term: e.term,
        lastGoodEpoch: e.lastGood?.epoch ?? null,
        outcomes,
      };
    }
    interrupted = t.interrupted;
    if (!t.result) break;
    outcomes.push(await evaluateSeed(run, si, t.result, t.trainSeconds));
    // A Ctrl-C that training did not see (after its last step, or during evaluation) ends the run after this seed.
    if (interruptRequested && !interrupted)
      interrupted = { seed: o.seeds[si], epochsRun: t.result.epochsRun, bestEpoch: t.result.bestEpoch };
  }
  await wg.runtime().sync();
  return { kind: 'done' as const, outcomes, constant, testN, stats: wg.runtime().stats(), interrupted, setupSeconds };
}

export type StartPageResult = Awaited<ReturnType<typeof main>>;
(globalThis as unknown as StartPageGlobals).webgradMain = main;
