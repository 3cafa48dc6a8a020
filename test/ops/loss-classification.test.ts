// crossEntropy (class indices and probabilities), nllLoss and bceWithLogits: three-tier gradchecks in every
// reduction, with ignoreIndex, label smoothing, spatial axes (N, C, d…) and posWeight; large logits; NaN for an
// index out of range; no buffer left alive; typed errors for bad inputs. PyTorch's numbers for the same options:
// test/torch-parity.test.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectShapeError, gradcase, gradcaseAsText, gradcheck, untyped, type Case } from '../gradcheck';
import { openPage, type TestPage } from '../page';
import type { Rng } from '../rng';
import { bceWithLogitsRef, classLossRef, type Reduction } from '../../src/engine/ops/loss.reference';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

const REDUCTIONS: Reduction[] = ['mean', 'sum', 'none'];
// (N, C), one odd spatial axis, two spatial axes; C = 1 is a degenerate but legal row.
const SHAPES = [
  [7, 5],
  [3, 1],
  [3, 4, 5],
  [2, 3, 3, 2],
];
const targetShape = (shape: number[]) => [shape[0], ...shape.slice(2)];

/** Class indices in [0, C), about a quarter of them replaced by ignoreIndex; the first never is (so 'mean' is finite). */
const classes = (C: number, ignoreIndex?: number) => (r: Rng, n: number) =>
  Float64Array.from({ length: n }, (_, i) => {
    if (i > 0 && ignoreIndex !== undefined && r.next() < 0.25) return ignoreIndex;
    let c = r.int(C);
    while (i === 0 && c === ignoreIndex) c = r.int(C);
    return c;
  });

describe('crossEntropy with class indices', () => {
  it('matches the reference in every reduction, with ignoreIndex and label smoothing', async () => {
    for (const shape of SHAPES) {
      for (const reduction of REDUCTIONS) {
        for (const [ignoreIndex, labelSmoothing] of [
          [undefined, 0],
          [-100, 0.2],
          [1, 0],
        ] as const) {
          const attrs = { reduction, labelSmoothing, ...(ignoreIndex !== undefined ? { ignoreIndex } : {}) };
          await gradcheck(page, {
            op: 'crossEntropy',
            attrs,
            inputs: [
              { shape, gen: (r, n) => r.normal(n, 2) },
              { shape: targetShape(shape), gen: classes(shape[1], ignoreIndex), grad: false },
            ],
            ref: (xs) => classLossRef(xs[0], xs[1], shape, 'index', attrs),
          });
        }
      }
    }
  });

  it('keeps its digits on large logits (the shift by the row maximum comes first)', async () => {
    // Rows near 1e4, as issue 17's logSoftmax fault: m + log Σ formed first would lose 5e-4 relative.
    const shape = [3, 4];
    const r = await gradcase(page, {
      op: 'crossEntropy',
      attrs: { reduction: 'none' },
      inputs: [
        { shape, data: [10000, 10001, 10002, 10003, -5000, -5001, -5002, -5003, 1e4, 1e4, 1e4, 1e4] },
        { shape: [3], data: [3, 0, 2], grad: false },
      ],
      weights: [1, 1, 1],
      fdIndices: [[], []],
      fdEps: 0,
    });
    const lse = Math.log(1 + Math.exp(-1) + Math.exp(-2) + Math.exp(-3));
    [lse, lse, Math.log(4)].forEach((want, i) => expect(r.out[i]).toBeCloseTo(want, 5));
  });

  it('gives NaN where an index is outside [0, C), and a mean over no targets is NaN (0 / 0), as PyTorch', async () => {
    const spec = (data: number[], reduction: Reduction): Case<'crossEntropy'> => ({
      op: 'crossEntropy',
      attrs: { reduction },
      inputs: [
        { shape: [3, 4], data: Array.from({ length: 12 }, (_, i) => i / 10) },
        { shape: [3], data, grad: false },
      ],
      weights: reduction === 'none' ? [1, 1, 1] : [1],
      fdIndices: [[], []],
      fdEps: 0,
    });
    const bad = await gradcaseAsText(page, spec([0, 4, 1], 'none'));
    expect(bad.out.map((v) => v === 'NaN')).toEqual([false, true, false]);
    expect((await gradcaseAsText(page, spec([-100, -100, -100], 'mean'))).out).toEqual(['NaN']);
    expect((await gradcaseAsText(page, spec([-100, -100, -100], 'sum'))).out).toEqual(['0']);
  });
});

describe('crossEntropy with class probabilities', () => {
  it('matches the reference in every reduction, with label smoothing; the target is differentiable', async () => {
    for (const shape of SHAPES) {
      for (const reduction of REDUCTIONS) {
        for (const labelSmoothing of [0, 0.3]) {
          const attrs = { reduction, labelSmoothing };
          // Targets in [0, 1] that need not sum to 1: PyTorch takes them as given, and so must the gradient.
          await gradcheck(page, {
            op: 'crossEntropy',
            attrs,
            inputs: [
              { shape, gen: (r, n) => r.normal(n, 2) },
              { shape, gen: (r, n) => r.uniform(n, 0, 1) },
            ],
            ref: (xs) => classLossRef(xs[0], xs[1], shape, 'probs', attrs),
          });
        }
      }
    }
  });
});

describe('nllLoss', () => {
  it('matches the reference in every reduction, with ignoreIndex', async () => {
    for (const shape of SHAPES) {
      for (const reduction of REDUCTIONS) {
        for (const ignoreIndex of [undefined, 2]) {
          const attrs = { reduction, ...(ignoreIndex !== undefined ? { ignoreIndex } : {}) };
          await gradcheck(page, {
            op: 'nllLoss',
            attrs,
            inputs: [
              { shape, gen: (r, n) => r.uniform(n, -3, 0) },
              { shape: targetShape(shape), gen: classes(shape[1], ignoreIndex ?? -100), grad: false },
            ],
            ref: (xs) => classLossRef(xs[0], xs[1], shape, 'nll', attrs),
          });
        }
      }
    }
  });
});

describe('bceWithLogits', () => {
  it('matches the reference in every reduction, with and without posWeight; both inputs differentiable', async () => {
    for (const shape of [[1], [7, 5], [3, 4, 9]]) {
      const K = shape[shape.length - 1];
      for (const reduction of REDUCTIONS) {
        await gradcheck(page, {
          op: 'bceWithLogits',
          attrs: { reduction },
          inputs: [
            { shape, gen: (r, n) => r.normal(n, 3) },
            { shape, gen: (r, n) => r.uniform(n, 0, 1) },
          ],
          ref: (xs) => bceWithLogitsRef(xs[0], xs[1], shape, reduction),
        });
        await gradcheck(page, {
          op: 'bceWithLogits',
          attrs: { reduction },
          inputs: [
            { shape, gen: (r, n) => r.normal(n, 3) },
            { shape, gen: (r, n) => r.uniform(n, 0, 1) },
            { shape: [K], gen: (r, n) => r.uniform(n, 0.2, 4), grad: false },
          ],
          ref: (xs) => bceWithLogitsRef(xs[0], xs[1], shape, reduction, Array.from(xs[2]!)),
        });
      }
    }
  });

  it('stays finite and accurate for logits far from 0', async () => {
    const x = [-200, -30, -1e-3, 1e-3, 30, 200];
    const t = [0, 1, 0.5, 0.5, 0, 1];
    const r = await gradcase(page, {
      op: 'bceWithLogits',
      attrs: { reduction: 'none' },
      inputs: [
        { shape: [6], data: x },
        { shape: [6], data: t },
      ],
      weights: [1, 1, 1, 1, 1, 1],
      fdIndices: [[], []],
      fdEps: 0,
    });
    const want = bceWithLogitsRef(Float64Array.from(x, Math.fround), Float64Array.from(t), [6], 'none').data;
    want.forEach((v, i) => expect(r.out[i]).toBeCloseTo(v, 4));
    // d/dx = σ(x) − t: exactly 0 or ±1 at both ends, no overflow.
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-Math.fround(v)));
    x.forEach((v, i) => expect(r.grads[0]![i]).toBeCloseTo(sigmoid(v) - t[i], 6));
  });
});

describe('launches', () => {
  it('crossEntropy fuses log-softmax and the loss: one pass per row, one reduction, one backward pass', async () => {
    const r = (await page.page.evaluate(`(async () => {
      const w = globalThis.wg;
      const rt = w.runtime();
      const x = w.rand([9, 7], { requiresGrad: true });
      const t = w.tensor([0, 6, 3, -100, 2, 1, 5, 4, 0], [9]);
      const counts = {};
      for (const reduction of ['none', 'mean']) {
        w.tidy(() => {
          const d0 = rt.stats().dispatches;
          const y = w.crossEntropy(x, t, { reduction, labelSmoothing: 0.1 });
          const d1 = rt.stats().dispatches;
          const gy = w.ones(y.shape);
          const d2 = rt.stats().dispatches;
          y.backward(gy);
          counts[reduction] = [d1 - d0, rt.stats().dispatches - d2];
        });
        x.grad.dispose();
        x.grad = null;
      }
      await rt.sync();
      return counts;
    })()`)) as Record<string, [number, number]>;
    expect(r).toEqual({ none: [1, 1], mean: [2, 1] });
  });
});

describe('memory', () => {
  it('forward + backward inside tidy() frees every temporary, in every form and reduction', async () => {
    const r = (await page.page.evaluate(`(async () => {
      const w = globalThis.wg;
      const rt = w.runtime();
      await rt.sync();
      const leaks = {};
      const run = async (name, f) => {
        const before = rt.stats().liveBuffers;
        const x = w.rand([5, 4, 3], { low: -2, high: 2, requiresGrad: true });
        const p = w.rand([5, 4, 3], { low: 0, high: 1, requiresGrad: true });
        const idx = w.tensor([0, 3, -100, 1, 2, 2, 0, 1, 3, -100, 1, 0, 3, 2, 1], [5, 3]);
        const pw = w.rand([3], { low: 0.5, high: 2 });
        w.tidy(() => w.sum(f(x, p, idx, pw)).backward());
        await rt.sync();
        for (const t of [x.grad, p.grad, x, p, idx, pw]) t?.dispose();
        leaks[name] = rt.stats().liveBuffers - before;
      };
      for (const reduction of ['mean', 'sum', 'none']) {
        await run('indices ' + reduction, (x, p, idx) => w.crossEntropy(x, idx, { reduction, labelSmoothing: 0.1 }));
        await run('probabilities ' + reduction, (x, p) => w.crossEntropy(x, p, { reduction }));
        await run('nll ' + reduction, (x, p, idx) => w.nllLoss(x, idx, { reduction }));
        await run('bce ' + reduction, (x, p, idx, pw) => w.bceWithLogits(x, p, { reduction, posWeight: pw }));
      }
      return leaks;
    })()`)) as Record<string, number>;
    expect(Object.keys(r).length).toBe(12);
    for (const [op, n] of Object.entries(r)) expect(n, `${op}: buffers left alive`).toBe(0);
  });
});

describe('bad inputs', () => {
  it('throw a WebgradError naming the op before any GPU work', async () => {
    for (const op of ['crossEntropy', 'nllLoss'] as const) {
      await expectShapeError(page, op, [[5], [5]], {});
      await expectShapeError(page, op, [[4, 3], [3]], {});
      await expectShapeError(
        page,
        op,
        [
          [4, 3, 2],
          [4, 3],
        ],
        {},
      );
      await expectShapeError(page, op, [[0, 3], [0]], {});
      await expectShapeError(page, op, [[4, 3], [4]], untyped({ reduction: 'max' }));
      await expectShapeError(page, op, [[4, 3], [4]], { ignoreIndex: 1.5 });
    }
    await expectShapeError(page, 'crossEntropy', [[4, 3], [4]], { labelSmoothing: 1.5 });
    await expectShapeError(page, 'crossEntropy', [[4, 3], [4]], { labelSmoothing: -0.1 });
    await expectShapeError(
      page,
      'nllLoss',
      [
        [4, 3],
        [4, 3],
      ],
      {},
      'target must have shape [4]',
    );
    await expectShapeError(
      page,
      'bceWithLogits',
      [
        [4, 3],
        [3, 4],
      ],
      {},
    );
    await expectShapeError(page, 'bceWithLogits', [[4, 3], [4, 3], [4]], {}, 'posWeight');
    await expectShapeError(
      page,
      'bceWithLogits',
      [
        [4, 3],
        [4, 3],
      ],
      untyped({ reduction: 'avg' }),
    );
    await expectShapeError(page, 'bceWithLogits', [[0], [0]], { reduction: 'mean' });
  });
});
