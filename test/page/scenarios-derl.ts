// Scenarios for the DERL model (src/app/models/derl): PyTorch parity on a fixture's weights and batch, predict() on
// incomplete input, a checkpoint round trip, router statistics, a leak check, bad input, the time of one training
// step, a short training on the tiny synthetic data, and topkSoftmax's argument checks. The Node side is
// test/derl.test.ts (and test/ops/topk.test.ts for derlTopkBad).

import type {
  Tensor,
  DatasetDims,
  DERL,
  DerlOverrides,
  DerlPreset,
  RegressionMetrics,
  SyntheticOptions,
} from '../../src/app/all';
import type { ModalityInputs } from '../../src/app/models/types';
import type * as wgType from '../../src/app/all';
import { trainModel, evaluateRobustness, type EpochSummary } from '../../src/app/train/index';
import type { ScenarioTable } from './scenarios';
import {
  badInputCases,
  decodeFixture,
  disposeBatch,
  disposeInputs,
  inputs,
  loadFixtureWeights,
  lossesAndGrads,
  memoryOverSteps,
  randomBatch,
  timeTrainingSteps,
  tryBeforeGpu,
} from './model-batches';

type W = typeof wgType;

/** One predict() call: the output, whether it recorded a tape, and the buffers it left alive. */
interface Prediction {
  shape: number[];
  values: number[];
  requiresGrad: boolean;
  liveAfter: number;
}
type Usage = Awaited<ReturnType<DERL['expertUsage']>>;

/** A DERL model to build: dataset shapes, batch size and seed. */
interface ModelArgs {
  dims: DatasetDims;
  B: number;
  seed: number;
}

const arr = async (t: Tensor) => Array.from(await t.toArray());

/** The DERL parity fixture (test/fixtures/make_derl_fixture.py): dims, cases, tensors, the batch on the GPU. */
function loadFixture(w: W, b64: string) {
  const fx = decodeFixture(w, b64);
  const dims = JSON.parse(fx.metadata.dims) as DatasetDims;
  const cases = JSON.parse(fx.metadata.cases) as { name: string; overrides: DerlOverrides }[];
  return { tensors: fx.tensors, dims, cases, batch: fx.batch };
}

/** The router gates and fusion importance of the corrupted-input path (the model's private path, for parity). */
function internals(model: DERL, x: ModalityInputs): { gp: Tensor; gs: Tensor; a: Tensor } {
  return model['path'](model['embedViews']([x]));
}

export const SCENARIOS = {
  /** topkSoftmax's argument checks: each must throw a WebgradError before any GPU work. */
  derlTopkBad: async (_args, w) => {
    const x = w.zeros([2, 3]).keep();
    const s = w.zeros([]).keep();
    const out = {
      kZero: await tryBeforeGpu(w, () => w.topkSoftmax(x, 0)),
      kFraction: await tryBeforeGpu(w, () => w.topkSoftmax(x, 1.5)),
      scalar: await tryBeforeGpu(w, () => w.topkSoftmax(s, 1)),
    };
    x.dispose();
    s.dispose();
    return out;
  },

  /**
   * PyTorch parity for one fixture case: builds its config, loads its weights, runs losses() + backward() on the
   * fixture's batch and returns the loss, the terms, the predictions, the gates, the importance and every gradient;
   * also predict() on the corrupted view.
   */
  derlParity: async ({ b64, name }: { b64: string; name: string }, w) => {
    const fx = loadFixture(w, b64);
    const c = fx.cases.find((x) => x.name === name);
    if (!c) throw new Error(`fixture has no case ${name}`);
    const model = new w.DERL(w.derlConfig('tiny', fx.dims, c.overrides));
    const { missing, unused } = loadFixtureWeights(w, model, fx.tensors, `${name}.`);
    const out = await w.tidyAsync(() => lossesAndGrads(model, fx.batch));
    model.zeroGrad();
    const inner = await w.tidyAsync(async () =>
      w.noGrad(async () => {
        const r = internals(model, fx.batch.corrupted);
        return { gatesP: await arr(r.gp), gatesS: await arr(r.gs), importance: await arr(r.a) };
      }),
    );
    const p = model.predict(fx.batch.corrupted);
    const predicted = await arr(p);
    p.dispose();
    model.dispose();
    disposeBatch(fx.batch);
    return { ...out, ...inner, predicted, missing, unused, kind: model.kind };
  },

  /**
   * Where L_orth's gradient goes, per orthGradient mode: backward() of the orth term alone, then the gradient norm of
   * each parameter group (alignment, embedding, routers, experts, everything else).
   */
  derlOrthGradient: async ({ dims, B, seed }: ModelArgs, w) => {
    const batch = randomBatch(w, dims, B, seed);
    const out: Record<string, Record<string, number>> = {};
    for (const mode of ['experts', 'full'] as const) {
      const model = new w.DERL(w.derlConfig('tiny', dims, { seed, orthGradient: mode }));
      w.tidy(() => model.losses(batch).terms.orth.backward());
      const groups: Record<string, number> = {};
      for (const [name, p] of model.namedParameters()) {
        const group = /^(align|embed|router_p|router_s|private_experts|shared_experts)\./.exec(name)?.[1] ?? 'other';
        const g = p.grad ? await p.grad.toArray() : new Float32Array(0);
        groups[group] = (groups[group] ?? 0) + g.reduce((a, x) => a + x * x, 0);
      }
      out[mode] = Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, Math.sqrt(v)]));
      model.dispose();
    }
    disposeBatch(batch);
    return out;
  },

  /**
   * Times full training steps (losses, backward, AdamW) and predict() of `preset` on one random batch of size B at the
   * dataset's shapes (timeTrainingSteps), with the parameter count.
   */
  derlStepTime: async (
    {
      preset,
      dims,
      overrides,
      B,
      steps,
      seed,
    }: ModelArgs & { preset: DerlPreset; overrides?: DerlOverrides; steps: number },
    w,
  ) => {
    const model = new w.DERL(w.derlConfig(preset, dims, { seed, ...(overrides ?? {}) }));
    const batch = randomBatch(w, dims, B, seed);
    const r = await timeTrainingSteps(w, model, batch, steps, { predict: true });
    const parameters = model.mainParameters().reduce((a, [, p]) => a + p.size, 0);
    model.dispose();
    disposeBatch(batch);
    return { ...r, parameters };
  },

  /**
   * predict() on complete and incomplete inputs (dropped tokens/frames, each single modality or pair of modalities
   * missing, everything missing); it must agree with losses().pred, record no tape and leave nothing alive but the
   * prediction.
   */
  derlPredict: async ({ dims, B, seed }: ModelArgs, w) => {
    const rt = w.runtime();
    const model = new w.DERL(w.derlConfig('tiny', dims, { seed, textUnk: 'learned' }));
    w.runtime().write(
      model.text_unk!.buffer,
      Float32Array.from({ length: dims.text.dim }, (_, i) => Math.sin(i + 1)),
    );
    const batch = randomBatch(w, dims, B, seed);
    const made: ModalityInputs[] = [];
    const drop = (zero: string[]) => {
      const x = inputs(w, dims, B, seed, zero);
      made.push(x);
      return x;
    };
    const cases: Record<string, ModalityInputs> = {
      complete: batch.complete,
      corrupted: batch.corrupted,
      corruptedNoMask: { text: batch.corrupted.text, audio: batch.corrupted.audio, vision: batch.corrupted.vision },
      noText: drop(['text']),
      noAudio: drop(['audio']),
      noVision: drop(['vision']),
      textOnly: drop(['audio', 'vision']),
      audioOnly: drop(['text', 'vision']),
      visionOnly: drop(['text', 'audio']),
      allZero: drop(['text', 'audio', 'vision']),
    };
    const predictions: Record<string, Prediction> = {};
    for (const [name, x] of Object.entries(cases)) {
      await rt.sync();
      const live0 = rt.stats().liveBuffers;
      const p = model.predict(x);
      await rt.sync();
      predictions[name] = {
        shape: [...p.shape],
        values: await arr(p),
        requiresGrad: p.requiresGrad,
        liveAfter: rt.stats().liveBuffers - live0,
      };
      p.dispose();
    }
    const lossesPred = await w.tidyAsync(async () => arr(model.losses(batch).pred));
    for (const x of made) disposeInputs(x);
    model.dispose();
    disposeBatch(batch);
    return { predictions, lossesPred };
  },

  /**
   * Checkpoint round trip: train a few steps, save (parameters + AdamW state), load into a model built with another
   * seed, and predict again; also a strict load into a model of another architecture must fail.
   */
  derlCheckpoint: async ({ dims, B, seed }: ModelArgs, w) => {
    const model = new w.DERL(w.derlConfig('tiny', dims, { seed }));
    const opt = new w.AdamW(model.mainParameters(), { lr: 3e-3, weightDecay: 1e-4 });
    const batch = randomBatch(w, dims, B, seed);
    for (let s = 0; s < 3; s++) {
      w.tidy(() => {
        opt.zeroGrad();
        model.losses(batch).total.backward();
        opt.step();
      });
    }
    const p0 = model.predict(batch.corrupted);
    const before = await arr(p0);
    p0.dispose();
    const bytes = await w.saveCheckpoint(model, opt, { kind: model.kind });
    const other = new w.DERL(w.derlConfig('tiny', dims, { seed: seed + 1 }));
    const p1 = other.predict(batch.corrupted);
    const otherBefore = await arr(p1);
    p1.dispose();
    const opt2 = new w.AdamW(other.mainParameters(), { lr: 3e-3, weightDecay: 1e-4 });
    const res = w.loadCheckpoint(bytes, other, opt2);
    const p2 = other.predict(batch.corrupted);
    const after = await arr(p2);
    p2.dispose();
    // One more identical step on both keeps them equal (the optimizer state came along).
    for (const [m, o] of [
      [model, opt],
      [other, opt2],
    ] as const) {
      w.tidy(() => {
        o.zeroGrad();
        m.losses(batch).total.backward();
        o.step();
      });
    }
    const q1 = model.predict(batch.corrupted);
    const q2 = other.predict(batch.corrupted);
    const stepA = await arr(q1);
    const stepB = await arr(q2);
    q1.dispose();
    q2.dispose();
    const wrong = new w.DERL(w.derlConfig('tiny', dims, { seed, experts: { shared: 5 } }));
    let wrongError = '';
    try {
      w.loadCheckpoint(bytes, wrong);
    } catch (e) {
      wrongError = `${(e as Error).name}: ${(e as Error).message}`;
    }
    const names = model.namedParameters().map(([n]) => n);
    for (const x of [opt, opt2]) x.dispose();
    for (const m of [model, other, wrong]) m.dispose();
    disposeBatch(batch);
    return { before, otherBefore, after, stepA, stepB, meta: res.meta, wrongError, bytes: bytes.length, names };
  },

  /**
   * Router statistics: after predict() on a few batches, expertUsage() (also after resetUsage() and after more
   * predictions), for a soft-routed and a top-k model.
   */
  derlUsage: async ({ dims, B, seed }: ModelArgs, w) => {
    const out: Record<string, { fresh: Usage; usage: Usage; reset: Usage; again: Usage; samples: number }> = {};
    for (const [name, topK] of [
      ['soft', 0],
      ['topk', 1],
    ] as const) {
      const model = new w.DERL(w.derlConfig('tiny', dims, { seed, experts: { topK } }));
      const fresh = await model.expertUsage();
      const sizes = [B, 3, B + 2];
      for (let i = 0; i < sizes.length; i++) {
        const x = inputs(w, dims, sizes[i], seed + 10 * i);
        model.predict(x).dispose();
        disposeInputs(x);
      }
      const usage = await model.expertUsage();
      model.resetUsage();
      const reset = await model.expertUsage();
      const x = inputs(w, dims, B, seed);
      model.predict(x).dispose();
      // losses() does not count.
      const batch = randomBatch(w, dims, B, seed);
      w.tidy(() => void model.losses(batch));
      const again = await model.expertUsage();
      disposeInputs(x);
      disposeBatch(batch);
      model.dispose();
      out[name] = { fresh, usage, reset, again, samples: sizes.reduce((a, b) => a + b, 0) };
    }
    return out;
  },

  /** Training steps in tidy(): memory counters after every step, and what is left after disposing everything. */
  derlLeak: async ({ dims, B, steps, seed }: ModelArgs & { steps: number }, w) =>
    memoryOverSteps(w, () => new w.DERL(w.derlConfig('tiny', dims, { seed, experts: { topK: 2 } })), dims, {
      B,
      steps,
      seed,
      lr: 3e-3,
      predict: true,
    }),

  /** Bad inputs and configs: each must throw a WebgradError naming DERL before any GPU work. */
  derlBadInput: async ({ dims, seed }: Omit<ModelArgs, 'B'>, w) => {
    const model = new w.DERL(w.derlConfig('tiny', dims, { seed }));
    const { cases, dispose } = badInputCases(w, model, dims, 3, seed);
    const all: Record<string, () => unknown> = {
      ...cases,
      configPreset: () => w.derlConfig('huge' as 'small', dims),
      configDims: () => w.derlConfig('small', { ...dims, audio: { len: 0, dim: 5 } }),
      configExperts: () => w.derlConfig('small', dims, { experts: { shared: 0 } }),
      configTopK: () => w.derlConfig('small', dims, { experts: { topK: -1 } }),
      configWeight: () => w.derlConfig('small', dims, { weights: { orth: -0.1 } }),
      configWeightName: () => w.derlConfig('small', dims, { weights: { ortho: 0.1 } as DerlOverrides['weights'] }),
      configConsistency: () => w.derlConfig('small', dims, { consistency: 'mmd' as 'cmd' }),
      configOrthGradient: () => w.derlConfig('small', dims, { orthGradient: 'embedding' as 'full' }),
    };
    const out: Record<string, Awaited<ReturnType<typeof tryBeforeGpu>>> = {};
    for (const [name, f] of Object.entries(all)) out[name] = await tryBeforeGpu(w, f);
    dispose();
    model.dispose();
    return out;
  },

  /**
   * A short training with the trainer on synthetic MOSI (`size` 'tiny' or 'full', optionally a subset per epoch),
   * then the robustness evaluation at `rates` with the router statistics of each rate; the term names of every
   * weight-0 variant are checked elsewhere. Returns the epoch history and the usage per rate.
   */
  derlTrain: async (
    {
      size,
      preset,
      overrides,
      epochs,
      lr,
      batchSize,
      seed,
      trainSubset,
      rates,
      testSubset,
    }: {
      size: SyntheticOptions['size'];
      preset: DerlPreset;
      overrides?: DerlOverrides;
      epochs: number;
      lr: number;
      batchSize: number;
      seed: number;
      trainSubset?: number;
      rates: number[];
      testSubset?: number;
    },
    w,
  ) => {
    const ds = w.syntheticMosi({ seed: 0, size });
    const t0 = performance.now();
    const res = await trainModel(
      (s) => new w.DERL(w.derlConfig(preset, ds.dims, { seed: s, ...(overrides ?? {}) })),
      ds,
      { seed, epochs, lr, batchSize, trainSubset },
    );
    const trainSeconds = (performance.now() - t0) / 1000;
    const model = res.model as DERL;
    const perRate: { rate: number; metrics: RegressionMetrics; usage: Usage }[] = [];
    for (const rate of rates) {
      model.resetUsage();
      const [r] = await evaluateRobustness(model, ds, [rate], w.LNLN_EVAL_SEED, { batchSize: 64, subset: testSubset });
      perRate.push({ rate, metrics: r.metrics, usage: await model.expertUsage() });
    }
    const history = res.history.map((e: EpochSummary) => ({
      epoch: e.epoch,
      train: e.train,
      valid: e.valid.total,
      mae: e.validMetrics.mae,
      seconds: e.seconds,
    }));
    res.optimizer.dispose();
    model.dispose();
    return { history, bestEpoch: res.bestEpoch, trainSeconds, perRate };
  },
} satisfies ScenarioTable;
