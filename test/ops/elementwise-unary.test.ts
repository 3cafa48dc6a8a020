// The unary maps added by issue 17 (erf, reciprocal, sin, cos, softplus, elu, gelu's tanh approximation, clip):
// three-tier gradchecks at odd shapes, accuracy against float64, the gradient conventions at kinks and bounds, memory
// and bad inputs. Their page entries are in elementwise.page.ts, beside the older unary ops (elementwise.test.ts).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from '../page';
import { expectShapeError, gradcase, gradcheck, untyped, type OpWithAttrs } from '../gradcheck';
import type { Rng } from '../rng';
import * as R from '../../src/engine/ops/elementwise.reference';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

type Gen = (rng: Rng, n: number) => Float64Array;
const wide =
  (lo: number, hi: number): Gen =>
  (r, n) =>
    r.uniform(n, lo, hi);
/** Inputs in [-2.5, 2.5] kept at least 0.1 from every point in `kinks`, so finite differences never straddle one. */
const awayFrom =
  (...kinks: number[]): Gen =>
  (r, n) =>
    r.uniform(n, -2.5, 2.5).map((v) => {
      let x = v;
      while (kinks.some((k) => Math.abs(x - k) < 0.1)) x += 0.25;
      return x;
    });

const SHAPES = [[129], [17, 3], [1], []];

type Op = 'erf' | 'reciprocal' | 'sin' | 'cos' | 'softplus' | 'elu' | 'gelu' | 'clip';
const CASES: (OpWithAttrs<Op> & { gen: Gen })[] = [
  { op: 'erf', gen: wide(-4, 4) },
  { op: 'reciprocal', gen: (r, n) => r.awayFromZero(n, 0.3, 3) },
  { op: 'sin', gen: wide(-7, 7) },
  { op: 'cos', gen: wide(-7, 7) },
  { op: 'softplus', gen: wide(-8, 8) },
  // beta 2, threshold 3: the switch to y = x sits at x = 1.5 (y jumps there by 0.024, as in PyTorch).
  { op: 'softplus', attrs: { beta: 2, threshold: 3 }, gen: awayFrom(1.5) },
  { op: 'softplus', attrs: { beta: 0.5 }, gen: wide(-8, 8) },
  { op: 'elu', gen: awayFrom(0) },
  { op: 'elu', attrs: { alpha: 0.3 }, gen: awayFrom(0) },
  { op: 'gelu', attrs: { approximate: 'tanh' }, gen: wide(-5, 5) },
  { op: 'gelu', attrs: { approximate: 'none' }, gen: wide(-5, 5) },
  { op: 'clip', attrs: { min: -0.5, max: 0.7 }, gen: awayFrom(-0.5, 0.7) },
  { op: 'clip', attrs: { min: null, max: 0.3 }, gen: awayFrom(0.3) },
  { op: 'clip', attrs: { min: -0.2 }, gen: awayFrom(-0.2) },
];

describe('added unary ops', () => {
  for (const c of CASES) {
    it(`${c.op}${c.attrs ? ` ${JSON.stringify(c.attrs)}` : ''}`, async () => {
      for (const shape of SHAPES) {
        await gradcheck(page, {
          op: c.op,
          attrs: c.attrs,
          inputs: [{ shape, gen: c.gen }],
          ref: R.unaryRef(c.op, shape),
        });
      }
    });
  }
});

describe('accuracy against float64 across the domain', () => {
  // Max error over 2001 points against float64: err ≤ rel·|exact| + abs.
  const SCANS: { op: Op; attrs?: object; lo: number; hi: number; rel: number; abs: number }[] = [
    { op: 'erf', lo: -6, hi: 6, rel: 0, abs: 3e-7 },
    { op: 'sin', lo: -100, hi: 100, rel: 0, abs: 1e-6 },
    { op: 'cos', lo: -100, hi: 100, rel: 0, abs: 1e-6 },
    { op: 'softplus', lo: -30, hi: 30, rel: 1e-5, abs: 0 },
    { op: 'elu', lo: -20, hi: 5, rel: 1e-5, abs: 0 },
    { op: 'gelu', attrs: { approximate: 'tanh' }, lo: -8, hi: 8, rel: 1e-5, abs: 1e-7 },
  ];
  for (const c of SCANS) {
    it(`${c.op}${c.attrs ? ` ${JSON.stringify(c.attrs)}` : ''} on [${c.lo}, ${c.hi}]`, async () => {
      const xs = Array.from({ length: 2001 }, (_, i) => Math.fround(c.lo + ((c.hi - c.lo) * i) / 2000));
      xs.push(1e-5, -1e-5, 3e-4, -3e-4); // where expm1 / log1p matter
      const r = await gradcase(page, {
        op: c.op,
        attrs: untyped(c.attrs ?? {}),
        inputs: [{ shape: [xs.length], data: xs }],
        weights: xs.map(() => 1),
        fdIndices: [[]],
        fdEps: 1e-2,
      });
      let worst = 0;
      let at = 0;
      xs.forEach((x, i) => {
        const want = R.UNARY_REF[c.op](x, c.attrs ?? {});
        const ratio = Math.abs(r.out[i] - want) / (c.rel * Math.abs(want) + c.abs);
        if (ratio > worst) [worst, at] = [ratio, x];
      });
      expect(worst, `${c.op}: worst error at x = ${at} is ${worst.toFixed(2)}× the tolerance`).toBeLessThanOrEqual(1);
    });
  }
});

describe("gradient conventions (PyTorch's)", () => {
  it('clip passes the gradient on its bounds and stops it outside', async () => {
    const xs = [-1, -0.5, 0, 0.75, 1];
    const r = await gradcase(page, {
      op: 'clip',
      attrs: { min: -0.5, max: 0.75 },
      inputs: [{ shape: [5], data: xs }],
      weights: [1, 1, 1, 1, 1],
      fdIndices: [[]],
      fdEps: 1e-2,
    });
    expect(r.out).toEqual([-0.5, -0.5, 0, 0.75, 0.75]);
    expect(r.grads[0]).toEqual([0, 1, 1, 1, 0]);
  });

  it("elu's gradient at 0 is alpha; softplus's is 1 above its threshold", async () => {
    const e = await gradcase(page, {
      op: 'elu',
      attrs: { alpha: 0.3 },
      inputs: [{ shape: [3], data: [-1, 0, 1] }],
      weights: [1, 1, 1],
      fdIndices: [[]],
      fdEps: 1e-2,
    });
    expect(e.grads[0]).toEqual([expect.closeTo(0.3 * Math.exp(-1), 6), expect.closeTo(0.3, 7), 1]);
    const s = await gradcase(page, {
      op: 'softplus',
      attrs: { beta: 2, threshold: 3 },
      inputs: [{ shape: [3], data: [1.4, 1.6, 30] }],
      weights: [1, 1, 1],
      fdIndices: [[]],
      fdEps: 1e-2,
    });
    expect(s.out).toEqual([expect.closeTo(R.softplus(1.4, 2, 3), 6), expect.closeTo(1.6, 6), 30]);
    expect(s.grads[0]).toEqual([expect.closeTo(1 / (1 + Math.exp(-2.8)), 6), 1, 1]);
  });
});

describe('memory', () => {
  it('forward + backward of every added unary op frees all temporaries', async () => {
    const r = (await page.page.evaluate(`(async () => {
      const w = globalThis.wg;
      const rt = w.runtime();
      await rt.sync();
      const leaks = {};
      const run = async (name, f) => {
        const before = rt.stats().liveBuffers;
        const x = w.rand([9], { low: -2, high: 2, requiresGrad: true });
        const y = f(x);
        const loss = w.sum(y);
        loss.backward();
        await rt.sync();
        for (const t of [x.grad, x, y, loss]) t.dispose();
        leaks[name] = rt.stats().liveBuffers - before;
      };
      for (const op of ['erf', 'reciprocal', 'sin', 'cos', 'softplus', 'elu']) await run(op, (x) => w[op](x));
      await run('geluTanh', (x) => w.gelu(x, { approximate: 'tanh' }));
      await run('clip', (x) => w.clip(x, -0.5, 0.5));
      return leaks;
    })()`)) as Record<string, number>;
    expect(Object.keys(r).length).toBe(8);
    for (const [op, n] of Object.entries(r)) expect(n, `${op}: buffers left alive`).toBe(0);
  });
});

describe('bad inputs', () => {
  it('rejects bad options with a WebgradError naming the op', async () => {
    await expectShapeError(page, 'clip', [[3]], { min: null, max: null }, 'clip: needs at least one of min and max');
    await expectShapeError(page, 'clip', [[3]], { min: 1, max: 0 }, 'min 1 is above max 0');
    await expectShapeError(page, 'clip', [[3]], { min: 'NaN', max: 1 }, 'finite');
    await expectShapeError(page, 'softplus', [[3]], { beta: 0 }, 'beta must be positive');
    await expectShapeError(page, 'softplus', [[3]], { threshold: 'Infinity' }, 'finite');
    await expectShapeError(page, 'elu', [[3]], { alpha: 'NaN' }, 'finite');
    await expectShapeError(
      page,
      'gelu',
      [[3]],
      untyped({ approximate: 'sigmoid' }),
      "approximate must be 'none' or 'tanh'",
    );
  });
});
