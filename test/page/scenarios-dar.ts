// Scenarios for the DAR model (src/app/models/dar): shapes and terms of a forward pass, PyTorch parity on a fixture's
// weights and batch, the ablation switches, predict() on incomplete input, a leak check over tidy training steps, bad
// input, and the time of one training step. The Node side is test/dar.test.ts.

import type { Tensor, DatasetDims, DarOverrides, DarPreset } from '../../src/app/all';
import type { ModalityInputs } from '../../src/app/models/types';
import type * as wgType from '../../src/app/all';
import type { ScenarioTable } from './scenarios';
import {
  badInputCases,
  decodeFixture,
  disposeBatch,
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
/** One ablation's training step: total and terms, the largest gradient of each exclusive parameter, and the rest. */
interface AblationResult {
  total: number;
  terms: Record<string, number>;
  exclusive: Record<string, number | null>;
  withoutGrad: string[];
  auxKeys: string[];
}
type Tried = Awaited<ReturnType<typeof tryBeforeGpu>>;

/** A DAR model to build: dataset shapes, config overrides, batch size and seed. */
interface ModelArgs {
  dims: DatasetDims;
  overrides?: DarOverrides;
  B: number;
  seed: number;
}

const arr = async (t: Tensor) => Array.from(await t.toArray());

/** The DAR parity fixture (test/fixtures/make_dar_fixture.py): its config, tensors and batch. */
function loadFixture(w: W, b64: string) {
  const fx = decodeFixture(w, b64);
  const { dims, overrides } = JSON.parse(fx.metadata.config);
  const get = (name: string) => {
    const t = fx.tensors.get(name);
    if (!t) throw new Error(`fixture has no ${name}`);
    return t;
  };
  return { ...fx, dims, overrides, get };
}

export const SCENARIOS = {
  /**
   * PyTorch parity: builds the fixture's config, loads its weights, runs losses() + backward() on its batch and returns
   * the loss, the terms, the predictions and every main gradient; then the CLUB estimators' objective and gradients.
   */
  darParity: async ({ b64 }: { b64: string }, w) => {
    const fx = loadFixture(w, b64);
    const model = new w.DAR(w.darConfig('small', fx.dims, fx.overrides));
    const { missing, unused } = loadFixtureWeights(w, model, fx.tensors);
    const out = await w.tidyAsync(async () => {
      const r = await lossesAndGrads(model, fx.batch);
      const clubGradsFromMain = model
        .clubParameters()
        .filter(([, p]) => p.grad !== null)
        .map(([n]) => n);
      return { ...r, clubGradsFromMain };
    });
    model.zeroGrad();
    // The estimators' objective: −Σ_m loglik_m on detached corrupted-input features (one auxiliary inner step's loss).
    const club = await w.tidyAsync(async () => {
      const feats = w.noGrad(() => model['encodeViews']([fx.batch.corrupted]).h);
      const part = (k: number) => w.reshape(w.slice(feats, 0, k, k + 1), feats.shape.slice(1));
      const ll = (['l', 'v', 'a'] as const)
        .map((m, k) => model.club.get(m).logLikelihood(part(3 + k), part(k)))
        .reduce((a, b) => w.add(a, b));
      w.neg(ll).backward();
      const grads: Record<string, number[] | null> = {};
      for (const [name, p] of model.clubParameters()) grads[name] = p.grad ? await arr(p.grad) : null;
      const mainGrads = model
        .mainParameters()
        .filter(([, p]) => p.grad !== null)
        .map(([n]) => n);
      return { ll: await ll.item(), grads, mainGrads };
    });
    // auxiliaryStep returns the same log-likelihood (before its Adam step).
    const aux = await w.tidyAsync(async () => (await model.auxiliaryStep(fx.batch).club_ll?.item()) ?? null);
    model.dispose();
    disposeBatch(fx.batch);
    return { ...out, missing, unused, club, auxLl: aux, predictEqual: null };
  },

  /** Time and dispatch counts of each phase of a training step (aux, forward, backward, optimizer), medians. */

  /**
   * Times full training steps (auxiliaryStep, losses, backward, AdamW) of `preset` on one random batch of size B at
   * the dataset's shapes (timeTrainingSteps), with the parameter counts.
   */
  darStepTime: async (
    { preset, dims, overrides, B, steps, seed }: ModelArgs & { preset: DarPreset; steps: number },
    w,
  ) => {
    const model = new w.DAR(w.darConfig(preset, dims, { seed, ...(overrides ?? {}) }));
    const batch = randomBatch(w, dims, B, seed);
    const r = await timeTrainingSteps(w, model, batch, steps);
    const mainCount = model.mainParameters().reduce((a, [, p]) => a + p.size, 0);
    const clubCount = model.clubParameters().reduce((a, [, p]) => a + p.size, 0);
    model.dispose();
    disposeBatch(batch);
    return { ...r, mainCount, clubCount };
  },

  /**
   * `steps` training steps of DAR (as bench/dar-step.ts runs them: auxiliaryStep, losses, backward, AdamW) twice from
   * the same seed: with the engine's launch savings (multi-tensor Adam for AdamW and the CLUB estimators' Adam, folded
   * small sums, the launch fusions of src/engine/fusion.ts), and without them (one Adam dispatch per parameter, two-pass sums), as the engine ran before them.
   * Returns each run's L_total per step and dispatches per step.
   */
  darStepDispatches: async ({ dims, B, steps, seed }: Omit<ModelArgs, 'overrides'> & { steps: number }, w) => {
    const rt = w.runtime();
    const batch = randomBatch(w, dims, B, seed);
    const runSteps = async (savings: boolean) => {
      w.setSumFolding(savings);
      w.setLaunchFusions(savings);
      const model = new w.DAR(w.darConfig('small', dims, { seed }));
      model.train();
      const opt = new w.AdamW(model.mainParameters(), { lr: 1e-4, weightDecay: 1e-4, multiTensor: savings });
      (model.auxiliaryOptimizers().club as wgType.Adam).multiTensor = savings;
      const losses: number[] = [];
      const dispatches: number[] = [];
      try {
        for (let s = 0; s < steps; s++) {
          await rt.sync();
          const d0 = rt.stats().dispatches;
          const total = w.tidy(() => {
            const cache = {};
            model.auxiliaryStep(batch, cache);
            model.zeroGrad();
            const out = model.losses(batch, cache);
            out.total.backward();
            opt.step();
            model.zeroGrad();
            return out.total.keep();
          });
          dispatches.push(rt.stats().dispatches - d0);
          losses.push(await total.item());
          total.dispose();
        }
      } finally {
        w.setSumFolding(true);
        w.setLaunchFusions(true);
        opt.dispose();
        model.dispose();
      }
      return { losses, dispatches };
    };
    const fast = await runSteps(true);
    const before = await runSteps(false);
    disposeBatch(batch);
    return { fast, before, tuning: rt.tuning.profile };
  },

  /**
   * losses() given the StepCache that auxiliaryStep() filled on the same batch reuses the encodings the step made;
   * without it (or with the cache but a copy of the batch object) it computes them again. Returns both totals, the
   * largest |difference| over every main gradient, the dispatches each losses() recorded, and the dispatches of
   * losses() given the cache but a copy of the batch.
   */
  darStepEncoding: async ({ dims, overrides, B, seed }: ModelArgs, w) => {
    const rt = w.runtime();
    const batch = randomBatch(w, dims, B, seed);
    // Two models of the same seed (same weights, fresh estimator optimisers): one reuses, one recomputes.
    const run = async (mode: 'cache' | 'none' | 'copy') => {
      const model = new w.DAR(w.darConfig('small', dims, { ...overrides, seed }));
      const out = await w.tidyAsync(async () => {
        const cache = mode === 'none' ? undefined : {};
        model.auxiliaryStep(batch, cache);
        model.zeroGrad();
        await rt.sync();
        const d0 = rt.stats().dispatches;
        const { total } = model.losses(mode === 'copy' ? { ...batch } : batch, cache);
        const dispatches = rt.stats().dispatches - d0;
        total.backward();
        const grads = new Map<string, Float32Array>();
        for (const [n, p] of model.mainParameters()) if (p.grad) grads.set(n, await p.grad.toArray());
        return { total: await total.item(), grads, dispatches };
      });
      model.dispose();
      return out;
    };
    const reused = await run('cache');
    const fresh = await run('none');
    const copy = await run('copy');
    let maxDiff = 0;
    for (const [n, g] of fresh.grads) {
      const h = reused.grads.get(n)!;
      for (let i = 0; i < g.length; i++) maxDiff = Math.max(maxDiff, Math.abs(g[i] - h[i]));
    }
    const sameKeys = [...fresh.grads.keys()].join() === [...reused.grads.keys()].join();
    disposeBatch(batch);
    return {
      reused: reused.total,
      fresh: fresh.total,
      maxDiff,
      sameKeys,
      grads: fresh.grads.size,
      dispatches: { reused: reused.dispatches, fresh: fresh.dispatches, copy: copy.dispatches },
    };
  },

  /**
   * Every ablation of DAR_ABLATIONS on the same weights (same seed) and batch: the terms, the total, and for the
   * parameters only one term reaches (dec.* for L_recon, boot_head.* for L_boot) the largest |gradient| (null when
   * no gradient was made). Also what auxiliaryStep returns.
   */
  darAblations: async ({ dims, overrides, B, seed }: ModelArgs, w) => {
    const batch = randomBatch(w, dims, B, seed);
    const ablations: Record<string, AblationResult> = {};
    for (const name of w.DAR_ABLATIONS) {
      const model = new w.DAR(w.darConfig('small', dims, { ...overrides, seed, ablation: name }));
      ablations[name] = await w.tidyAsync(async (): Promise<AblationResult> => {
        const cache = {}; // a training step's: losses() starts from the step's encodings
        const aux = model.auxiliaryStep(batch, cache);
        model.zeroGrad();
        const { total, terms } = model.losses(batch, cache);
        total.backward();
        const termVals: Record<string, number> = {};
        for (const [k, v] of Object.entries(terms)) termVals[k] = await v.item();
        const exclusive: Record<string, number | null> = {};
        for (const [n, p] of model.mainParameters()) {
          if (!n.startsWith('dec.') && !n.startsWith('boot_head.')) continue;
          exclusive[n] = p.grad ? Math.max(...Array.from(await p.grad.toArray(), Math.abs)) : null;
        }
        const others = model
          .mainParameters()
          .filter(([n, p]) => !n.startsWith('dec.') && !n.startsWith('boot_head.') && p.grad === null)
          .map(([n]) => n);
        return {
          total: await total.item(),
          terms: termVals,
          exclusive,
          withoutGrad: others,
          auxKeys: Object.keys(aux),
        };
      });
      model.dispose();
    }
    disposeBatch(batch);
    // A batch of one: the same term names (L_sim^spec has no pair to make and is 0).
    const one = randomBatch(w, dims, 1, seed + 1);
    const model = new w.DAR(w.darConfig('small', dims, { ...overrides, seed }));
    const batchOfOne = await w.tidyAsync(async () => {
      const { terms, pred } = model.losses(one);
      return { names: Object.keys(terms), simSpec: await terms.sim_spec.item(), predShape: [...pred.shape] };
    });
    model.dispose();
    disposeBatch(one);
    return { ablations, batchOfOne };
  },

  /**
   * predict() on complete and incomplete inputs (a zeroed modality, two zeroed modalities, dropped text tokens with the
   * learned [UNK]); it must agree with losses().pred on the same input, record no tape and leave nothing alive.
   */
  darPredict: async ({ dims, overrides, B, seed }: ModelArgs, w) => {
    const rt = w.runtime();
    const model = new w.DAR(w.darConfig('small', dims, { ...overrides, seed, textUnk: 'learned' }));
    w.runtime().write(
      model.text_unk!.buffer,
      Float32Array.from({ length: dims.text.dim }, (_, i) => Math.sin(i + 1)),
    );
    const batch = randomBatch(w, dims, B, seed);
    const cases: Record<string, ModalityInputs> = {
      complete: batch.complete,
      corrupted: batch.corrupted,
      corruptedNoMask: { text: batch.corrupted.text, audio: batch.corrupted.audio, vision: batch.corrupted.vision },
      textOnly: inputs(w, dims, B, seed, ['audio', 'vision']),
      noText: inputs(w, dims, B, seed, ['text']),
      allZero: inputs(w, dims, B, seed, ['text', 'audio', 'vision']),
    };
    const predictions: Record<string, Prediction> = {};
    for (const [name, x] of Object.entries(cases)) {
      await rt.sync();
      const live0 = rt.stats().liveBuffers;
      const p = model.predict(x);
      await rt.sync();
      const liveAfter = rt.stats().liveBuffers - live0; // the prediction itself only
      predictions[name] = { shape: [...p.shape], values: await arr(p), requiresGrad: p.requiresGrad, liveAfter };
      p.dispose();
    }
    // The training path's prediction on the corrupted view equals predict().
    const lossesPred = await w.tidyAsync(async () => arr(model.losses(batch).pred));
    for (const name of ['textOnly', 'noText', 'allZero'])
      for (const t of Object.values(cases[name])) (t as Tensor).dispose();
    model.dispose();
    disposeBatch(batch);
    return { predictions, lossesPred };
  },

  /** L_sim^spec's reduction over modalities: the same model and batch with simSpecReduction 'mean' and 'sum'. */
  darSimSpecReduction: async ({ dims, overrides, B, seed }: ModelArgs, w) => {
    const batch = randomBatch(w, dims, B, seed);
    const terms: Record<string, Record<string, number>> = {};
    for (const simSpecReduction of ['mean', 'sum'] as const) {
      const model = new w.DAR(w.darConfig('small', dims, { ...overrides, seed, simSpecReduction }));
      terms[simSpecReduction] = await w.tidyAsync(async () => {
        const out = w.noGrad(() => model.losses(batch));
        const r: Record<string, number> = {};
        for (const k of ['sim_com', 'sim_spec', 'sim']) r[k] = (await arr(out.terms[k]))[0];
        return r;
      });
      model.dispose();
    }
    disposeBatch(batch);
    return terms;
  },

  /**
   * simPool: the same model and batch with L_sim comparing time means ('mean') and all of H ('flat'): the loss terms,
   * and inspect()'s z and zSim (zSim is what L_sim compares).
   */
  darSimPool: async ({ dims, overrides, B, seed }: ModelArgs, w) => {
    const batch = randomBatch(w, dims, B, seed);
    const out: Record<string, { sim_com: number; sim_spec: number; z: number[]; zSim: number[]; zSimShape: number[] }> =
      {};
    for (const simPool of ['mean', 'flat'] as const) {
      const model = new w.DAR(w.darConfig('small', dims, { ...overrides, seed, simPool }));
      out[simPool] = await w.tidyAsync(async () => {
        const terms = w.noGrad(() => model.losses(batch)).terms;
        const o = model.inspect(batch.corrupted, batch.complete);
        return {
          sim_com: (await arr(terms.sim_com))[0],
          sim_spec: (await arr(terms.sim_spec))[0],
          z: await arr(o.z),
          zSim: await arr(o.zSim),
          zSimShape: [...o.zSim.shape],
        };
      });
      model.dispose();
    }
    disposeBatch(batch);
    return out;
  },

  /** alignInit: the alignment's mix-over-time weights of each modality, per init (min, max, mean, T_m). */
  darAlignInit: async ({ dims, overrides, seed }: ModelArgs, w) => {
    const out: Record<string, Record<string, { min: number; max: number; mean: number; T: number }>> = {};
    for (const alignInit of ['kaiming', 'average'] as const) {
      const model = new w.DAR(w.darConfig('small', dims, { ...overrides, seed, alignInit }));
      out[alignInit] = {};
      for (const m of ['l', 'v', 'a'] as const) {
        const c = model.align.get(m).conv;
        const v = await arr(c.weight);
        out[alignInit][m] = {
          min: Math.min(...v),
          max: Math.max(...v),
          mean: v.reduce((a, b) => a + b, 0) / v.length,
          T: c.inChannels,
        };
      }
      model.dispose();
    }
    return out;
  },

  /** posInit: the decoupling encoders' learned positions (G, t, d) of each init, as flat arrays. */
  darPosInit: async ({ dims, overrides, seed }: ModelArgs, w) => {
    const out: Record<string, { shape: number[]; values: number[] }> = {};
    for (const posInit of ['randn', 'centred'] as const) {
      const model = new w.DAR(w.darConfig('small', dims, { ...overrides, seed, posInit }));
      const p = model.enc.pos_embedding;
      out[posInit] = { shape: [...p.shape], values: await arr(p) };
      model.dispose();
    }
    return out;
  },

  /** inspect() (the probes' view of DAR) on a corrupted batch and on the complete one given as both views. */
  darInspect: async ({ dims, overrides, B, seed }: ModelArgs, w) => {
    const rt = w.runtime();
    const model = new w.DAR(w.darConfig('small', dims, { ...overrides, seed }));
    const batch = randomBatch(w, dims, B, seed);
    const read = async (x: ModalityInputs, y: ModalityInputs) => {
      await rt.sync();
      const live0 = rt.stats().liveBuffers;
      const o = model.inspect(x, y);
      await rt.sync();
      const live = rt.stats().liveBuffers - live0;
      const out: Record<string, { shape: number[]; values: number[]; requiresGrad: boolean }> = {};
      for (const [k, t] of Object.entries(o)) {
        out[k] = { shape: [...t.shape], values: await arr(t), requiresGrad: t.requiresGrad };
        t.dispose();
      }
      return { out, live };
    };
    const corrupted = await read(batch.corrupted, batch.complete);
    const same = await read(batch.complete, batch.complete);
    model.dispose();
    disposeBatch(batch);
    return { corrupted, same, d: model.config.d };
  },

  /**
   * Training steps in tidy() (auxiliaryStep, losses, backward, AdamW): memory counters after every step from the
   * second on, and the live buffers left after disposing model, optimizer and batch.
   */
  darLeak: async ({ dims, overrides, B, steps, seed }: ModelArgs & { steps: number }, w) =>
    memoryOverSteps(w, () => new w.DAR(w.darConfig('small', dims, { ...overrides, seed })), dims, {
      B,
      steps,
      seed,
      lr: 1e-3,
    }),

  /** Bad inputs and configs: each must throw a WebgradError naming DAR before any GPU work. */
  darBadInput: async ({ dims, overrides, seed }: Omit<ModelArgs, 'B'>, w) => {
    const model = new w.DAR(w.darConfig('small', dims, { ...overrides, seed }));
    const { cases, good, bad, dispose } = badInputCases(w, model, dims, 3, seed);
    const all: Record<string, () => unknown> = {
      ...cases,
      auxBadInput: () => model.auxiliaryStep({ ...good, corrupted: { ...good.corrupted, text: bad.textRank2 } }),
      configOddLstm: () => w.darConfig('small', dims, { club: { lstmHidden: 3 } }),
      configPreset: () => w.darConfig('huge' as 'small', dims),
      configDims: () => w.darConfig('small', { ...dims, audio: { len: 0, dim: 5 } }),
      configTau: () => w.darConfig('small', dims, { tau: 0 }),
      configSimPool: () => w.darConfig('small', dims, { simPool: 'max' as 'mean' }),
      configAlignInit: () => w.darConfig('small', dims, { alignInit: 'zeros' as 'average' }),
      configPosInit: () => w.darConfig('small', dims, { posInit: 'zeros' as 'centred' }),
    };
    const out: Record<string, Tried> = {};
    for (const [name, f] of Object.entries(all)) out[name] = await tryBeforeGpu(w, f);
    dispose();
    model.dispose();
    return out;
  },

  /**
   * One DAR training step (auxiliaryStep, losses, backward, AdamW) on a device made with WebGPU's DEFAULT limits
   * (`adapter.requestDevice()`, no requiredLimits: 8 storage buffers per stage, 16 KiB workgroup memory, 256
   * invocations), passed to init({ device, adapter, tuning }), under each tuning profile from the same seed. Returns
   * per profile the device's limits, the step's losses, the attention kernels it ran, and the largest gradient; and the
   * largest difference between the two profiles' gradients. A kernel over a default limit fails its pipeline's
   * validation, which the runtime raises at the step's sync. Leaves the page an engine of the tuning it had.
   */
  darDefaultLimits: async ({ dims, overrides, B, seed }: ModelArgs, w) => {
    const before = w.runtime();
    const ran = new Set(before.kernelsDispatched);
    const grads: Record<string, Float32Array[]> = {};
    const steps: Record<string, unknown> = {};
    for (const tuning of ['cpu', 'gpu'] as const) {
      const adapter = (await navigator.gpu.requestAdapter())!; // an adapter gives one device
      const device = await adapter.requestDevice(); // WebGPU's default limits
      const rt = await w.init({ device, adapter, tuning });
      const model = new w.DAR(w.darConfig('small', dims, { seed, ...(overrides ?? {}) }));
      const batch = randomBatch(w, dims, B, seed);
      const opt = new w.AdamW(model.mainParameters(), { lr: 1e-4, weightDecay: 1e-4 });
      const step = await w.tidyAsync(async () => {
        const cache = {};
        const aux = model.auxiliaryStep?.(batch, cache) ?? {};
        opt.zeroGrad();
        const { total, terms } = model.losses(batch, cache);
        total.backward();
        grads[tuning] = await Promise.all(model.mainParameters().map(async ([, p]) => p.grad!.toArray()));
        opt.step();
        await rt.sync(); // raises a pipeline that failed validation
        const item = async (t: Tensor) => t.item();
        return {
          total: await total.item(),
          terms: Object.fromEntries(await Promise.all(Object.entries(terms).map(async ([k, v]) => [k, await item(v)]))),
          aux: Object.fromEntries(await Promise.all(Object.entries(aux).map(async ([k, v]) => [k, await item(v)]))),
        };
      });
      const l = device.limits;
      steps[tuning] = {
        ...step,
        tuning: rt.tuning.profile,
        limits: [
          l.maxStorageBuffersPerShaderStage,
          l.maxComputeWorkgroupStorageSize,
          l.maxComputeInvocationsPerWorkgroup,
        ],
        attentionKernels: [...rt.kernelsDispatched].filter((k) => k.startsWith('attention')).sort(),
        maxGrad: Math.max(...grads[tuning].map((g) => g.reduce((m, x) => Math.max(m, Math.abs(x)), 0))),
      };
      for (const k of rt.kernelsDispatched) ran.add(k);
      opt.dispose();
      disposeBatch(batch);
      model.dispose();
      device.destroy();
    }
    let gradDiff = 0;
    grads.cpu.forEach((g, i) => g.forEach((x, j) => (gradDiff = Math.max(gradDiff, Math.abs(x - grads.gpu[i][j])))));
    const set = before.tuning.reason.startsWith('set') ? { tuning: before.tuning.profile } : {};
    const next = await w.init(set); // the page's own engine again, remembering the kernels run (coverage)
    for (const k of ran) next.kernelsDispatched.add(k);
    return { ...steps, gradDiff } as { cpu: DefaultLimitsStep; gpu: DefaultLimitsStep; gradDiff: number };
  },
} satisfies ScenarioTable;

/** One profile's step in darDefaultLimits. */
interface DefaultLimitsStep {
  total: number;
  terms: Record<string, number>;
  aux: Record<string, number>;
  tuning: string;
  limits: number[];
  attentionKernels: string[];
  maxGrad: number;
}
