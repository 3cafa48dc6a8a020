// The decoupling probes read from evaluation's own passes (docs/decisions/start-time.md): DAR's predictInspect() and
// lossesInspect() give, to the last bit, what predict(), losses() and inspect() give apart; evaluateRobustness's
// `probes` and validate's accumulator give what probeDecoupling's own passes give at the same masks; misuse is refused.
// Also DAR's predictModalityDrops() (two encodings per batch for the six whole-modality conditions).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from './page';
import { scenario, type ScenarioCallArgs } from './scenario';
import type { ScenarioName } from './page/scenarios';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

const run = <K extends ScenarioName>(name: K, ...args: ScenarioCallArgs<K>) => scenario(page, name, ...args);
let fromPasses: ReturnType<typeof run<'probesFromPasses'>> | null = null;
/** The evaluation scenario, run once for the two tests that read it. */
const probesFromPasses = () => (fromPasses ??= run('probesFromPasses'));
const TINY = { text: { len: 6, dim: 10 }, audio: { len: 5, dim: 3 }, vision: { len: 7, dim: 4 } };
const BLOCK = { depth: 1, heads: 2, dimHead: 3, mlpDim: 12 };
const TINY_OVERRIDES = {
  d: 8,
  t: 4,
  mlpHidden: 6,
  tau: 0.2,
  encoder: BLOCK,
  recon: BLOCK,
  fusionSelf: BLOCK,
  fusionCross: BLOCK,
  club: { hidden: 5, lstmHidden: 4, innerSteps: 2, lr: 1e-3 },
};

describe('probes read from evaluation passes', () => {
  it("DAR's predictInspect() and lossesInspect() equal predict(), losses() and inspect() bit for bit, leaking nothing", async () => {
    const r = await run('darProbePasses', { dims: TINY, overrides: TINY_OVERRIDES, B: 7, seed: 9 });
    expect(r.joint.pred).toEqual(r.separate.pred);
    expect(r.joint.readings).toEqual(r.separate.readings); // complete view's encoding from the earlier call
    expect(r.joint.same).toEqual(r.separate.same); // the complete view compared with itself
    expect(r.joint.encodingShape).toEqual([6, 7, 4, 8]);
    expect(Math.max(...r.joint.readings.tildeErr)).toBeGreaterThan(1e-3); // the corrupted view did differ
    expect(r.inspected.terms).toEqual(r.lossTerms);
    expect(r.inspected.readings).toEqual(r.separate.readings);
    expect(r.leaked).toBe(0);
    expect(r.badShape.threw).toBe(true);
    expect(r.badShape.name).toBe('WebgradError');
    expect(r.badShape.message).toMatch(/DAR.*predictInspect.*\[6, 7, 4, 8\].*\[6, 8, 4, 8\]/);
    expect(r.badShape.dispatches).toBe(0);
    expect(r.dropSizes).toMatchObject({ threw: true, name: 'WebgradError', dispatches: 0 });
    expect(r.dropSizes.message).toMatch(/DAR.*predictModalityDrops.*has 7 samples, the one without modalities 8/);
  });

  it("evaluateModalityDrop's two-encoding path for DAR gives every condition's metrics as predict() does", async () => {
    const { drops } = await probesFromPasses();
    expect(drops.fast.map((d) => d.label)).toEqual(['L', 'A', 'V', 'L+A', 'L+V', 'A+V']);
    expect(drops.fast).toEqual(drops.plain);
    expect(new Set(drops.fast.map((d) => d.metrics.mae)).size).toBeGreaterThan(1); // the conditions do differ
  });

  it('evaluateRobustness and validate read the same probes as probeDecoupling, and the same predictions and losses', async () => {
    const r = await probesFromPasses();
    expect(r.preds.with).toEqual(r.preds.without);
    expect(r.fromPasses).toEqual(r.own);
    expect(r.fromPasses.map((p) => p.n)).toEqual([30, 30]);
    expect(r.noProbeAt).toEqual([true]);
    expect(r.valid.termsWith).toEqual(r.valid.termsWithout);
    expect(r.valid.probe).toEqual(r.valid.own);
    expect(r.valid.probe.n).toBe(16);
  });

  it('refuses probes without rate 0 first, at a rate not evaluated, or from a model without the passes', async () => {
    const { refusals: f } = await probesFromPasses();
    expect(f.rateZeroNotFirst).toMatchObject({ name: 'RangeError' });
    expect(f.rateZeroNotFirst!.message).toMatch(/rate 0 first/);
    expect(f.probeRateNotEvaluated!.message).toMatch(/probe rates 0\.7 are not evaluated/);
    expect(f.modelWithoutPasses).toMatchObject({ name: 'TypeError' });
    expect(f.validateWithoutPasses!.message).toMatch(/lossesInspect/);
  });
});
