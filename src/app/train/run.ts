// One training run of trainModel (./trainer.ts), step by step: its schedule, its position in training (what a
// checkpoint saves and a resume restores), the steps of an epoch with their loss read back one step late, and the
// end of an epoch (validation, model selection, checkpoints, the summary).

import { runtime } from '../../engine/engine';
import { empty, tidy, type Tensor } from '../../engine/tensor';
import { clipGradNorm } from '../../engine/optim/clip';
import { cosineSchedule } from '../../engine/optim/schedule';
import type { Optimizer } from '../../engine/optim/optimizer';
import { loadCheckpoint, saveCheckpoint } from '../io/checkpoint';
import { batchIndices } from '../data/loader';
import { applyMissing, type KeepMasks } from '../data/missing';
import type { Dataset, SplitInfo } from '../data/types';
import { ProbeAccumulator } from '../eval/probes';
import type { SentimentModel, StepCache, TrainingBatch } from '../models/types';
import { canonicalKind } from '../models/catalog';
import { epochShuffleSeed } from '../../engine/seed';
import { lazyTrainingBatch } from './batches';
import { compileAhead } from './compile-ahead';
import { TrainingMasks, validationMasks } from './masks';
import {
  checkpointMeta,
  CHECKPOINT_META_FORMAT,
  TrainingDiverged,
  validate,
  type EpochSummary,
  type TrainCheckpointMeta,
  type TrainHooks,
  type TrainOptions,
  type TrainResult,
} from './trainer';

/** The options trainModel gives a default. */
type Defaulted =
  | 'batchSize'
  | 'lr'
  | 'weightDecay'
  | 'warmupFraction'
  | 'minLrFraction'
  | 'clipNorm'
  | 'trainMissingRate'
  | 'halfComplete'
  | 'missingField'
  | 'keepSpecialTokens'
  | 'patience'
  | 'progressEvery';

/** TrainOptions with every default filled in. */
export type ResolvedOptions = TrainOptions & Required<Pick<TrainOptions, Defaulted>>;

/** The options that must not change across a resume (they define the schedule, the data order or the masks). */
export const RESUME_KEYS = [
  'seed',
  'epochs',
  'batchSize',
  'lr',
  'weightDecay',
  'lrScales',
  'warmupFraction',
  'minLrFraction',
  'trainMissingRate',
  'halfComplete',
  'missingField',
  'trainSubset',
] as const;

const now = () => performance.now();

/** Where training stands: what a checkpoint's meta records and a resume restores. */
interface Position {
  /** Epochs completed. */
  epoch: number;
  globalStep: number;
  bestEpoch: number;
  bestValidLoss: number;
  sinceBest: number;
  /** Checkpoint bytes of the best epoch, and the last checkpoint written (its weights are finite). */
  best: Uint8Array | null;
  lastGood: { epoch: number; bytes: Uint8Array } | null;
}

/** A step whose loss terms are being read back while the next step is recorded. */
interface PendingStep {
  row: Tensor;
  values: Promise<Float32Array>;
  step: number;
  globalStep: number;
  size: number;
}

/** One epoch's training steps, as they are read back. */
interface EpochSteps {
  epoch: number;
  tEpoch: number;
  plan: Int32Array[];
  sums: Map<string, number>;
}

export class TrainingRun {
  readonly trainInfo: SplitInfo;
  readonly nTrain: number;
  readonly nValid: number;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  readonly pos: Position = {
    epoch: 0,
    globalStep: 0,
    bestEpoch: 0,
    bestValidLoss: Infinity,
    sinceBest: 0,
    best: null,
    lastGood: null,
  };
  /** The epoch training continued after (0 when not resumed). */
  startEpoch = 0;
  readonly history: EpochSummary[] = [];
  private readonly optionRecord: Record<string, unknown> = {};
  /** Every checkpoint's meta but the position (and the caller's `meta`). */
  private readonly baseMeta: Pick<
    TrainCheckpointMeta,
    'format' | 'model' | 'modelConfig' | 'dataset' | 'seed' | 'options'
  > &
    Record<string, unknown>;
  private masks!: TrainingMasks;
  private validMasks!: KeepMasks;
  private validPlan!: Int32Array[];
  private termNames: string[] | null = null;
  /** Whether the first step's kernels were compiled ahead (or there was no hook to report it). */
  private compiled = false;
  // Clocks for progress and the ETA.
  private runStart = 0;
  /** Compiling ahead, in the epoch it happened (taken by that epoch's summary). */
  private compileSeconds = 0;
  private trainSeconds = 0;
  private validSeconds = 0;
  private samplesDone = 0;

  constructor(
    readonly o: ResolvedOptions,
    readonly dataset: Dataset,
    readonly model: SentimentModel,
    readonly optimizer: Optimizer,
    readonly hooks: TrainHooks,
  ) {
    this.trainInfo = dataset.split('train');
    this.nTrain = Math.min(o.trainSubset ?? this.trainInfo.n, this.trainInfo.n);
    this.nValid = Math.min(o.validSubset ?? dataset.sizes.valid, dataset.sizes.valid);
    this.stepsPerEpoch = Math.ceil(this.nTrain / o.batchSize);
    this.totalSteps = o.epochs * this.stepsPerEpoch;
    for (const k of RESUME_KEYS) this.optionRecord[k] = o[k];
    this.baseMeta = {
      format: CHECKPOINT_META_FORMAT,
      model: model.kind,
      modelConfig: model.config,
      dataset: dataset.name,
      seed: o.seed,
      options: this.optionRecord,
      ...o.meta,
    };
  }

  /** The learning rate of global step `step`: linear warm-up, then cosine. */
  lrAt(step: number): number {
    const o = this.o;
    const warmupSteps = Math.min(this.totalSteps - 1, Math.round(o.warmupFraction * this.totalSteps));
    const schedule = { baseLr: o.lr, warmupSteps, minLr: o.lr * o.minLrFraction };
    return this.totalSteps > 1 ? cosineSchedule(step, this.totalSteps, schedule) : o.lr;
  }

  /** Continues from a checkpoint: weights, optimizer state and position; throws when it is of another run. */
  resume(bytes: Uint8Array, bestBytes: Uint8Array | undefined): void {
    const { model, optimizer, o, pos } = this;
    const { meta } = loadCheckpoint(bytes, model, optimizer, { auxiliary: model.auxiliaryOptimizers?.() });
    const m = meta as Partial<TrainCheckpointMeta>;
    if (m.format !== CHECKPOINT_META_FORMAT)
      throw new Error(`resume: not a training checkpoint (meta.format is ${JSON.stringify(m.format)})`);
    if (canonicalKind(String(m.model)) !== model.kind)
      throw new Error(`resume: the checkpoint is of model '${m.model}', not '${model.kind}'`);
    const diffs = RESUME_KEYS.filter(
      (k) => k !== 'epochs' && JSON.stringify(m.options?.[k]) !== JSON.stringify(this.optionRecord[k]),
    ).map((k) => `${k}: checkpoint ${JSON.stringify(m.options?.[k])}, now ${JSON.stringify(this.optionRecord[k])}`);
    if (diffs.length) throw new Error(`resume: options differ from the checkpoint's (${diffs.join('; ')})`);
    this.startEpoch = pos.epoch = m.epoch!;
    pos.globalStep = m.globalStep!;
    pos.bestEpoch = m.bestEpoch!;
    pos.bestValidLoss = m.bestValidLoss!;
    pos.sinceBest = m.sinceBest ?? 0;
    pos.lastGood = { epoch: pos.epoch, bytes };
    if (pos.bestEpoch === pos.epoch) pos.best = bytes;
    else if (bestBytes) {
      const bm = checkpointMeta(bestBytes) as Partial<TrainCheckpointMeta>;
      if (bm.epoch !== pos.bestEpoch || bm.seed !== o.seed) {
        throw new Error(
          `resume: the best checkpoint given is epoch ${bm.epoch} of seed ${bm.seed}, expected epoch ${pos.bestEpoch} of seed ${o.seed}`,
        );
      }
      pos.best = bestBytes;
    }
    if (pos.globalStep !== pos.epoch * this.stepsPerEpoch) {
      throw new Error(
        `resume: ${pos.globalStep} steps after ${pos.epoch} epochs does not fit ${this.stepsPerEpoch} steps per epoch`,
      );
    }
  }

  /** Draws the masks (after a resume: they depend on the epochs already run) and starts the clock. */
  start(): void {
    const o = this.o;
    this.masks = new TrainingMasks(this.dataset, o, this.startEpoch);
    this.validMasks = validationMasks(
      this.dataset,
      o.validMissingRate ?? o.trainMissingRate,
      o.validMaskSeed ?? o.seed,
      o.keepSpecialTokens,
    );
    this.validPlan = batchIndices(this.nValid, o.batchSize);
    this.runStart = now();
  }

  /** Trains epoch `epoch` (0-based) and ends it; false when training stops early after it. */
  async epoch(epoch: number): Promise<boolean> {
    const tEpoch = now();
    this.model.train();
    const masks = this.masks.forEpoch(epoch);
    const order = batchIndices(this.trainInfo.n, this.trainInfo.n, {
      shuffleSeed: epochShuffleSeed(this.o.seed, epoch),
    })[0].subarray(0, this.nTrain);
    const plan = batchIndices(this.nTrain, this.o.batchSize).map((ix) => Int32Array.from(ix, (i) => order[i]));
    const steps: EpochSteps = { epoch: epoch + 1, tEpoch, plan, sums: new Map() };
    await this.trainSteps(steps, masks);
    const epochTrainSeconds = (now() - tEpoch) / 1000;
    this.trainSeconds += epochTrainSeconds;
    return this.endEpoch(steps, epochTrainSeconds);
  }

  /** The steps of one epoch; each step's loss terms are read back while the next step is recorded. */
  private async trainSteps(steps: EpochSteps, masks: KeepMasks): Promise<void> {
    let pending: PendingStep | null = null;
    try {
      for (let s = 0; s < steps.plan.length; s++) {
        const complete = this.dataset.batch('train', steps.plan[s]);
        const batch = lazyTrainingBatch(complete, applyMissing(complete, masks));
        if (!this.compiled) await this.compileFirst(batch, steps.epoch);
        const row = this.step(batch, steps.epoch, s + 1);
        this.pos.globalStep++;
        // Read this step's terms while the next step is recorded; check the previous step's now.
        const prev: PendingStep | null = pending;
        pending = {
          row,
          values: row.toArray(),
          step: s + 1,
          globalStep: this.pos.globalStep,
          size: steps.plan[s].length,
        };
        if (prev) await this.settle(prev, steps);
      }
      const last = pending;
      pending = null;
      if (last) await this.settle(last, steps);
    } catch (e) {
      // Let the in-flight readback finish before its tensor goes.
      const p = pending as PendingStep | null;
      if (p) {
        await p.values.catch(() => undefined);
        p.row.dispose();
      }
      throw e;
    }
  }

  /** Before the run's first step: its kernels compiled with a count (hooks.onCompile), from a dry run of the step. */
  private async compileFirst(batch: TrainingBatch, epoch: number): Promise<void> {
    this.compiled = true;
    const onCompile = this.hooks.onCompile;
    if (!onCompile) return;
    const termNames = this.termNames;
    const optimizers = [this.optimizer, ...Object.values(this.model.auxiliaryOptimizers?.() ?? {})].filter(
      (x): x is Optimizer => !!x,
    );
    const t0 = now();
    await compileAhead(() => this.step(batch, epoch, 0, true), optimizers, onCompile);
    this.compileSeconds = (now() - t0) / 1000;
    this.termNames = termNames;
  }

  /** One optimisation step; returns its loss terms (total, the model's, auxiliaryStep's) in one kept tensor. */
  private step(batch: TrainingBatch, epoch: number, step: number, dryRun = false): Tensor {
    const { model, optimizer, o } = this;
    const lr = this.lrAt(this.pos.globalStep);
    return tidy(() => {
      optimizer.setLr(lr);
      if (!dryRun) this.hooks.beforeStep?.({ epoch, step, globalStep: this.pos.globalStep, model, optimizer });
      const cache: StepCache = {};
      const aux = model.auxiliaryStep?.(batch, cache) ?? {};
      model.zeroGrad();
      const out = model.losses(batch, cache);
      out.total.backward();
      if (o.clipNorm)
        clipGradNorm(
          model.mainParameters().map(([, p]) => p),
          o.clipNorm,
        );
      optimizer.step();
      model.zeroGrad();
      const scalars: [string, Tensor][] = [['total', out.total], ...Object.entries(out.terms), ...Object.entries(aux)];
      const names = scalars.map(([n]) => n);
      if (!this.termNames) this.termNames = names;
      else if (names.join() !== this.termNames.join())
        throw new Error(`the model's loss terms changed from [${this.termNames}] to [${names}]`);
      const r = empty([scalars.length]).keep();
      scalars.forEach(([, t], i) => runtime().copy(t.buffer, r.buffer, 4, 0, 4 * i));
      return r;
    });
  }

  /** A step's terms, read back: checked for NaN/Inf, summed for the epoch's means, reported as progress. */
  private async settle(p: PendingStep, steps: EpochSteps): Promise<void> {
    let v: Float32Array;
    try {
      v = await p.values;
    } finally {
      p.row.dispose();
    }
    const names = this.termNames!;
    for (let i = 0; i < names.length; i++) {
      if (!Number.isFinite(v[i]))
        throw new TrainingDiverged(this.o.seed, steps.epoch, p.step, p.globalStep, names[i], v[i], this.pos.lastGood);
      steps.sums.set(names[i], (steps.sums.get(names[i]) ?? 0) + v[i] * p.size);
    }
    this.samplesDone += p.size;
    if (this.hooks.onProgress && (p.step % this.o.progressEvery === 0 || p.step === steps.plan.length))
      await this.progress(p, v, steps);
  }

  private async progress(p: PendingStep, v: Float32Array, steps: EpochSteps): Promise<void> {
    const o = this.o;
    const elapsed = (now() - this.runStart) / 1000;
    const stepsDoneHere = p.globalStep - this.startEpoch * this.stepsPerEpoch;
    const perStep = (this.trainSeconds + (now() - steps.tEpoch) / 1000) / Math.max(1, stepsDoneHere);
    const epochsLeft = o.epochs - steps.epoch;
    const perValid = this.history.length
      ? this.validSeconds / this.history.length
      : perStep * Math.ceil(this.nValid / o.batchSize) * 0.5;
    const terms: Record<string, number> = {};
    this.termNames!.forEach((n, i) => (terms[n] = v[i]));
    await this.hooks.onProgress!({
      seed: o.seed,
      epoch: steps.epoch,
      epochs: o.epochs,
      step: p.step,
      stepsPerEpoch: steps.plan.length,
      globalStep: p.globalStep,
      totalSteps: this.totalSteps,
      terms,
      lr: this.lrAt(p.globalStep - 1),
      samplesPerSec: this.samplesDone / Math.max(elapsed, 1e-9),
      etaSec: (this.totalSteps - p.globalStep) * perStep + (epochsLeft + 1) * perValid,
      elapsedSec: elapsed,
    });
  }

  /** Validation, model selection, checkpoints and the epoch's summary; false when training stops early. */
  private async endEpoch(steps: EpochSteps, epochTrainSeconds: number): Promise<boolean> {
    const { o, pos, model } = this;
    const e1 = steps.epoch;
    // Validation: L_total and its terms on the corrupted validation split, eval mode, no tape.
    const tValid = now();
    // The probes read this pass's features when the model gives them with its losses (DAR): no pass of their own.
    const read = this.hooks.probe && model.lossesInspect ? new ProbeAccumulator(this.nValid) : undefined;
    const valid = await validate(model, this.dataset, this.validMasks, this.validPlan, 'valid', read);
    const epochValidSeconds = (now() - tValid) / 1000;
    this.validSeconds += epochValidSeconds;
    for (const [name, v] of Object.entries(valid.terms)) {
      if (!Number.isFinite(v))
        throw new TrainingDiverged(
          o.seed,
          e1,
          steps.plan.length,
          pos.globalStep,
          `valid ${name}`,
          v,
          pos.lastGood,
          'validation',
        );
    }
    const validLoss = model.selectionLoss?.(valid.terms) ?? valid.terms.total;
    if (validLoss !== valid.terms.total) valid.terms.selection = validLoss;
    const improved = validLoss < pos.bestValidLoss;
    if (improved) {
      pos.bestValidLoss = validLoss;
      pos.bestEpoch = e1;
      pos.sinceBest = 0;
    } else pos.sinceBest++;
    pos.epoch = e1;
    const tCheckpoint = now();
    await this.checkpoint(improved, validLoss);
    const checkpointSeconds = (now() - tCheckpoint) / 1000;

    const train: Record<string, number> = {};
    const nSeen = steps.plan.reduce((s, b) => s + b.length, 0);
    for (const [k, v] of steps.sums) train[k] = v / nSeen;
    const tProbe = now();
    const probes = await this.hooks.probe?.(model, e1, read);
    const probeSeconds = (now() - tProbe) / 1000;
    const compileSeconds = this.compileSeconds;
    this.compileSeconds = 0;
    const rt = runtime();
    await rt.sync();
    const mem = rt.stats();
    const summary: EpochSummary = {
      seed: o.seed,
      epoch: e1,
      epochs: o.epochs,
      globalStep: pos.globalStep,
      train,
      valid: valid.terms,
      validMetrics: valid.metrics,
      improved,
      bestEpoch: pos.bestEpoch,
      bestValidLoss: pos.bestValidLoss,
      lr: this.lrAt(Math.max(0, pos.globalStep - 1)),
      seconds: (now() - steps.tEpoch) / 1000,
      trainSeconds: epochTrainSeconds,
      validSeconds: epochValidSeconds,
      compileSeconds,
      probeSeconds,
      checkpointSeconds,
      samplesPerSec: nSeen / epochTrainSeconds,
      memory: { liveBuffers: mem.liveBuffers, liveBytes: mem.liveBytes },
      ...(probes === undefined ? {} : { probes }),
    };
    this.history.push(summary);
    await this.hooks.onEpoch?.(summary);
    return !(pos.sinceBest >= o.patience && e1 < o.epochs);
  }

  /** 'best' on an improvement, 'last' after every epoch (written only when someone takes it or it is the best). */
  private async checkpoint(improved: boolean, validLoss: number): Promise<void> {
    const { pos, hooks } = this;
    if (!improved && !hooks.onCheckpoint) return;
    const meta: TrainCheckpointMeta = {
      ...this.baseMeta,
      epoch: pos.epoch,
      globalStep: pos.globalStep,
      validLoss,
      bestEpoch: pos.bestEpoch,
      bestValidLoss: pos.bestValidLoss,
      sinceBest: pos.sinceBest,
    };
    const bytes = await saveCheckpoint(this.model, this.optimizer, meta, {
      auxiliary: this.model.auxiliaryOptimizers?.(),
    });
    if (improved) pos.best = bytes;
    pos.lastGood = { epoch: pos.epoch, bytes };
    const kinds: ('best' | 'last')[] = improved ? ['best', 'last'] : ['last'];
    await hooks.onCheckpoint?.({
      seed: this.o.seed,
      kinds,
      epoch: pos.epoch,
      globalStep: pos.globalStep,
      validLoss,
      bytes,
    });
  }

  /** The model with its best epoch's weights, in eval mode, and the run's record. */
  async finish(stoppedEarly: boolean, t0: number): Promise<TrainResult> {
    const { model, optimizer, pos, history } = this;
    const epochsRun = history.length ? history[history.length - 1].epoch : this.startEpoch;
    let best = pos.best;
    if (!best) {
      // Resumed from a 'last' checkpoint without its best one and never improved since: keep the current weights.
      best =
        pos.lastGood?.bytes ??
        (await saveCheckpoint(
          model,
          optimizer,
          { ...this.baseMeta, epoch: epochsRun, globalStep: pos.globalStep },
          { auxiliary: model.auxiliaryOptimizers?.() },
        ));
    } else if (pos.bestEpoch !== epochsRun) {
      loadCheckpoint(best, model, optimizer, { auxiliary: model.auxiliaryOptimizers?.() });
    }
    model.eval();
    return {
      model,
      optimizer,
      seed: this.o.seed,
      bestEpoch: pos.bestEpoch,
      bestValidLoss: pos.bestValidLoss,
      best,
      epochsRun,
      globalStep: pos.globalStep,
      stoppedEarly,
      resumedFrom: this.startEpoch,
      history,
      seconds: (now() - t0) / 1000,
    };
  }
}
