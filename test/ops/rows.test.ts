// The workgroup-per-row rungs of the row ops (src/engine/ops/rows.ts) and permute's tiled rung: softmax, logSoftmax,
// logsumexp, layerNorm, sum / mean / max / min / variance / argmax / argmin over contiguous rows, each gradient-checked
// in three tiers with `kernel` 'workgroup' and, where the device has subgroups (SwiftShader: size 4), 'subgroup';
// rows shorter and longer than a workgroup (128) and not a multiple of 4; every rung's forward and gradients against
// the serial rung's on the same data; the kernel option's refusals.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from '../page';
import { expectShapeError, gradcase, gradcheck, untyped, type Tolerances } from '../gradcheck';
import { refLogSoftmax, refLogsumexp, refSoftmax } from '../../src/engine/ops/softmax.reference';
import { refLayerNorm } from '../../src/engine/ops/layernorm.reference';
import {
  refArgmax,
  refArgmin,
  refMax,
  refMean,
  refMin,
  refSum,
  refVariance,
} from '../../src/engine/ops/reduce.reference';
import { permuteRef } from '../../src/engine/ops/shape.reference';
import type { RowKernel } from '../../src/index';
import type { Rng } from '../rng';

let page: TestPage;
let rungs: RowKernel[] = ['workgroup'];
beforeAll(async () => {
  page = await openPage();
  const subgroups = await page.page.evaluate(
    'globalThis.harness.ready.then(() => globalThis.wg?.tuning?.().subgroups)',
  );
  if (subgroups === true) rungs = ['workgroup', 'subgroup'];
});
afterAll(() => page?.close());

// Row lengths 1, 37 (< a workgroup, odd), 131 (just past one), 301 (past two; not a multiple of 4 or of any subgroup).
const SHAPES = [
  [3, 1],
  [5, 37],
  [2, 3, 131],
  [3, 301],
];

/** n distinct values over [-1, 1], shuffled: max, min and their arguments stay away from ties under tier-3 steps. */
function distinct(r: Rng, n: number): Float64Array {
  const a = Float64Array.from({ length: n }, (_, k) => -1 + (2 * (k + 0.5)) / n);
  for (let k = n - 1; k > 0; k--) {
    const j = r.int(k + 1);
    [a[k], a[j]] = [a[j], a[k]];
  }
  return a;
}

describe('the subgroup rung is tested', () => {
  it('SwiftShader offers subgroups, so both rungs run here', () => {
    expect(rungs).toEqual(['workgroup', 'subgroup']);
  });
});

describe('softmax family, workgroup rungs', () => {
  const refs = {
    softmax: (x: Float64Array, s: number[]) => refSoftmax(x, s),
    logSoftmax: (x: Float64Array, s: number[]) => refLogSoftmax(x, s),
    logsumexp: (x: Float64Array, s: number[]) => refLogsumexp(x, s, false),
  };
  for (const op of ['softmax', 'logSoftmax', 'logsumexp'] as const) {
    it(`${op} matches float64 in all three tiers`, async () => {
      for (const kernel of rungs) {
        for (const shape of SHAPES) {
          const gen = (r: Rng, n: number) => r.uniform(n, -4, 4);
          await gradcheck(page, { op, attrs: { kernel }, inputs: [{ shape, gen }], ref: ([x]) => refs[op](x, shape) });
        }
      }
    });
  }
  it('softmax over a middle axis (permuted to the last) takes the rung too', async () => {
    for (const kernel of rungs) {
      const shape = [3, 133, 2];
      await gradcheck(page, {
        op: 'softmax',
        attrs: { axis: 1, kernel },
        inputs: [{ shape }],
        ref: ([x]) => {
          // softmax over axis 1 of (3, 133, 2) = softmax over the last axis of its (3, 2, 133) transpose, moved back.
          const t = permuteRef(x, shape, [0, 2, 1]);
          const s = refSoftmax(t.data, t.shape);
          return permuteRef(s.data, t.shape, [0, 2, 1]);
        },
      });
    }
  });
});

describe('layerNorm, workgroup rungs', () => {
  it('matches float64 in all three tiers, with and without gamma and beta', async () => {
    for (const kernel of rungs) {
      for (const shape of SHAPES.slice(1)) {
        const c = shape[shape.length - 1];
        for (const affine of [true, false]) {
          await gradcheck(page, {
            op: 'layerNorm',
            attrs: { gamma: affine, beta: affine, kernel },
            inputs: [
              { shape },
              ...(affine ? [{ shape: [c], gen: (r: Rng, n: number) => r.uniform(n, 0.5, 1.5) }, { shape: [c] }] : []),
            ],
            ref: (xs) => refLayerNorm(xs[0], shape, affine ? xs[1] : null, affine ? xs[2] : null),
            tol: { fdEps: 1e-3 },
          });
        }
      }
    }
  });
});

describe('reductions over contiguous rows, workgroup rungs', () => {
  // Tier-3 steps as test/ops/reduce.test.ts: sum, mean and variance are polynomials of degree ≤ 2, exact under central
  // differences at any step, so 0.5 drowns float32 rounding; max and min need steps that keep the arg-max.
  const poly: Partial<Tolerances> = { fdEps: 0.5 };
  const tol: Partial<Tolerances> = { fdEps: 1e-4 };
  const cases = [
    { shape: [5, 37], axes: -1 },
    { shape: [2, 3, 131], axes: [1, 2] },
    { shape: [3, 301], axes: 1 },
    { shape: [131, 3], axes: 0 }, // a middle axis (inner > 1): the serial kernel, whatever the rung
    { shape: [3, 5, 7], axes: [0, 2] }, // permuted into rows first
    { shape: [4001], axes: undefined }, // one long row: chunked (16 rows of 252, then one of 16), both on the rung
  ];
  it('sum, mean and variance match float64 in all three tiers', async () => {
    for (const kernel of rungs) {
      for (const { shape, axes } of cases) {
        await gradcheck(page, {
          op: 'sum',
          attrs: { axes, kernel },
          inputs: [{ shape }],
          ref: ([x]) => refSum(x, shape, axes),
        });
        await gradcheck(page, {
          op: 'mean',
          attrs: { axes, kernel },
          inputs: [{ shape }],
          ref: ([x]) => refMean(x, shape, axes),
        });
        await gradcheck(page, {
          op: 'variance',
          attrs: { axes, kernel, unbiased: true },
          inputs: [{ shape }],
          ref: ([x]) => refVariance(x, shape, axes, false, true),
          tol: poly,
        });
      }
    }
  });
  it('max and min match float64 in all three tiers', async () => {
    for (const kernel of rungs) {
      for (const { shape, axes } of cases) {
        const inputs = [{ shape, gen: distinct }] as [{ shape: number[]; gen: typeof distinct }];
        await gradcheck(page, {
          op: 'max',
          attrs: { axes, kernel },
          inputs,
          ref: ([x]) => refMax(x, shape, axes),
          tol,
        });
        await gradcheck(page, {
          op: 'min',
          attrs: { axes, kernel },
          inputs,
          ref: ([x]) => refMin(x, shape, axes),
          tol,
        });
      }
    }
  });
  it('argmax and argmin break ties to the first index, as the serial rung', async () => {
    // Rows of 301 with the extreme at several positions, two of them tied: the lowest tied index must win even
    // when the tied elements fall to different invocations (5 and 5 + 128) or different subgroups.
    const c = 301;
    const row = (at: number[], v: number) => Array.from({ length: c }, (_, j) => (at.includes(j) ? v : (j % 7) / 10));
    const data = [...row([5, 133], 2), ...row([290, 300], 2), ...row([0, 128, 256], 2)];
    const neg = data.map((v) => -v);
    for (const kernel of [...rungs, 'serial' as const]) {
      for (const [op, d] of [
        ['argmax', data],
        ['argmin', neg],
      ] as const) {
        const r = await gradcase(page, {
          op,
          attrs: { axis: 1, kernel },
          inputs: [{ shape: [3, c], data: d, grad: false }],
          weights: [1, 1, 1],
          fdIndices: [[]],
          fdEps: 1e-2,
        });
        expect(r.out, `${op} ${kernel}`).toEqual([5, 290, 0]);
        const ref = (op === 'argmax' ? refArgmax : refArgmin)(Float64Array.from(d), [3, c], 1);
        expect(Array.from(ref.data)).toEqual([5, 290, 0]);
      }
    }
  });
});

describe('every rung against the serial rung', () => {
  it('gives the same forward and gradients as the serial rung on the same data (to float32 rounding)', async () => {
    const shape = [4, 301];
    const n = 4 * 301;
    const data = Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 3);
    const weights = Array.from({ length: n }, (_, i) => Math.cos(i * 0.11));
    const run = (op: 'softmax' | 'logSoftmax' | 'layerNorm', kernel: RowKernel) =>
      gradcase(page, { op, attrs: { kernel }, inputs: [{ shape, data }], weights, fdIndices: [[]], fdEps: 1e-2 });
    for (const op of ['softmax', 'logSoftmax', 'layerNorm'] as const) {
      const serial = await run(op, 'serial');
      for (const kernel of rungs) {
        const r = await run(op, kernel);
        r.out.forEach((v, i) => expect(Math.abs(v - serial.out[i]), `${op} ${kernel} out[${i}]`).toBeLessThan(2e-6));
        r.grads[0]!.forEach((g, i) =>
          expect(Math.abs(g - serial.grads[0]![i]), `${op} ${kernel} grad[${i}]`).toBeLessThan(2e-5),
        );
      }
    }
  });
});

describe('permute, tiled rung', () => {
  const cases: [number[], number[]][] = [
    [
      [37, 45],
      [1, 0],
    ], // one tile row and column of each, partial tiles
    [
      [3, 33, 70],
      [0, 2, 1],
    ], // a batch of transposes
    [
      [5, 7, 66],
      [2, 0, 1],
    ], // the last axis moved to the front: (66, 35) ← (35, 66)
    [
      [2, 3, 33, 5],
      [1, 0, 3, 2],
    ], // batch axes permuted too
    [
      [1, 40, 1, 9],
      [0, 3, 2, 1],
    ], // size-1 axes dropped in the plan
  ];
  it('matches the reference in all three tiers', async () => {
    for (const [shape, dims] of cases) {
      await gradcheck(page, {
        op: 'permute',
        attrs: { dims, kernel: 'tiled' },
        inputs: [{ shape }],
        ref: (xs) => permuteRef(xs[0], shape, dims),
      });
    }
    await gradcheck(page, {
      op: 'transpose',
      attrs: { dim0: -1, dim1: -2, kernel: 'tiled' },
      inputs: [{ shape: [2, 65, 31] }],
      ref: (xs) => permuteRef(xs[0], [2, 65, 31], [0, 2, 1]),
    });
  });
  it("refuses 'tiled' for a permute that keeps the last axis, and an unknown kernel", async () => {
    await expectShapeError(page, 'permute', [[3, 4, 5]], { dims: [1, 0, 2], kernel: 'tiled' }, 'swaps the last two');
    await expectShapeError(page, 'permute', [[3, 4]], untyped({ dims: [1, 0], kernel: 'tile' }), 'strided, tiled');
  });
});

describe('kernel option', () => {
  it('refuses an unknown rung with a WebgradError naming the op', async () => {
    const bad = untyped({ kernel: 'warp' });
    await expectShapeError(page, 'softmax', [[3, 4]], bad, 'serial, workgroup, subgroup');
    await expectShapeError(page, 'logsumexp', [[3, 4]], bad, 'logsumexp');
    await expectShapeError(page, 'layerNorm', [[3, 4]], bad, 'serial, workgroup, subgroup');
    await expectShapeError(page, 'sum', [[3, 4]], bad, 'serial, workgroup, subgroup');
    await expectShapeError(page, 'argmax', [[3, 4]], untyped({ axis: 1, kernel: 'warp' }), 'argmax');
    await expectShapeError(page, 'variance', [[0, 4]], bad, 'variance'); // checked even when nothing is reduced
  });
});

describe('default rungs by tuning profile', () => {
  /** The kernels a fresh page on `profile` dispatches for each op call, in order. */
  type Call = { op: 'softmax' | 'sum' | 'permute'; shape: number[] };
  async function kernelsOn(profile: 'cpu' | 'gpu', calls: Call[]) {
    const before = process.env.WEBGRAD_TUNING;
    process.env.WEBGRAD_TUNING = profile;
    const p = await openPage().finally(() => {
      if (before === undefined) delete process.env.WEBGRAD_TUNING;
      else process.env.WEBGRAD_TUNING = before;
    });
    const seen: string[][] = [];
    try {
      let had = new Set<string>();
      for (const { op, shape } of calls) {
        const n = shape.reduce((a, b) => a * b, 1);
        const data = Array.from({ length: n }, (_, i) => Math.sin(i));
        const attrs = op === 'permute' ? { dims: [1, 0] } : op === 'sum' ? { axes: -1 } : undefined;
        const nOut = op === 'sum' ? shape[0] : n;
        const weights = new Array<number>(nOut).fill(1);
        await p.call('gradcase', { op, attrs, inputs: [{ shape, data }], weights, fdIndices: [[]], fdEps: 1e-2 });
        const all = new Set((await p.call('kernelsDispatched')).all);
        seen.push([...all].filter((k) => !had.has(k)).sort());
        had = all;
      }
    } finally {
      await p.close();
    }
    return seen;
  }
  const calls: Call[] = [
    { op: 'softmax', shape: [3, 127] }, // shorter than ROW_MIN_LENGTH: serial on both profiles
    { op: 'softmax', shape: [3, 128] },
    { op: 'sum', shape: [3, 300] },
    { op: 'permute', shape: [33, 35] },
  ];
  it('the cpu profile runs the serial and strided kernels it always ran', async () => {
    const seen = await kernelsOn('cpu', calls);
    expect(seen[0]).toEqual(['softmax', 'softmax_grad']);
    expect(seen[1]).toEqual([]); // the same kernels again
    expect(seen[2]).toEqual(expect.arrayContaining(['reduce_sum_vec4', 'reduce_grad']));
    expect(seen[3]).toEqual(['permute']);
  });
  it('the gpu profile runs the subgroup rungs (SwiftShader has subgroups) for rows of 128 and more, and tiles', async () => {
    const seen = await kernelsOn('gpu', calls);
    expect(seen[0]).toEqual(['softmax', 'softmax_grad']);
    expect(seen[1]).toEqual(['softmax_grad_subgroup', 'softmax_subgroup']);
    expect(seen[2]).toEqual(expect.arrayContaining(['reduce_sum_subgroup', 'reduce_grad']));
    expect(seen[2]).not.toContain('reduce_sum_vec4');
    expect(seen[3]).toEqual(['permute_tiled']);
  });
});
