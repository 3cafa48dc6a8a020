// The reductions added for issue 17: min (checked like max, ties included), prod (gradient exact with zeros, as
// PyTorch), argmax / argmin (first index at ties, float32 indices, empty axis refused) and cumsum (any axis; its
// gradient is the reversed cumsum), in three tiers against float64 references, with their bad-input errors.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from '../page';
import { expectShapeError, gradcase, gradcaseAsText, gradcheck, untyped } from '../gradcheck';
import { refArgmax, refArgmin, refCumsum, refMin, refProd } from '../../src/engine/ops/reduce.reference';
import { Rng, RUN_SEED } from '../rng';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

type Axes = number | number[] | undefined;

/** n distinct values evenly spread over [-1, 1], shuffled: no finite-difference step lets a runner-up overtake. */
function distinct(r: Rng, n: number): Float64Array {
  const a = Float64Array.from({ length: n }, (_, k) => -1 + (2 * (k + 0.5)) / n);
  for (let k = n - 1; k > 0; k--) {
    const j = r.int(k + 1);
    [a[k], a[j]] = [a[j], a[k]];
  }
  return a;
}

/** Magnitudes near 1 with random signs, so products of thousands stay in float32's range and away from zero. */
const nearOne = (spread: number) => (r: Rng, n: number) => r.awayFromZero(n, 1 - spread, 1 + spread);

// All axes, single axes (first, last, negative), contiguous runs and non-contiguous sets (the permuting path).
const CASES: [number[], Axes, boolean][] = [
  [[], undefined, false],
  [[1], 0, true],
  [[3, 17], undefined, false],
  [[3, 17], 0, false],
  [[3, 17], -1, true],
  [[7, 11, 5], 1, false],
  [[7, 11, 5], [0, 2], false],
  [[7, 11, 5], [-3, -1], true],
  [[3, 1, 4, 5, 2], [0, 2, 4], false],
  [[5, 12], -1, false],
];
// Few long rows: reduced in two passes (chunks, then partials), with inner > 1 too.
const CHUNKED: [number[], Axes, boolean][] = [
  [[3, 5000], 1, false],
  [[4000, 3], 0, true],
  [[2, 3000, 3], [0, 1], false],
];

describe('min', () => {
  it('matches float64 in all three tiers over many axis sets, chunked too', async () => {
    for (const [shape, axes, keepdim] of [...CASES, ...CHUNKED])
      await gradcheck(page, {
        op: 'min',
        attrs: { axes, keepdim },
        inputs: [{ shape, gen: distinct }],
        ref: ([x]) => refMin(x, shape, axes, keepdim),
        tol: { fdEps: 1e-4 },
      });
  });

  /** Forward and backward only (finite differences are meaningless at a tie), with output weights 1, 2, 3, ... */
  const tieCase = (shape: number[], data: number[], axes: Axes) =>
    gradcase(page, {
      op: 'min',
      attrs: { axes },
      inputs: [{ shape, data }],
      weights: Array.from(refMin(data, shape, axes).data, (_, i) => i + 1),
      fdIndices: [[]],
      fdEps: 1e-2,
    });

  it('sends the gradient to the first of tied minima only, as max does', async () => {
    const data = [0, -5, 1, -5, 2, 7, 7, 7, 7, 7, -9, 1, 3, 8, -9];
    const res = await tieCase([3, 5], data, 1);
    expect(res.out).toEqual([-5, 7, -9]);
    const g = new Array(15).fill(0);
    [g[1], g[5], g[10]] = [1, 2, 3];
    expect(res.grads[0]).toEqual(g);
  });

  it('breaks ties across the chunks of a two-pass reduction by lowest index', async () => {
    const n = 3001;
    const data = new Array(n).fill(0);
    for (const at of [700, 1500, 2900]) data[at] = -4;
    const res = await tieCase([n], data, undefined);
    expect(res.out).toEqual([-4]);
    const g = new Array(n).fill(0);
    g[700] = 1;
    expect(res.grads[0]).toEqual(g);
  });
});

describe('prod', () => {
  it('matches float64 in all three tiers over many axis sets, chunked too', async () => {
    // prod is linear in each element, so central differences are exact at any step: a large one beats rounding.
    for (const [shape, axes, keepdim] of CASES)
      await gradcheck(page, {
        op: 'prod',
        attrs: { axes, keepdim },
        inputs: [{ shape, gen: nearOne(0.5) }],
        ref: ([x]) => refProd(x, shape, axes, keepdim),
        tol: { fdEps: 0.1 },
      });
    for (const [shape, axes, keepdim] of CHUNKED)
      await gradcheck(page, {
        op: 'prod',
        attrs: { axes, keepdim },
        inputs: [{ shape, gen: nearOne(0.02) }],
        ref: ([x]) => refProd(x, shape, axes, keepdim),
        tol: { fdEps: 0.1 },
      });
  });

  it('gives each element the product of the others with zeros in the row (PyTorch), in one pass and two', async () => {
    // Rows: no zero; one zero (only it gets a gradient); two zeros (no gradient at all).
    const data = [2, 3, -4, 0.5, 2, 0, -4, 3, 0, 3, 0, 5];
    const res = await gradcase(page, {
      op: 'prod',
      attrs: { axes: 1 },
      inputs: [{ shape: [3, 4], data }],
      weights: [1, 2, 3],
      fdIndices: [[]],
      fdEps: 1e-2,
    });
    expect(res.out).toEqual([-12, 0, 0]);
    expect(res.grads[0]).toEqual([-6, -4, 3, -24, 0, 2 * -24, 0, 0, 0, 0, 0, 0]);
    // A zero in one chunk of a long row: the combined zero count, not the chunk's, decides.
    const n = 3001;
    const long = new Array(n).fill(1);
    long[10] = 0;
    long[2500] = -2;
    const two = await gradcase(page, {
      op: 'prod',
      inputs: [{ shape: [n], data: long }],
      weights: [1],
      fdIndices: [[]],
      fdEps: 1e-2,
    });
    expect(two.out).toEqual([0]);
    const g = new Array(n).fill(0);
    g[10] = -2;
    expect(two.grads[0]).toEqual(g);
  });
});

describe('argmax and argmin', () => {
  const rng = new Rng(RUN_SEED ^ 0x5eed);
  /** Forward only: the indices, as float32 integers, against the float64 reference (small integers: many ties). */
  async function indices(op: 'argmax' | 'argmin', shape: number[], axis: number | undefined, keepdim: boolean) {
    const data = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.int(4));
    const ref = (op === 'argmax' ? refArgmax : refArgmin)(data, shape, axis, keepdim);
    const res = await gradcase(page, {
      op,
      attrs: { axis, keepdim },
      inputs: [{ shape, data, grad: false }],
      weights: new Array(ref.data.length).fill(1),
      fdIndices: [[]],
      fdEps: 1e-2,
    });
    expect(res.outShape, `${op} of [${shape}] over ${axis}`).toEqual(ref.shape);
    expect(res.out, `${op} of [${shape}] over ${axis} (seed ${RUN_SEED})`).toEqual(Array.from(ref.data));
    expect(res.grads).toEqual([null]);
  }

  it('returns the first index of the extreme along any axis, or of the flattened tensor, as PyTorch', async () => {
    for (const op of ['argmax', 'argmin'] as const) {
      for (const [shape, axis, keepdim] of [
        [[17], 0, false],
        [[3, 17], 1, false],
        [[3, 17], -2, true],
        [[7, 11, 5], 1, true],
        [[7, 11, 5], undefined, false],
        [[3, 5000], 1, false], // two passes
        [[4000, 3], 0, false],
      ] as const)
        await indices(op, [...shape], axis, keepdim);
    }
  });

  it('ties go to the first index', async () => {
    const res = await gradcase(page, {
      op: 'argmax',
      attrs: { axis: 1 },
      inputs: [{ shape: [2, 4], data: [1, 3, 3, 0, 2, 2, 2, 2], grad: false }],
      weights: [1, 1],
      fdIndices: [[]],
      fdEps: 1e-2,
    });
    expect(res.out).toEqual([1, 0]);
  });
});

describe('cumsum', () => {
  it('matches float64 in all three tiers along any axis', async () => {
    // Linear: central differences are exact at any step.
    for (const [shape, axis] of [
      [[], 0],
      [[1], -1],
      [[17], 0],
      [[3, 17], 1],
      [[3, 17], 0],
      [[7, 11, 5], 1],
      [[7, 11, 5], -1],
      [[2, 3, 4, 5], 0],
      [[3, 700], 1],
    ] as const)
      await gradcheck(page, {
        op: 'cumsum',
        attrs: { axis },
        inputs: [{ shape: [...shape] }],
        ref: ([x]) => refCumsum(x, [...shape], axis),
        tol: { fdEps: 0.5 },
      });
  });

  it('is differentiable twice over: its gradient is the reversed cumsum, recorded as a cumsum', async () => {
    const r = (await page.page.evaluate(`(async () => {
      const w = globalThis.wg;
      const x = w.tensor([1, 2, 3, 4], [4], { requiresGrad: true });
      const g = w.tensor([1, 10, 100, 1000], [4], { requiresGrad: true });
      const y = w.cumsum(x, 0);
      // The gradient of Σ g·cumsum(x) with respect to x, formed by hand from the op's backward.
      const gx = y.node.backward(g, [true])[0];
      const out = Array.from(await gx.toArray());
      const isRecorded = gx.node?.op;
      for (const t of [x, g, y, gx]) t.dispose();
      return { out, isRecorded };
    })()`)) as { out: number[]; isRecorded: string };
    expect(r.out).toEqual([1111, 1110, 1100, 1000]);
    expect(r.isRecorded).toBe('cumsum');
  });
});

describe('empty axes and memory', () => {
  it('min gives +∞ and prod 1 over an empty axis; cumsum keeps the empty shape', async () => {
    for (const [op, value] of [
      ['min', 'Infinity'],
      ['prod', '1'],
    ] as const) {
      const res = await gradcaseAsText(page, {
        op,
        attrs: { axes: 1 },
        inputs: [{ shape: [2, 0, 4], data: [] }],
        weights: new Array(8).fill(1),
        fdIndices: [[]],
        fdEps: 1e-2,
      });
      expect(res.out, op).toEqual(new Array(8).fill(value));
      expect(res.gradLengths).toEqual([0]);
    }
    const c = await gradcase(page, {
      op: 'cumsum',
      attrs: { axis: 1 },
      inputs: [{ shape: [2, 0, 4], data: [] }],
      weights: [],
      fdIndices: [[]],
      fdEps: 1e-2,
    });
    expect(c.outShape).toEqual([2, 0, 4]);
  });

  it('forward + backward of min, prod, cumsum and argmax free all temporaries in a tidy (as max)', async () => {
    // Saved tensors (max's and min's arg-extreme, prod's zero counts) live as long as the tape that reads them, so,
    // as for every op, a tidy() scope is what frees them (a training step runs in one).
    const r = (await page.page.evaluate(`(async () => {
      const w = globalThis.wg;
      const rt = w.runtime();
      await rt.sync();
      const leaks = {};
      const run = async (name, f) => {
        const before = rt.stats().liveBuffers;
        await w.tidyAsync(async () => {
          const x = w.rand([3, 3000], { low: 0.5, high: 1.5, requiresGrad: true });
          const loss = w.sum(f(x));
          if (loss.requiresGrad) loss.backward();
          await rt.sync();
          x.grad?.dispose();
        });
        leaks[name] = rt.stats().liveBuffers - before;
      };
      await run('max', (x) => w.max(x, 1));
      await run('min', (x) => w.min(x, 1));
      await run('prod', (x) => w.prod(x, 1));
      await run('prod without grad', (x) => w.noGrad(() => w.prod(x, 1)));
      await run('cumsum', (x) => w.cumsum(x, 1));
      await run('argmax', (x) => w.argmax(x, 1));
      return leaks;
    })()`)) as Record<string, number>;
    expect(Object.keys(r).length).toBe(6);
    for (const [op, n] of Object.entries(r)) expect(n, `${op}: buffers left alive`).toBe(0);
  });
});

describe('bad input', () => {
  it('rejects bad axes, naming the op and shape, before any GPU work', async () => {
    for (const op of ['min', 'prod'] as const) {
      await expectShapeError(page, op, [[3, 4]], { axes: 2 }, op);
      await expectShapeError(page, op, [[3, 4]], { axes: -3 }, '[3, 4]');
      await expectShapeError(page, op, [[3, 4]], { axes: [0, -2] }, 'more than once');
    }
    for (const op of ['argmax', 'argmin'] as const) {
      await expectShapeError(page, op, [[3, 4]], { axis: 2 }, 'out of range');
      await expectShapeError(page, op, [[3, 4]], untyped({ axis: [0, 1] }), 'axis must be one number');
      await expectShapeError(page, op, [[3, 0]], { axis: 1 }, `${op} over axis 1, which is empty`);
      await expectShapeError(page, op, [[0]], {}, 'no elements');
    }
    await expectShapeError(page, 'cumsum', [[3, 4]], { axis: 2 }, 'cumsum: axis 2 is out of range for rank 2');
    await expectShapeError(page, 'cumsum', [[3, 4]], { axis: -3 }, '[3, 4]');
    await expectShapeError(page, 'cumsum', [[3, 4]], untyped({ axis: 0.5 }), 'cumsum');
    await expectShapeError(page, 'cumsum', [[3, 4]], untyped({}), 'cumsum');
  });
});
