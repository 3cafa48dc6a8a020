// Scenarios for the decoupling probes read from evaluation's own passes (DAR's predictInspect() and lossesInspect(),
// evaluateRobustness's `probes`, validate's accumulator). The Node side (test/probe-passes.test.ts) asserts on them.

import type * as wgType from '../../src/app/all';
import type { DatasetDims, DarOverrides, Tensor } from '../../src/app/all';
import type { ModalityInputs } from '../../src/app/models/types';
import { DAR, darConfig } from '../../src/app/models/dar/index';
import { LateFusion } from '../../src/app/models/latefusion';
import { evaluateModalityDrop, evaluateRobustness, MODALITY_DROPS, validate } from '../../src/app/train/index';
import { validationMasks } from '../../src/app/train/masks';
import { ProbeAccumulator, probeDecoupling } from '../../src/app/eval/probes';
import type { ScenarioTable } from './scenarios';
import { disposeBatch, randomBatch, tryBeforeGpu } from './model-batches';

type W = typeof wgType;
const arr = async (t: Tensor) => Array.from(await t.toArray());

/** Every tensor of a record read back and disposed. */
async function readAll(o: Record<string, Tensor>): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(o)) {
    out[k] = await arr(t);
    t.dispose();
  }
  return out;
}

export const SCENARIOS = {
  /**
   * One DAR and batch: predict() and inspect() against predictInspect() (the complete view's encoding passed on),
   * losses() and inspect() against lossesInspect(), the buffers all of it leaves alive, and a complete encoding of the
   * wrong shape.
   */
  async darProbePasses(
    { dims, overrides, B, seed }: { dims: DatasetDims; overrides: DarOverrides; B: number; seed: number },
    w: W,
  ) {
    const rt = w.runtime();
    const model = new DAR(darConfig('small', dims, { ...overrides, seed }));
    model.eval();
    const batch = randomBatch(w, dims, B, seed);
    await rt.sync();
    const live0 = rt.stats().liveBuffers;
    const x: ModalityInputs = batch.corrupted;
    const predicted = model.predict(x);
    const separate = {
      pred: await arr(predicted),
      readings: await readAll(model.inspect(x, batch.complete)),
      same: await readAll(model.inspect(batch.complete, batch.complete)),
    };
    predicted.dispose();
    const full = model.predictInspect(batch.complete, null);
    const part = model.predictInspect(x, full.encoding);
    const joint = {
      pred: await arr(part.pred),
      readings: await readAll(part.readings),
      same: await readAll(full.readings),
      predComplete: await arr(full.pred),
      encodingShape: [...full.encoding.shape],
    };
    for (const t of [part.pred, part.encoding, full.pred, full.encoding]) t.dispose();
    const losses = w.tidy(() => w.noGrad(() => model.losses(batch)));
    const lossTerms = await readAll({ total: losses.total, ...losses.terms });
    losses.pred.dispose();
    const both = model.lossesInspect(batch);
    const inspected = {
      terms: await readAll({ total: both.losses.total, ...both.losses.terms }),
      readings: await readAll(both.readings),
    };
    both.losses.pred.dispose();
    await rt.sync();
    const leaked = rt.stats().liveBuffers - live0;
    const wrong = w.zeros([6, B + 1, model.config.t, model.config.d]);
    const badShape = await tryBeforeGpu(w, () => model.predictInspect(x, wrong));
    wrong.dispose();
    const other = randomBatch(w, dims, B + 1, seed);
    const dropSizes = await tryBeforeGpu(w, () => model.predictModalityDrops(x, other.corrupted, [['text']]));
    disposeBatch(other);
    disposeBatch(batch);
    model.dispose();
    return { separate, joint, lossTerms, inspected, leaked, badShape, dropSizes };
  },

  /**
   * Untrained DAR small on synthetic-mosi tiny: evaluateRobustness with and without `probes` (predictions, and the
   * probes against probeDecoupling's own passes at the same masks), validate with and without an accumulator (terms,
   * and its probe against probeDecoupling at the validation masks), and the refusals.
   */
  async probesFromPasses(_args, w: W) {
    const ds = w.syntheticMosi({ seed: 0, size: 'tiny' });
    const model = new DAR(darConfig('small', ds.dims, { seed: 5 }));
    const rates = [0, 0.3, 0.5];
    const probeRates = [0, 0.5];
    const o = { batchSize: 16, subset: 40, returnPredictions: true };
    const withProbes = await evaluateRobustness(model, ds, rates, 1111, {
      ...o,
      probes: { rates: probeRates, subset: 30 },
    });
    const without = await evaluateRobustness(model, ds, rates, 1111, o);
    const factors = ds.latents('test');
    const fromPasses = probeRates.map((r) => withProbes.find((x) => x.rate === r)!.probe!.result(r, factors));
    const own = [];
    for (const rate of probeRates)
      own.push(
        await probeDecoupling(model, ds, { split: 'test', rate, maskSeed: 1111, subset: 30, factors, batchSize: 8 }),
      );
    const noProbeAt = withProbes.filter((x) => !probeRates.includes(x.rate)).map((x) => x.probe === undefined);

    const nValid = 16;
    const masks = validationMasks(ds, 0.3, 7, true);
    const plan = w.batchIndices(nValid, 8);
    const acc = new ProbeAccumulator(nValid);
    const v1 = await validate(model, ds, masks, plan, 'valid', acc);
    const v0 = await validate(model, ds, masks, plan, 'valid');
    const validFactors = ds.latents('valid');
    const validProbe = acc.result(0.3, validFactors);
    const validOwn = await probeDecoupling(model, ds, {
      split: 'valid',
      rate: 0.3,
      maskSeed: 7,
      subset: nValid,
      factors: validFactors,
    });

    const refused = async (f: () => Promise<unknown>) => {
      try {
        await f();
        return null;
      } catch (e) {
        return { name: (e as Error).name, message: (e as Error).message };
      }
    };
    const late = new LateFusion({ dims: ds.dims, seed: 1 });
    const refusals = {
      rateZeroNotFirst: await refused(() =>
        evaluateRobustness(model, ds, [0.3, 0], 1111, { ...o, probes: { rates: [0], subset: 8 } }),
      ),
      probeRateNotEvaluated: await refused(() =>
        evaluateRobustness(model, ds, [0, 0.3], 1111, { ...o, probes: { rates: [0.7], subset: 8 } }),
      ),
      modelWithoutPasses: await refused(() =>
        evaluateRobustness(late, ds, [0, 0.3], 1111, { ...o, probes: { rates: [0], subset: 8 } }),
      ),
      validateWithoutPasses: await refused(() =>
        validate(late, ds, masks, plan, 'valid', new ProbeAccumulator(nValid)),
      ),
    };
    late.dispose();
    // Whole modalities absent: DAR's two-encoding path against predict() per condition (the same model, the method hidden).
    const dropOpts = { batchSize: 16, subset: 40 };
    const plain = Object.create(model) as DAR;
    Object.defineProperty(plain, 'predictModalityDrops', { value: undefined });
    const drops = {
      fast: await evaluateModalityDrop(model, ds, MODALITY_DROPS, dropOpts),
      plain: await evaluateModalityDrop(plain, ds, MODALITY_DROPS, dropOpts),
    };
    model.dispose();
    return {
      drops,
      preds: { with: withProbes.map((r) => Array.from(r.preds!)), without: without.map((r) => Array.from(r.preds!)) },
      fromPasses,
      own,
      noProbeAt,
      valid: { termsWith: v1.terms, termsWithout: v0.terms, probe: validProbe, own: validOwn },
      refusals,
    };
  },
} satisfies ScenarioTable;
