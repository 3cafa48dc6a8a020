// Optimizers, gradient clipping, LR schedules, modules and Linear.
// Every optimizer update is checked against the float64 reference (src/engine/optim/optim.reference.ts) over several steps, on
// odd-sized parameters with random gradients set directly on p.grad.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from './page';
import { scenario, type ScenarioCallArgs } from './scenario';
import type { ScenarioName } from './page/scenarios';
import type { OptimizerChoice } from './page/scenarios-train';
import { expectShapeError, gradcheck } from './gradcheck';
import { RUN_SEED, rngFor } from './rng';
import {
  adamStepRef,
  clipGradNormRef,
  cosineScheduleRef,
  linearWarmupRef,
  sgdStepRef,
} from '../src/engine/optim/optim.reference';
import { cosineSchedule, linearWarmup } from '../src/engine/optim/schedule';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

const run = <K extends ScenarioName>(name: K, ...args: ScenarioCallArgs<K>) => scenario(page, name, ...args);

const SIZES = [[1], [17], [3, 43]]; // 1, 17 and 129 elements
const f32 = (a: Float64Array) => Float64Array.from(a, Math.fround);

type OptCase = OptimizerChoice & {
  steps?: number;
  /** Learning rate per step (setLr before each step); default: opts.lr throughout. */
  lrs?: number[];
  /** [step, param] pairs that get no gradient. */
  skip?: [number, number][];
  /** Draw the parameters and gradients from this name instead of the case's label (to share inputs between cases). */
  inputs?: string;
  /** Parameter k's learning rate is lr × lrScales[k] (the optimizer's `lrScale` option; default 1). */
  lrScales?: number[];
};

/** Runs the steps on the GPU and in float64, and compares parameters and state. Returns the GPU result. */
async function checkOptimizer(c: OptCase) {
  const label = `${c.kind} ${JSON.stringify(c.opts)}${c.lrs ? ' with setLr' : ''} (WEBGRAD_SEED=${RUN_SEED})`;
  const rng = rngFor(c.inputs ?? label);
  const steps = c.steps ?? 5;
  const params = SIZES.map((s) =>
    f32(
      rng.uniform(
        s.reduce((a, b) => a * b, 1),
        -1,
        1,
      ),
    ),
  );
  // Gradient scales differ per parameter and step, so Adam's normalisation is actually exercised.
  const grads = Array.from({ length: steps }, (_, s) =>
    params.map((p, k) =>
      c.skip?.some(([ss, kk]) => ss === s && kk === k) ? null : f32(rng.normal(p.length, 0.1 + rng.next() * 3)),
    ),
  );
  const lrs: number[] = c.lrs ?? Array(steps).fill(c.opts.lr);

  const res = await run('optimSteps', {
    kind: c.kind,
    opts: c.opts,
    params: params.map((p, k) => ({ shape: SIZES[k], data: Array.from(p) })),
    grads: grads.map((gs) => gs.map((g) => (g ? Array.from(g) : null))),
    lrs: c.lrs,
    lrScales: c.lrScales,
  });
  const lrOf = (s: number, k: number) => lrs[s] * (c.lrScales?.[k] ?? 1);

  // The float64 reference.
  const ref = params.map((p) => p.slice());
  const bufs = params.map((p) => new Float64Array(p.length));
  const ms = params.map((p) => new Float64Array(p.length));
  const vs = params.map((p) => new Float64Array(p.length));
  const stepCount = params.map(() => 0);
  for (let s = 0; s < steps; s++) {
    params.forEach((_, k) => {
      const g = grads[s][k];
      if (!g) return;
      stepCount[k]++;
      if (c.kind === 'SGD') sgdStepRef(ref[k], g, bufs[k], { ...c.opts, lr: lrOf(s, k) });
      else {
        const betas = c.opts.betas && ([c.opts.betas[0], c.opts.betas[1]] satisfies [number, number]); // the reference wants a mutable pair
        adamStepRef(ref[k], g, ms[k], vs[k], stepCount[k], {
          ...c.opts,
          betas,
          lr: lrOf(s, k),
          decoupled: c.kind === 'AdamW',
        });
      }
    });
  }

  const close = (what: string, got: number[] | number | undefined, want: Float64Array, rtol: number, atol: number) => {
    if (!Array.isArray(got)) return expect.fail(`${label}: ${what} is ${got}, not an array`);
    expect(got.length, `${label}: ${what} length`).toBe(want.length);
    for (let i = 0; i < want.length; i++) {
      if (!(Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i]))) {
        expect.fail(`${label}: ${what}[${i}] = ${got[i]} on the GPU, reference ${want[i]}`);
      }
    }
  };
  params.forEach((p0, k) => {
    close(`param ${k}`, res.params[k], ref[k], 2e-6, 2e-6);
    // The update actually moved the parameter (a no-op kernel could otherwise pass with a tiny lr).
    if (stepCount[k] > 0)
      expect(
        res.params[k].some((v: number, i: number) => v !== p0[i]),
        `${label}: param ${k} moved`,
      ).toBe(true);
    const st = res.state[`p${k}`];
    if (stepCount[k] === 0) {
      expect(st, `${label}: no state for a parameter that never had a gradient`).toBeUndefined();
      return;
    }
    expect(st.step, `${label}: step count of param ${k}`).toBe(stepCount[k]);
    if (c.kind === 'SGD') {
      if (c.opts.momentum) close(`momentumBuffer ${k}`, st.momentumBuffer, bufs[k], 1e-5, 1e-6);
      else expect(Object.keys(st)).toEqual(['step']);
    } else {
      close(`expAvg ${k}`, st.expAvg, ms[k], 1e-5, 1e-6);
      close(`expAvgSq ${k}`, st.expAvgSq, vs[k], 1e-5, 1e-7);
    }
  });
  // One fused dispatch per parameter that has a gradient (multi-tensor Adam: one per distinct step count and lr scale
  // among them), plus zero-filling its state the first time it gets one.
  const fills = c.kind === 'SGD' ? (c.opts.momentum ? 1 : 0) : 2;
  const multi = c.kind !== 'SGD' && c.opts.multiTensor !== false;
  const seen = new Map<number, number>(); // parameter → steps taken
  const want = grads.map((gs) => {
    const stepCounts = new Set<string>();
    const n = gs.reduce((n, g, k) => {
      if (!g) return n;
      const first = !seen.has(k);
      seen.set(k, (seen.get(k) ?? 0) + 1);
      stepCounts.add(`${seen.get(k)} ${c.lrScales?.[k] ?? 1}`);
      return n + (multi ? 0 : 1) + (first ? fills : 0);
    }, 0);
    return n + (multi ? stepCounts.size : 0);
  });
  if (c.kind === 'SGD' && !c.opts.momentum) want[grads.findIndex((gs) => gs.some((g) => g))] += 1; // the placeholder buffer
  expect(res.dispatchesPerStep, `${label}: dispatches per step`).toEqual(want);
  return res;
}

describe('SGD', () => {
  it('plain SGD matches the float64 reference', async () => {
    await checkOptimizer({ kind: 'SGD', opts: { lr: 0.1 } });
  });

  it('momentum and weight decay match the reference', async () => {
    await checkOptimizer({ kind: 'SGD', opts: { lr: 0.05, momentum: 0.9, weightDecay: 0.1 } });
  });

  it('Nesterov momentum matches the reference, and differs from plain momentum', async () => {
    const a = await checkOptimizer({ kind: 'SGD', opts: { lr: 0.05, momentum: 0.8, nesterov: true } });
    const b = await checkOptimizer({ kind: 'SGD', opts: { lr: 0.05, momentum: 0.8 } });
    expect(a.params[2]).not.toEqual(b.params[2]);
  });
});

describe('Adam and AdamW', () => {
  it('Adam matches the reference', async () => {
    const r = await checkOptimizer({ kind: 'Adam', opts: { lr: 1e-2 }, steps: 6 });
    expect(r.dispatchesPerStep.slice(1)).toEqual([1, 1, 1, 1, 1]); // multi-tensor: one kernel for the three parameters
    const one = await checkOptimizer({ kind: 'Adam', opts: { lr: 1e-2, multiTensor: false }, steps: 6 });
    expect(one.dispatchesPerStep.slice(1)).toEqual([3, 3, 3, 3, 3]); // one fused kernel per parameter
  });

  it('multi-tensor Adam and AdamW give bit for bit the per-parameter numbers, with every option and skipped steps', async () => {
    // Odd sizes (1, 17, 129), parameters at different step counts (so several arenas per step), weight decay, custom
    // betas and eps, a new learning rate each step.
    const skip: [number, number][] = [
      [0, 1],
      [2, 0],
      [4, 1],
    ];
    const lrs = [3e-2, 1e-2, 5e-2, 2e-3, 2e-2];
    for (const kind of ['Adam', 'AdamW'] as const) {
      const opts = { lr: 3e-2, weightDecay: 0.3, betas: [0.85, 0.99] as const, eps: 1e-6 };
      const inputs = `multi-tensor ${kind}`;
      const multi = await checkOptimizer({ kind, opts, skip, lrs, inputs });
      const single = await checkOptimizer({ kind, opts: { ...opts, multiTensor: false }, skip, lrs, inputs });
      expect(multi.params, `${kind}: parameters`).toEqual(single.params);
      expect(multi.state, `${kind}: moments and step counts`).toEqual(single.state);
      // Step 3: parameters 0, 1 and 2 at step counts 3, 3 and 4 → two arenas, two dispatches.
      expect(multi.dispatchesPerStep[3], `${kind}: dispatches at step 3`).toBe(2);
    }
  });

  it('Adam with L2 weight decay and custom betas/eps matches the reference', async () => {
    await checkOptimizer({ kind: 'Adam', opts: { lr: 3e-2, weightDecay: 0.5, betas: [0.8, 0.95], eps: 1e-3 } });
  });

  it('AdamW (decoupled decay) matches the reference', async () => {
    await checkOptimizer({ kind: 'AdamW', opts: { lr: 3e-2, weightDecay: 0.5 } });
  });

  it('AdamW defaults to weightDecay 0.01, and differs from Adam with the same decay on the same inputs', async () => {
    const inputs = 'adam-vs-adamw';
    const w = await checkOptimizer({ kind: 'AdamW', opts: { lr: 1e-2 }, inputs }); // reference defaults to 0.01 too
    const a = await checkOptimizer({ kind: 'Adam', opts: { lr: 1e-2, weightDecay: 0.01 }, inputs });
    const n = await checkOptimizer({ kind: 'AdamW', opts: { lr: 1e-2, weightDecay: 0 }, inputs });
    expect(w.params[2]).not.toEqual(a.params[2]);
    expect(w.params[2]).not.toEqual(n.params[2]);
  });

  it('setLr changes the learning rate each step without compiling anything new', async () => {
    const lrs = [1e-2, 3e-2, 5e-3, 1e-3, 2e-2];
    const r = await checkOptimizer({ kind: 'AdamW', opts: { lr: 1e-2 }, lrs });
    expect(r.newPipelines).toBe(0);
    const s = await checkOptimizer({ kind: 'SGD', opts: { lr: 0.1, momentum: 0.5 }, lrs: [0.1, 0.2, 0.05, 0.01, 0.3] });
    expect(s.newPipelines).toBe(0);
  });

  it('lrScale gives each parameter its own learning rate (param groups): the reference at lr × scale, every path', async () => {
    const lrScales = [1, 10, 0.25];
    const lrs = [1e-2, 3e-2, 5e-3, 1e-3, 2e-2];
    const inputs = 'lr scales';
    for (const kind of ['Adam', 'AdamW'] as const) {
      const opts = { lr: 1e-2, weightDecay: 0.1 };
      const multi = await checkOptimizer({ kind, opts, lrScales, lrs, inputs });
      const single = await checkOptimizer({ kind, opts: { ...opts, multiTensor: false }, lrScales, lrs, inputs });
      expect(multi.params, `${kind}: multi-tensor = per parameter`).toEqual(single.params);
      expect(multi.dispatchesPerStep.slice(1), `${kind}: one arena per scale`).toEqual([3, 3, 3, 3]);
      expect(multi.newPipelines).toBe(0);
      // A scale really changes the update: all scales 1 give other numbers for parameters 1 and 2, the same for 0.
      const plain = await checkOptimizer({ kind, opts, lrs, inputs });
      expect(plain.params[0]).toEqual(multi.params[0]);
      expect(plain.params[1]).not.toEqual(multi.params[1]);
      expect(plain.params[2]).not.toEqual(multi.params[2]);
    }
    await checkOptimizer({ kind: 'SGD', opts: { lr: 0.1, momentum: 0.5 }, lrScales, lrs: [0.1, 0.2, 0.05, 0.01, 0.3] });
  });

  it('rejects an lrScale that is not a finite number > 0, naming the parameter', async () => {
    for (const bad of [0, -1, Number.NaN]) {
      const args = { kind: 'AdamW' as const, opts: { lr: 1e-2 }, params: [{ shape: [2], data: [1, 2] }], grads: [] };
      await expect(run('optimSteps', { ...args, lrScales: [bad] })).rejects.toThrow(
        /AdamW: lrScale\('p0'\) must be a finite number > 0/,
      );
    }
  });

  it('skips parameters without a gradient (their state and step count stay put)', async () => {
    const skip: [number, number][] = [
      [0, 1],
      [1, 1],
      [3, 0],
      [0, 2],
      [1, 2],
      [2, 2],
      [3, 2],
      [4, 2],
    ];
    await checkOptimizer({ kind: 'Adam', opts: { lr: 1e-2 }, skip });
    await checkOptimizer({ kind: 'SGD', opts: { lr: 0.1, momentum: 0.9 }, skip });
  });
});

describe('clipGradNorm', () => {
  const shapes = [[1], [17], [3, 43], [2, 1100]]; // the last spans three 1024-element partial sums
  async function check(scale: number, maxNorm: number, withoutGrad = -1) {
    const rng = rngFor(`clip ${scale} ${maxNorm} ${withoutGrad}`);
    const grads = shapes.map((s) =>
      f32(
        rng.normal(
          s.reduce((a, b) => a * b, 1),
          scale,
        ),
      ),
    );
    const sent = grads.map((g) => Array.from(g)); // clipGradNormRef below scales `grads` in place
    const r = await run('clipGradNorm', { grads: sent, shapes, maxNorm, withoutGrad });
    const kept = grads.filter((_, k) => k !== withoutGrad);
    const wantNorm = clipGradNormRef(kept, maxNorm);
    expect(Math.abs(r.norm - wantNorm), `norm ${r.norm} vs ${wantNorm}`).toBeLessThanOrEqual(1e-5 * wantNorm);
    let j = 0;
    shapes.forEach((_, k) => {
      if (k === withoutGrad) {
        expect(r.grads[k]).toBeNull();
        return;
      }
      const want = kept[j++];
      const got = r.grads[k];
      if (!got) return expect.fail(`clipped grad ${k} is missing`);
      for (let i = 0; i < want.length; i++) {
        if (!(Math.abs(got[i] - want[i]) <= 1e-5 * Math.abs(want[i]) + 1e-7)) {
          expect.fail(`clipped grad ${k}[${i}] = ${got[i]}, reference ${want[i]} (WEBGRAD_SEED=${RUN_SEED})`);
        }
      }
    });
    // Multi-tensor (the default): zero-fill the arena, its partial sums, one combine, one scale; no readback between.
    expect(r.dispatches).toBe(4);
    // One gradient at a time: partial sums per gradient, one combine, one scale per gradient; the same numbers bit for bit.
    const each = await run('clipGradNorm', { grads: sent, shapes, maxNorm, withoutGrad, multiTensor: false });
    const n = shapes.length - (withoutGrad >= 0 ? 1 : 0);
    expect(each.dispatches).toBe(2 * n + 1);
    expect(each.norm).toBe(r.norm);
    expect(each.grads).toEqual(r.grads);
    return { norm: r.norm, wantNorm };
  }

  it('scales the gradients down when their global norm is above maxNorm', async () => {
    const { wantNorm } = await check(1, 5);
    expect(wantNorm).toBeGreaterThan(5);
  });

  it('leaves them unchanged when the norm is below maxNorm', async () => {
    const { wantNorm } = await check(0.01, 5);
    expect(wantNorm).toBeLessThan(5);
  });

  it('skips parameters without a gradient', async () => {
    await check(1, 2, 1);
  });
});

describe('schedules', () => {
  it('linearWarmup ramps (step + 1) / warmup up to 1', () => {
    expect(linearWarmup(0, 4)).toBe(0.25);
    expect(linearWarmup(1, 4)).toBe(0.5);
    expect(linearWarmup(3, 4)).toBe(1);
    expect(linearWarmup(100, 4)).toBe(1);
    expect(linearWarmup(0, 0)).toBe(1);
  });

  it('cosineSchedule warms up, decays along half a cosine to minLr, and stays there', () => {
    const o = { baseLr: 1, warmupSteps: 10, minLr: 0.1 };
    expect(cosineSchedule(0, 110, o)).toBeCloseTo(0.1, 12);
    expect(cosineSchedule(4, 110, o)).toBeCloseTo(0.5, 12);
    expect(cosineSchedule(10, 110, o)).toBeCloseTo(1, 12); // the peak
    expect(cosineSchedule(60, 110, o)).toBeCloseTo(0.55, 12); // halfway: (1 + 0.1) / 2
    expect(cosineSchedule(35, 110, o)).toBeCloseTo(0.1 + 0.45 * (1 + Math.SQRT1_2), 12); // a quarter: cos(π/4)
    expect(cosineSchedule(110, 110, o)).toBe(0.1);
    expect(cosineSchedule(500, 110, o)).toBe(0.1);
    expect(cosineSchedule(0, 100, { baseLr: 3e-3 })).toBe(3e-3); // no warm-up: starts at the peak
    for (let s = 0; s < 130; s += 7)
      expect(cosineSchedule(s, 110, o)).toBeCloseTo(cosineScheduleRef(s, 110, 1, 10, 0.1), 12);
    for (let s = 0; s < 20; s++) expect(linearWarmup(s, 13)).toBeCloseTo(linearWarmupRef(s, 13), 15);
    // Monotone non-increasing after the warm-up.
    for (let s = 10; s < 120; s++) expect(cosineSchedule(s + 1, 110, o)).toBeLessThanOrEqual(cosineSchedule(s, 110, o));
  });

  it('rejects bad arguments', () => {
    expect(() => cosineSchedule(0, 10, { baseLr: 1, warmupSteps: 10 })).toThrow(/totalSteps/);
    expect(() => cosineSchedule(0, 10, { baseLr: 0 })).toThrow(/baseLr/);
    expect(() => cosineSchedule(0, 10, { baseLr: 1, minLr: 2 })).toThrow(/minLr/);
    expect(() => linearWarmup(-1, 10)).toThrow(/step/);
  });
});

describe('modules', () => {
  it('names parameters by field path through nested modules and arrays, each once', async () => {
    const r = await run('moduleNaming');
    const expected = [
      'scale',
      'blocks.0.fc.weight',
      'blocks.0.fc.bias',
      'blocks.1.fc.weight',
      'blocks.1.fc.bias',
      'head.weight',
      'stack.layers.0.weight',
      'stack.layers.0.bias',
      'stack.layers.2.weight',
      'stack.layers.2.bias',
    ];
    expect(r.names).toEqual(expected);
    expect(r.tensorNames).toEqual(expected);
    expect(r.sizes).toEqual([1, 12, 4, 12, 4, 8, 4, 2, 2, 1]);
    expect(r.modules).toEqual([
      '',
      'blocks.0',
      'blocks.0.fc',
      'blocks.0.act',
      'blocks.1',
      'blocks.1.fc',
      'blocks.1.act',
      'head',
      'stack',
      'stack.layers.0',
      'stack.layers.1',
      'stack.layers.2',
    ]);
    expect(r.evalFlags.every((f: boolean) => f === false)).toBe(true);
    expect(r.trainFlags.every((f: boolean) => f === true)).toBe(true);
    expect(r.gradsAfterZero.every((g: unknown) => g === null)).toBe(true);
    expect(r.freed).toBe(r.nParams);
  });

  it('initialises Linear like PyTorch: U(-1/sqrt(in), 1/sqrt(in)), reproducible by seed', async () => {
    const inF = 129;
    const outF = 65;
    const r = await run('linearInit', { inF, outF, seed: 1234 });
    const bound = 1 / Math.sqrt(inF);
    expect(r.weightShape).toEqual([outF, inF]);
    for (const v of [...r.weight, ...r.bias]) {
      expect(v).toBeGreaterThanOrEqual(-bound);
      expect(v).toBeLessThanOrEqual(bound);
    }
    const mean = r.weight.reduce((a: number, b: number) => a + b, 0) / r.weight.length;
    const std = Math.sqrt(r.weight.reduce((a: number, b: number) => a + (b - mean) ** 2, 0) / r.weight.length);
    expect(Math.abs(mean)).toBeLessThan(0.05 * bound);
    expect(Math.abs(std - bound / Math.sqrt(3)) / (bound / Math.sqrt(3))).toBeLessThan(0.03);
    expect(r.same).toBe(true);
    expect(r.differ).toBeGreaterThan(0.99);
    expect(r.bias).not.toEqual(r.weight.slice(0, outF));
    expect(r.forwardShapes).toEqual([[outF], [3, outF], [2, 3, outF], [2, 1, 3, outF]]);
    expect(r.noBias).toBeNull();
  });

  it('rejects bad input with a WebgradError naming the op and shapes, before any GPU work', async () => {
    const r = await run('nnErrors');
    for (const [k, e] of Object.entries<{ name: string; message: string } | null>(r.errs)) {
      expect(e, k).not.toBeNull();
      expect(e?.name, `${k}: ${e?.message}`).toBe('WebgradError');
    }
    expect(r.errs.linearWrongDim?.message).toMatch(/^Linear: /);
    expect(r.errs.linearWrongDim?.message).toContain('[4, 5]');
    expect(r.errs.linearWrongDim?.message).toContain('[3, 6]');
    expect(r.errs.lrZero?.message).toMatch(/learning rate/);
    expect(r.errs.beta1One?.message).toMatch(/betas\[0\]/);
    expect(r.errs.beta2Negative?.message).toMatch(/betas\[1\]/);
    expect(r.errs.wrongGradSize?.message).toMatch(/p0|wrong size/);
    expect(r.dispatches).toBe(0);
    await expectShapeError(page, 'linear', [[4, 5], [3, 6], [3]], undefined, 'linear');
    await expectShapeError(page, 'linear', [[4, 6], [3, 6], [4]], undefined, 'linear');
    await expectShapeError(page, 'linear', [[4, 6], [6]], undefined, 'linear');
  });
});

describe('Linear gradients (three tiers)', () => {
  const linearRef = ([x, wt, b]: Float64Array[], attrs: { inF: number; outF: number; xShape: number[] }) => {
    const rows = x.length / attrs.inF;
    const y = new Float64Array(rows * attrs.outF);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < attrs.outF; o++) {
        let s = b ? b[o] : 0;
        for (let i = 0; i < attrs.inF; i++) s += x[r * attrs.inF + i] * wt[o * attrs.inF + i];
        y[r * attrs.outF + o] = s;
      }
    }
    return { data: y, shape: [...attrs.xShape.slice(0, -1), attrs.outF] };
  };
  const cases: [number[], number, boolean][] = [
    [[17, 33], 5, true],
    [[7], 3, true],
    [[2, 3, 7], 1, false],
    [[1, 129], 17, true],
  ];
  for (const [xShape, outF, bias] of cases) {
    it(`x ${JSON.stringify(xShape)} -> ${outF}${bias ? '' : ' (no bias)'}`, async () => {
      const inF = xShape[xShape.length - 1];
      const dims = { inF, outF, xShape };
      await gradcheck(page, {
        op: 'linear',
        inputs: [{ shape: xShape }, { shape: [outF, inF] }, ...(bias ? [{ shape: [outF] }] : [])],
        ref: (xs) => linearRef(xs, dims),
        tol: inF > 100 ? { fwdRtol: 1e-3, gradRtol: 2e-3 } : {},
      });
    });
  }
});
