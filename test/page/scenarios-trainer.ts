// Scenarios for the trainer and the robustness evaluation (src/app/train/), run on the `tiny` synthetic dataset with the
// late-fusion baseline (fast) and, once, DAR's small preset. The Node side (test/trainer.test.ts) asserts on what
// these return.

import type * as wgType from '../../src/app/all';
import { DAR, darConfig } from '../../src/app/models/dar/index';
import { LateFusion, lateFusion } from '../../src/app/models/latefusion';
import {
  checkpointMeta,
  evaluateRobustness,
  evaluateModalityDrop,
  constantPredictorMetrics,
  trainModel,
  TrainingDiverged,
  validate,
  type CheckpointInfo,
  type EpochSummary,
  type TrainOptions,
} from '../../src/app/train/index';
import type { ScenarioTable } from './scenarios';

type W = typeof wgType;

const tiny = (w: W) => w.syntheticMosi({ seed: 0, size: 'tiny' });

const epochRow = (e: EpochSummary) => ({
  epoch: e.epoch,
  train: e.train.total,
  valid: e.valid.total,
  improved: e.improved,
  bestEpoch: e.bestEpoch,
  globalStep: e.globalStep,
  lr: e.lr,
  memory: e.memory,
  mae: e.validMetrics.mae,
});

/** Every tensor of two checkpoints compared: the largest absolute difference, and whether metadata are equal. */
function compareCheckpoints(w: W, a: Uint8Array, b: Uint8Array) {
  const fa = w.parseSafetensors(a);
  const fb = w.parseSafetensors(b);
  const names = [...fa.tensors.keys()];
  let maxDiff = 0;
  let missing = 0;
  for (const n of names) {
    const eb = fb.tensors.get(n);
    if (!eb) {
      missing++;
      continue;
    }
    const x = w.entryToFloat32(fa.tensors.get(n)!, n);
    const y = w.entryToFloat32(eb, n);
    for (let i = 0; i < x.length; i++) maxDiff = Math.max(maxDiff, Math.abs(x[i] - y[i]));
  }
  return {
    tensors: names.length,
    optimizerTensors: names.filter((n) => n.startsWith('optim.')).length,
    auxiliaryTensors: names.filter((n) => n.startsWith('optim@')).length,
    missing: missing + [...fb.tensors.keys()].filter((n) => !fa.tensors.has(n)).length,
    maxDiff,
    sameMetadata: JSON.stringify(fa.metadata) === JSON.stringify(fb.metadata),
    sameBytes: a.length === b.length && a.every((v, i) => v === b[i]),
  };
}

function allFinite(w: W, bytes: Uint8Array): boolean {
  const f = w.parseSafetensors(bytes);
  for (const [n, e] of f.tensors) {
    const x = w.entryToFloat32(e, n);
    for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return false;
  }
  return true;
}

export const SCENARIOS = {
  /**
   * LateFusion on tiny: `epochs` epochs at `lr`; from epoch `spoilFrom` on (if given) the learning rate is forced to
   * `spoilLr` so the validation loss gets worse and the best epoch is an earlier one. Returns the per-epoch history,
   * the best epoch, and the validation loss of the returned model measured again (it must be the best epoch's).
   */
  trainLateFusion: async (
    {
      epochs,
      lr,
      spoilFrom,
      spoilLr,
      seed = 7,
      batchSize = 16,
      patience,
    }: {
      epochs: number;
      lr: number;
      spoilFrom?: number;
      spoilLr?: number;
      seed?: number;
      batchSize?: number;
      patience?: number;
    },
    w,
  ) => {
    const rt = w.runtime();
    await rt.sync();
    const before = rt.stats().liveBuffers;
    const ds = tiny(w);
    const opts: TrainOptions = { seed, epochs, lr, batchSize, trainMissingRate: 0.3, patience };
    const res = await trainModel(lateFusion(ds.dims), ds, opts, {
      beforeStep: (c) => {
        if (spoilFrom && spoilLr !== undefined && c.epoch >= spoilFrom) c.optimizer.setLr(spoilLr);
      },
      // What the probe hook returns lands in the epoch's summary; its 100 ms wait, in the summary's probeSeconds.
      probe: async (model, epoch) => {
        await new Promise((r) => setTimeout(r, 100));
        return { epoch, kind: model.kind, training: model.training };
      },
      onCompile: () => undefined,
    });
    const masks = new w.MissingField(ds.split('valid'), ds.dims, seed).masks(0.3);
    const again = await validate(res.model, ds, masks, w.batchIndices(ds.sizes.valid, batchSize));
    const out = {
      history: res.history.map(epochRow),
      probes: res.history.map((h) => h.probes),
      phases: res.history.map((h) => ({
        seconds: h.seconds,
        trainSeconds: h.trainSeconds,
        validSeconds: h.validSeconds,
        compileSeconds: h.compileSeconds,
        probeSeconds: h.probeSeconds,
        checkpointSeconds: h.checkpointSeconds,
      })),
      trainSeconds: res.seconds,
      bestEpoch: res.bestEpoch,
      bestValidLoss: res.bestValidLoss,
      epochsRun: res.epochsRun,
      stoppedEarly: res.stoppedEarly,
      returnedValidLoss: again.terms.total,
      returnedTraining: res.model.training,
      bestMeta: checkpointMeta(res.best),
    };
    res.optimizer.dispose();
    res.model.dispose();
    await rt.sync();
    return { ...out, liveBefore: before, liveAfter: rt.stats().liveBuffers };
  },

  /**
   * One epoch of LateFusion on tiny with `lrScales` (the text branch at 5×, everything else 1×), and the same without:
   * each parameter's lr multiplier in the trainer's optimizer, the scales recorded in the checkpoint's options, and
   * whether the text and audio branches end with other weights; then the RangeError of a bad scale.
   */
  trainLrScales: async (_args, w) => {
    const ds = tiny(w);
    const base: TrainOptions = { seed: 7, epochs: 1, lr: 5e-3, batchSize: 16 };
    const train = async (o: TrainOptions) => {
      const res = await trainModel(lateFusion(ds.dims), ds, o);
      const scales = Object.fromEntries(res.optimizer.params.map((p) => [p.name, p.lrScale]));
      const weights = async (prefix: string) =>
        (
          await Promise.all(
            res.model
              .namedParameters()
              .filter(([n]) => n.startsWith(prefix))
              .map(([, p]) => p.toArray()),
          )
        )
          .map((a) => Array.from(a))
          .flat();
      const out = {
        scales,
        text: await weights('text.'),
        audio: await weights('audio.'),
        meta: checkpointMeta(res.best),
      };
      res.optimizer.dispose();
      res.model.dispose();
      return out;
    };
    const scaled = await train({ ...base, lrScales: { 'text.': 5 } });
    const plain = await train(base);
    let error = '';
    try {
      await trainModel(lateFusion(ds.dims), ds, { ...base, lrScales: { 'text.': 0 } });
    } catch (e) {
      error = `${(e as Error).name}: ${(e as Error).message}`;
    }
    return {
      scales: scaled.scales,
      plainScales: plain.scales,
      textDiffers: JSON.stringify(scaled.text) !== JSON.stringify(plain.text),
      options: (scaled.meta as { options: Record<string, unknown> }).options,
      error,
    };
  },

  /**
   * Forces divergence: from epoch `nanEpoch` on the learning rate is 1e30, so the weights blow up and the loss of the
   * next step is infinite or NaN. Returns the error and whether the last checkpoint delivered before it is intact.
   */
  trainDiverges: async ({ epochs, nanEpoch, seed = 5 }: { epochs: number; nanEpoch: number; seed?: number }, w) => {
    const rt = w.runtime();
    await rt.sync();
    const before = rt.stats().liveBuffers;
    const ds = tiny(w);
    const checkpoints: CheckpointInfo[] = [];
    let error: {
      name: string;
      message: string;
      epoch?: number;
      step?: number;
      term?: string;
      value?: number;
      lastGoodEpoch?: number | null;
    } | null = null;
    let lastGood: Uint8Array | null = null;
    try {
      const res = await trainModel(
        lateFusion(ds.dims),
        ds,
        { seed, epochs, lr: 3e-3, batchSize: 16 },
        {
          beforeStep: (c) => {
            if (c.epoch >= nanEpoch) c.optimizer.setLr(1e30);
          },
          onCheckpoint: (c) => {
            checkpoints.push(c);
          },
        },
      );
      res.optimizer.dispose();
      res.model.dispose();
    } catch (e) {
      const err = e as TrainingDiverged;
      error = {
        name: err.name,
        message: err.message,
        epoch: err.epoch,
        step: err.step,
        term: err.term,
        value: err.value,
        lastGoodEpoch: err.lastGood?.epoch ?? null,
      };
      lastGood = err.lastGood?.bytes ?? null;
    }
    await rt.sync();
    const liveAfterFailure = rt.stats().liveBuffers;
    // The last checkpoint handed out is the last good one: finite, loadable into a fresh model, of the epoch before.
    const last = checkpoints[checkpoints.length - 1];
    let loads = false;
    let predictionsFinite = false;
    if (last) {
      const m = new LateFusion({ dims: ds.dims, seed: 99 });
      const opt = new w.AdamW(m.mainParameters(), { lr: 3e-3, weightDecay: 1e-4 });
      w.loadCheckpoint(last.bytes, m, opt);
      opt.dispose();
      loads = true;
      const b = ds.batch('test', [0, 1, 2]);
      const x = {
        text: w.tensor(b.text, [3, 50, 768]),
        audio: w.tensor(b.audio, [3, 375, 5]),
        vision: w.tensor(b.vision, [3, 500, 20]),
      };
      const p = await w.tidy(() => w.noGrad(() => m.predict(x))).toArray();
      predictionsFinite = p.every(Number.isFinite);
      w.dispose(x);
      m.dispose();
    }
    return {
      error,
      checkpointEpochs: checkpoints.map((c) => c.epoch),
      lastEpoch: last?.epoch ?? null,
      lastFinite: last ? allFinite(w, last.bytes) : false,
      errorCarriesLast: !!(lastGood && last && lastGood === last.bytes),
      loads,
      predictionsFinite,
      liveBefore: before,
      liveAfterFailure,
    };
  },

  /**
   * Resume: run A trains `epochs` epochs straight; run B resumes from A's checkpoint after `resumeAfter` epochs (and
   * A's best one, when that is earlier) and trains to the end. Compares B's final checkpoint with A's, tensor by
   * tensor (weights and AdamW state), and reports the optimizer's step counts right after the resume.
   */
  trainResume: async (
    {
      epochs,
      resumeAfter,
      seed = 11,
      lr = 3e-3,
      halfComplete = false,
      missingField = 'fixed',
      model = 'latefusion',
    }: {
      epochs: number;
      resumeAfter: number;
      seed?: number;
      lr?: number;
      halfComplete?: boolean;
      missingField?: 'fixed' | 'fresh';
      model?: 'latefusion' | 'dar';
    },
    w,
  ) => {
    const ds = tiny(w);
    const opts: TrainOptions = { seed, epochs, lr, batchSize: 16, halfComplete, missingField };
    // DAR also has the CLUB estimators' own Adam, whose state must survive the resume too.
    const factory =
      model === 'dar' ? (s: number) => new DAR(darConfig('small', ds.dims, { seed: s })) : lateFusion(ds.dims);
    const cpA: CheckpointInfo[] = [];
    const a = await trainModel(factory, ds, opts, { onCheckpoint: (c) => void cpA.push(c) });
    const stepsPerEpoch = a.history[0].globalStep;
    const from = cpA.find((c) => c.epoch === resumeAfter)!;
    const bestBefore = cpA.filter((c) => c.epoch <= resumeAfter && c.kinds.includes('best')).pop()!;
    const cpB: CheckpointInfo[] = [];
    let stepsAtResume: number[] = [];
    let firstGlobalStep = -1;
    const b = await trainModel(
      factory,
      ds,
      { ...opts, resume: from.bytes, resumeBest: bestBefore.bytes },
      {
        onCheckpoint: (c) => void cpB.push(c),
        beforeStep: (c) => {
          if (firstGlobalStep < 0) {
            firstGlobalStep = c.globalStep;
            stepsAtResume = Object.values(c.optimizer.state).map((s) => s.step);
          }
        },
      },
    );
    const lastA = cpA[cpA.length - 1];
    const lastB = cpB[cpB.length - 1];
    const out = {
      stepsPerEpoch,
      resumedFrom: b.resumedFrom,
      firstGlobalStep,
      stepsAtResume,
      epochsB: b.history.map((h) => h.epoch),
      lastEpochs: [lastA.epoch, lastB.epoch],
      final: compareCheckpoints(w, lastA.bytes, lastB.bytes),
      best: compareCheckpoints(w, a.best, b.best),
      bestEpochs: [a.bestEpoch, b.bestEpoch],
      validA: a.history.map((h) => h.valid.total),
      validB: b.history.map((h) => h.valid.total),
    };
    for (const r of [a, b]) {
      r.optimizer.dispose();
      r.model.dispose();
    }
    return out;
  },

  /** Robustness evaluation of a briefly trained LateFusion on tiny's test split at the ten LNLN rates. */
  /** The inter-modality setting vs the inference API with the same modalities passed as null. */
  evaluateDropTiny: async ({ seed = 3 }: { seed?: number }, w) => {
    const ds = tiny(w);
    const res = await trainModel(lateFusion(ds.dims), ds, { seed, epochs: 1, lr: 3e-3, batchSize: 16 });
    const rt = w.runtime();
    await rt.sync();
    const before = rt.stats().liveBuffers;
    const drops = await evaluateModalityDrop(res.model, ds, undefined, { batchSize: 5 });
    const after = rt.stats().liveBuffers;
    const b = ds.batch(
      'test',
      Array.from({ length: ds.sizes.test }, (_, i) => i),
    );
    const viaApi: Record<string, unknown> = {};
    for (const d of drops) {
      const x = { size: b.size, text: b.text, audio: b.audio, vision: b.vision } as Record<string, unknown>;
      for (const m of d.absent) x[m] = null;
      const p = await w.predictSentiment(res.model, x as unknown as wgType.FeatureBatch);
      viaApi[d.label] = w.regressionMetrics(p, b.labels);
    }
    res.optimizer.dispose();
    res.model.dispose();
    return {
      labels: drops.map((d) => d.label),
      n: drops.map((d) => d.n),
      metrics: drops.map((d) => d.metrics),
      viaApi,
      leaked: after - before,
    };
  },

  evaluateTiny: async ({ seed = 3 }: { seed?: number }, w) => {
    const rt = w.runtime();
    const ds = tiny(w);
    const res = await trainModel(lateFusion(ds.dims), ds, { seed, epochs: 2, lr: 3e-3, batchSize: 16 });
    await rt.sync();
    const before = rt.stats().liveBuffers;
    const results = await evaluateRobustness(res.model, ds, w.EVAL_RATES, w.LNLN_EVAL_SEED, {
      batchSize: 7,
      returnPredictions: true,
    });
    const again = await evaluateRobustness(res.model, ds, [0.9, 0], w.LNLN_EVAL_SEED, { batchSize: 32 });
    await rt.sync();
    const after = rt.stats().liveBuffers;
    // Rate 0 by hand: the complete test inputs (no position is dropped at rate 0: u > 0 always holds).
    const b = ds.batch(
      'test',
      Array.from({ length: ds.sizes.test }, (_, i) => i),
    );
    const x = {
      text: w.tensor(b.text, [b.size, 50, 768]),
      audio: w.tensor(b.audio, [b.size, 375, 5]),
      vision: w.tensor(b.vision, [b.size, 500, 20]),
    };
    const direct = await w.tidy(() => w.noGrad(() => res.model.predict(x))).toArray();
    w.dispose(x);
    res.optimizer.dispose();
    res.model.dispose();
    return {
      rates: results.map((r) => r.rate),
      n: results.map((r) => r.n),
      metrics: results.map((r) => r.metrics),
      preds0: Array.from(results[0].preds!),
      preds9: Array.from(results[9].preds!),
      direct0: Array.from(direct),
      labels: Array.from(results[0].labels!),
      againMetrics: again.map((r) => r.metrics),
      constant: constantPredictorMetrics(ds),
      liveBefore: before,
      liveAfter: after,
    };
  },

  /** DAR (small preset) through the trainer on tiny: the auxiliary CLUB step, all terms, memory, checkpoint. */
  trainDarTiny: async ({ epochs = 3, seed = 1111 }: { epochs?: number; seed?: number }, w) => {
    const ds = tiny(w);
    const rt = w.runtime();
    let progress = 0;
    let terms: string[] = [];
    const res = await trainModel(
      (s) => new DAR(darConfig('small', ds.dims, { seed: s })),
      ds,
      { seed, epochs, lr: 2e-3, batchSize: 16 },
      {
        onProgress: (p) => {
          progress++;
          terms = Object.keys(p.terms);
        },
      },
    );
    const evals = await evaluateRobustness(res.model, ds, [0, 0.5], 1111, { subset: 8 });
    const meta = checkpointMeta(res.best);
    const names = w.parseSafetensors(res.best).tensors;
    const out = {
      history: res.history.map(epochRow),
      progress,
      terms,
      evals: evals.map((e) => e.metrics.mae),
      meta: { model: meta.model, epoch: meta.epoch, bestEpoch: meta.bestEpoch },
      hasClubParams: [...names.keys()].some((n) => n.startsWith('club.')),
      hasOptimizerState: [...names.keys()].some((n) => n.startsWith('optim.')),
      validTerms: res.history.map((h) => h.valid),
      bestEpoch: res.bestEpoch,
      weights: { alpha: (res.model as DAR).config.alpha, lambda: (res.model as DAR).config.lambda },
    };
    res.optimizer.dispose();
    res.model.dispose();
    await rt.sync();
    return out;
  },
  /** A progress hook that throws (the demo's Stop) ends the evaluation with that error and leaves no promise unhandled. */
  evaluateHookThrows: async (_args, w) => {
    const rt = w.runtime();
    const ds = tiny(w);
    const model = lateFusion(ds.dims)(1);
    const rejections: string[] = [];
    const onRejection = (e: PromiseRejectionEvent) => {
      rejections.push(String(e.reason));
      e.preventDefault();
    };
    addEventListener('unhandledrejection', onRejection);
    let calls = 0;
    let error = '';
    try {
      await evaluateRobustness(model, ds, [0, 0.5, 0.9], 1111, {
        batchSize: 8,
        onProgress: () => {
          calls++;
          throw new Error('stop requested by the hook');
        },
      });
    } catch (e) {
      error = (e as Error).message;
    }
    // Let every readback still in flight settle, and the browser report what was left unhandled.
    await rt.sync();
    await new Promise((r) => setTimeout(r, 100));
    removeEventListener('unhandledrejection', onRejection);
    model.dispose();
    return { error, calls, rejections };
  },
} satisfies ScenarioTable;
