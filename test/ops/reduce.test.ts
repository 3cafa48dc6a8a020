// Reductions: sum, mean, max, variance over every kind of axis set (all, one, contiguous runs, non-contiguous,
// negative), with and without keepdim, checked in three tiers against float64 references; a large two-pass full
// reduction; arg-max tie-breaking; and rejection of bad axes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from '../page';
import { expectShapeError, gradcase, gradcaseAsText, gradcheck } from '../gradcheck';
import { refMax, refMean, refSum, refVariance } from '../../src/engine/ops/reduce.reference';
import { rngFor, type Rng } from '../rng';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

type Axes = number | number[] | undefined;

const REFS = {
  sum: (x: Float64Array, s: number[], a: Axes, k: boolean) => refSum(x, s, a, k),
  mean: (x: Float64Array, s: number[], a: Axes, k: boolean) => refMean(x, s, a, k),
  max: (x: Float64Array, s: number[], a: Axes, k: boolean) => refMax(x, s, a, k),
  variance: (x: Float64Array, s: number[], a: Axes, k: boolean, unbiased = false) => refVariance(x, s, a, k, unbiased),
};
type Op = keyof typeof REFS;

/**
 * n distinct values spread evenly over [-1, 1], shuffled. max is only differentiable away from ties: a finite-difference
 * step must not let a runner-up overtake the maximum, so max is checked on inputs at least 2/n apart, with steps of 1e-4.
 */
function distinct(r: Rng, n: number): Float64Array {
  const a = Float64Array.from({ length: n }, (_, k) => -1 + (2 * (k + 0.5)) / n);
  for (let k = n - 1; k > 0; k--) {
    const j = r.int(k + 1);
    [a[k], a[j]] = [a[j], a[k]];
  }
  return a;
}

/**
 * Tier-3 step: sum, mean and variance are polynomials of degree ≤ 2 in x, for which central differences are exact at
 * any step, so a large step (0.5) drowns the float32 rounding of outputs that sum thousands of elements (whose
 * gradients are only ~1/n). max takes small steps on well-separated inputs (see distinct).
 */
const FD_EPS: Record<Op, number> = { sum: 0.5, mean: 0.5, variance: 0.5, max: 1e-4 };

function check(op: Op, shape: number[], axes: Axes, keepdim: boolean, extra: { unbiased?: boolean } = {}) {
  const attrs = { axes, keepdim, ...(extra.unbiased ? { unbiased: true } : {}) };
  return gradcheck(page, {
    op,
    attrs,
    inputs: [{ shape, gen: op === 'max' ? distinct : undefined }],
    ref: ([x]) => REFS[op](x, shape, axes, keepdim, extra.unbiased),
    tol: { fdEps: FD_EPS[op] },
  });
}

// (shape, axes, keepdim): all axes, single axes (first, middle, last, negative), contiguous runs, and
// non-contiguous sets that go through the permuting path.
const CASES: [number[], Axes, boolean][] = [
  [[], undefined, false],
  [[1], undefined, false],
  [[1], 0, true],
  [[3, 17], undefined, false],
  [[3, 17], undefined, true],
  [[3, 17], 0, false],
  [[3, 17], -1, true],
  [[17, 33, 5], 1, false],
  [[17, 33, 5], [0, 2], false],
  [[17, 33, 5], [-3, -1], true],
  [[17, 33, 5], [1, 2], false],
  [[17, 33, 5], [0, 1], true],
  [[3, 1, 4, 5, 2], [0, 2, 4], false],
  [[3, 1, 4, 5, 2], [1, 3], true],
  [[5, 12], -1, false], // rows a multiple of 4 long: the vec4 kernel
  [[2, 3, 8], [1, 2], true],
];

describe.each(['sum', 'mean', 'max'] as const)('%s', (op) => {
  it('matches float64 in all three tiers over many axis sets', async () => {
    for (const [shape, axes, keepdim] of CASES) await check(op, shape, axes, keepdim);
  });
});

describe('variance', () => {
  it('matches float64 in all three tiers, biased and unbiased', async () => {
    for (const [shape, axes, keepdim] of CASES) {
      await check('variance', shape, axes, keepdim);
      // Unbiased over one element divides 0 by 0 (NaN, as in PyTorch): only check it where n > 1.
      if (shape.reduce((a, b) => a * b, 1) > 1) await check('variance', shape, axes, keepdim, { unbiased: true });
    }
  });

  it('stays accurate when the mean is large (two-pass, not E[x²] − E[x]²)', async () => {
    const shape = [3, 129];
    await gradcheck(page, {
      op: 'variance',
      attrs: { axes: -1 },
      // Inputs exactly representable in float32, so the reference sees what the GPU sees. The forward keeps the
      // default 1e-4 tolerance; the gradient 2(x − mean)/n inherits the float32 mean's rounding (a sum near 1.3e5
      // is good to ~1e-2, so the mean to ~1e-4), hence gradAtol 1e-3 of the largest gradient. Tier-3 steps of
      // 1e-5·|x| (0.01) stay small against the spread of 2.
      inputs: [{ shape, gen: (r, n) => r.uniform(n, 999, 1001).map(Math.fround) }],
      ref: ([x]) => refVariance(x, shape, -1, false),
      tol: { fdEps: 1e-5, gradAtol: 1e-3 },
    });
  });
});

describe('large and chunked (two-pass) reductions', () => {
  it('reduces 129×1031 fully, forward vs float64 and gradients', async () => {
    for (const op of ['sum', 'mean', 'max', 'variance'] as const) await check(op, [129, 1031], undefined, false);
  });

  it('chunks long rows when there are few of them, with inner > 1 too', async () => {
    for (const op of ['sum', 'max', 'variance'] as const) {
      await check(op, [3, 5000], 1, false);
      await check(op, [4000, 3], 0, true);
      await check(op, [2, 3000, 3], [0, 1], false);
    }
  });

  it('a small two-pass sum folded into one dispatch (reduce_sum FOLD) equals the two passes bit for bit', async () => {
    // Bias-gradient shapes: column sums of 3001 rows (12 chunks: the fold's four accumulators), 1500 rows (6 chunks:
    // accumulators and a tail of 2) and 517 rows (3 chunks: tail only), sums and variances; the two-pass form is
    // setSumFolding(false).
    const rng = rngFor('sum fold');
    for (const shape of [
      [3001, 37],
      [1500, 7],
      [517, 9],
      [3, 700, 5],
    ]) {
      const data = Array.from(
        rng.normal(
          shape.reduce((a, b) => a * b, 1),
          1,
        ),
        Math.fround,
      );
      for (const [op, twoPass] of [
        ['sum', 'sumTwoPass'],
        ['variance', 'varianceTwoPass'],
      ] as const) {
        const axis = shape.length - 2;
        const weights = new Array<number>(data.length / shape[axis]).fill(1);
        const c = { attrs: { axes: axis }, inputs: [{ shape, data }], weights, fdIndices: [[]], fdEps: 1e-3 };
        const folded = await gradcase(page, { op, ...c });
        const plain = await gradcase(page, { op: twoPass, ...c });
        expect(folded.out, `${op} ${JSON.stringify(shape)}`).toEqual(plain.out);
      }
    }
  });
});

describe('max', () => {
  /** Forward and backward only (finite differences are meaningless at a tie), with output weights 1, 2, 3, ... */
  const tieCase = (shape: number[], data: number[], axes: Axes) =>
    gradcase(page, {
      op: 'max',
      attrs: { axes },
      inputs: [{ shape, data }],
      weights: Array.from(refMax(data, shape, axes).data, (_, i) => i + 1),
      fdIndices: [[]],
      fdEps: 1e-2,
    });

  it('sends the gradient to the first of tied maxima only', async () => {
    // Row 0 ties at columns 1 and 3; row 1 is constant (first index wins); row 2 ties at 0 and 4.
    const data = [0, 5, 1, 5, 2, 7, 7, 7, 7, 7, 9, -1, 3, 8, 9];
    const res = await tieCase([3, 5], data, 1);
    expect(res.out).toEqual([5, 7, 9]);
    const g = new Array(15).fill(0);
    g[1] = 1; // weight of output 0
    g[5] = 2;
    g[10] = 3;
    expect(res.grads[0]).toEqual(g);
  });

  it('breaks ties across the chunks of a two-pass reduction by lowest index', async () => {
    const n = 3001;
    const data = new Array(n).fill(0);
    for (const at of [700, 1500, 2900]) data[at] = 4; // in different chunks of the first pass
    const res = await tieCase([n], data, undefined);
    expect(res.out).toEqual([4]);
    const g = new Array(n).fill(0);
    g[700] = 1;
    expect(res.grads[0]).toEqual(g);
  });

  it('breaks ties in row-major order over non-contiguous reduced axes', async () => {
    // shape (2, 2, 2), reduce axes [0, 2]: output j gathers x[a, j, c] in the order (a, c) = (0,0) (0,1) (1,0) (1,1).
    const data = [1, 3, 0, 0, 3, 3, 0, 2];
    const res = await tieCase([2, 2, 2], data, [0, 2]);
    expect(res.out).toEqual([3, 2]);
    expect(res.grads[0]).toEqual([0, 1, 0, 0, 0, 0, 0, 2]);
  });
});

describe('bad input', () => {
  it('rejects out-of-range, duplicate and non-integer axes, naming the op and shape', async () => {
    for (const op of ['sum', 'mean', 'max', 'variance'] as const) {
      await expectShapeError(page, op, [[3, 4]], { axes: 2 }, op);
      await expectShapeError(page, op, [[3, 4]], { axes: -3 }, '[3, 4]');
      await expectShapeError(page, op, [[3, 4]], { axes: [0, -2] }, 'more than once');
      await expectShapeError(page, op, [[3, 4]], { axes: [1.5] }, op);
      await expectShapeError(page, op, [[]], { axes: 0 }, 'out of range');
    }
  });

  it('reduces over an empty axis as NumPy, PyTorch and ONNX do: sum 0, mean and variance NaN, max −∞', async () => {
    // Before, max, mean and variance threw. max follows ONNX's ReduceMax (NumPy and PyTorch raise there instead).
    const want = [
      ['sum', 0],
      ['mean', NaN],
      ['variance', NaN],
      ['max', -Infinity],
    ] as const;
    for (const [op, value] of want) {
      for (const [shape, axes, outSize] of [
        [[3, 0], 1, 3],
        [[2, 0, 4], 1, 8],
        [[2, 0, 4], [0, 1], 4],
      ] as const) {
        const res = await gradcaseAsText(page, {
          op,
          attrs: { axes: typeof axes === 'number' ? axes : [...axes] },
          inputs: [{ shape: [...shape], data: [] }],
          weights: new Array(outSize).fill(1),
          fdIndices: [[]],
          fdEps: 1e-2,
        });
        expect(res.out, `${op} over ${JSON.stringify(axes)} of [${shape}]`).toEqual(
          new Array(outSize).fill(String(value)),
        );
        expect(res.gradLengths).toEqual([0]);
      }
    }
  });
});
