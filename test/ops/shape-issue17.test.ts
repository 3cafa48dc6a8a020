// Issue 17's shape ops: slice with a step, split, tile and pad (constant). Three-tier gradchecks on odd shapes, with
// and without the fast paths, their PyTorch conventions pinned on chosen data, and typed errors for bad inputs.
// The older shape ops are in shape.test.ts; the torch fixtures for these are in test/fixtures/torch/shape.json.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectShapeError, gradcase, gradcheck, untyped, type ShapeErrorArgs } from '../gradcheck';
import type { OpName } from './pages';
import { openPage, type TestPage } from '../page';
import { padRef, sliceRef, splitFlatRef, tileRef } from '../../src/engine/ops/shape.reference';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

const iota = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('slice with a step', () => {
  // [shape, axis, start, end, step]
  const cases: [number[], number, number, number | null, number][] = [
    [[3, 17], 1, 0, null, 2],
    [[3, 17], 1, 1, 16, 3], // ends before the last element
    [[17, 1, 33], 2, -30, -1, 4],
    [[17, 5], 0, 2, 17, 5], // outer axis
    [[3, 17], 1, 16, null, -1], // reversed, NumPy's x[16::-1]
    [[3, 17], -1, -2, 2, -3],
    [[5, 7, 3], 1, 6, 0, -2],
    [[3, 17], 1, 4, 4, 2], // empty
  ];
  for (const fast of [true, false]) {
    it(`keeps every step-th element, forwards and backwards${fast ? '' : ' (plain kernels)'}`, async () => {
      for (const [shape, axis, start, end, step] of cases) {
        await gradcheck(page, {
          op: 'slice',
          attrs: { axis, start, end, step, fast },
          inputs: [{ shape }],
          ref: (xs) => sliceRef(xs[0], shape, axis, start, end ?? undefined, step),
        });
      }
    });
  }
  it('picks the positions Python and NumPy pick', async () => {
    const r = await gradcase(page, {
      op: 'slice',
      attrs: { axis: 0, start: 1, end: 8, step: 3 },
      inputs: [{ shape: [9], data: iota(9) }],
      fdIndices: [[]],
      fdEps: 1e-2,
      weights: [1, 10, 100],
    });
    expect(r.out).toEqual([2, 5, 8]);
    expect(r.grads[0]).toEqual([0, 1, 0, 0, 10, 0, 0, 100, 0]);
    const back = await gradcase(page, {
      op: 'slice',
      attrs: { axis: 0, start: -1, step: -4 },
      inputs: [{ shape: [9], data: iota(9) }],
      fdIndices: [[]],
      fdEps: 1e-2,
      weights: [1, 1, 1],
    });
    expect(back.out).toEqual([9, 5, 1]);
  });
});

describe('split', () => {
  // [shape, sizes, axis]
  const cases: [number[], number | number[], number][] = [
    [[17, 3], 5, 0], // 5, 5, 5, 2
    [[3, 17], [4, 0, 12, 1], 1], // an empty piece
    [[3, 17], 17, -1], // one piece: a view
    [[5, 7, 3], [2, 3], 0],
    [[5, 7, 3], 1, 2],
    [[2, 8, 4], 4, 1], // windows in multiples of 4
  ];
  for (const fast of [true, false]) {
    it(`cuts every piece and their gradients join back${fast ? '' : ' (plain kernels)'}`, async () => {
      for (const [shape, sizes, axis] of cases) {
        await gradcheck(page, {
          op: 'split',
          attrs: { sizes, axis, fast },
          inputs: [{ shape }],
          ref: (xs) => splitFlatRef(xs[0], shape, sizes, axis),
        });
      }
    });
  }
  it('gives the pieces of torch.split, and zero gradient to the unused ones', async () => {
    const r = await gradcase(page, {
      op: 'splitPiece',
      attrs: { sizes: 3, axis: 0, piece: 2 },
      inputs: [{ shape: [7], data: iota(7) }],
      fdIndices: [[]],
      fdEps: 1e-2,
      weights: [5],
    });
    expect(r.out).toEqual([7]);
    expect(r.grads[0]).toEqual([0, 0, 0, 0, 0, 0, 5]);
    await gradcheck(page, {
      op: 'splitPiece',
      attrs: { sizes: [2, 5, 3], axis: 1, piece: 1 },
      inputs: [{ shape: [3, 10] }],
      ref: (xs) => sliceRef(xs[0], [3, 10], 1, 2, 7),
    });
  });
});

describe('tile', () => {
  // [shape, reps]
  const cases: [number[], number[]][] = [
    [
      [3, 5],
      [2, 3],
    ],
    [[3, 5], [3]], // reps shorter than the rank: leading 1s
    [[5], [2, 1, 3]], // longer: x gets leading axes
    [
      [2, 1, 3],
      [1, 4, 1],
    ], // axes repeated once merge
    [
      [3, 5],
      [0, 2],
    ], // an empty result
    [
      [3, 5],
      [1, 1],
    ], // nothing repeated: a view
    [
      [2, 3, 2, 3, 2],
      [2, 1, 3, 2, 2],
    ],
  ];
  for (const fast of [true, false]) {
    it(`repeats x and sums the copies' gradients${fast ? '' : ' (plain kernels)'}`, async () => {
      for (const [shape, reps] of cases) {
        await gradcheck(page, {
          op: 'tile',
          attrs: { reps, fast },
          inputs: [{ shape }],
          ref: (xs) => tileRef(xs[0], shape, reps),
        });
      }
    });
  }
  it('lays copies out as numpy.tile does', async () => {
    const r = await gradcase(page, {
      op: 'tile',
      attrs: { reps: [2, 2] },
      inputs: [{ shape: [1, 2], data: [1, 2] }],
      fdIndices: [[]],
      fdEps: 1e-2,
      weights: [1, 2, 3, 4, 5, 6, 7, 8],
    });
    expect(r.outShape).toEqual([2, 4]);
    expect(r.out).toEqual([1, 2, 1, 2, 1, 2, 1, 2]);
    expect(r.grads[0]).toEqual([1 + 3 + 5 + 7, 2 + 4 + 6 + 8]);
  });
});

describe('pad', () => {
  // [shape, pads (F.pad order: last axis first), value]
  const cases: [number[], number[], number][] = [
    [[3, 5], [1, 2], 0],
    [[3, 5], [0, 1, 3, 0], -1.5], // both axes
    [[2, 3, 5], [2, 2, 1, 0, 1, 1], 0.25],
    [[3, 7], [-2, 1], 0], // a negative pad crops
    [[3, 7], [-1, -3, 2, -1], 4],
    [[3, 5], [0, 0], 0], // nothing: a view
    [[17], [5, 11], 0],
  ];
  for (const fast of [true, false]) {
    it(`places x in a constant block; the gradient cuts it out${fast ? '' : ' (plain kernels)'}`, async () => {
      for (const [shape, pads, value] of cases) {
        await gradcheck(page, {
          op: 'pad',
          attrs: { pads, value, fast },
          inputs: [{ shape }],
          ref: (xs) => padRef(xs[0], shape, pads, value),
        });
      }
    });
  }
  it("reads pads from the last axis first, as PyTorch's F.pad", async () => {
    const r = await gradcase(page, {
      op: 'pad',
      attrs: { pads: [1, 0, 0, 1], value: 9 },
      inputs: [{ shape: [1, 2], data: [1, 2] }],
      fdIndices: [[]],
      fdEps: 1e-2,
      weights: [1, 2, 3, 4, 5, 6],
    });
    expect(r.outShape).toEqual([2, 3]);
    expect(r.out).toEqual([9, 1, 2, 9, 9, 9]);
    expect(r.grads[0]).toEqual([2, 3]);
  });
});

describe('memory', () => {
  it('forward + backward of each added op frees all temporaries', async () => {
    const r = (await page.page.evaluate(`(async () => {
      const w = globalThis.wg;
      const rt = w.runtime();
      await rt.sync();
      const leaks = {};
      const run = async (name, f) => {
        const before = rt.stats().liveBuffers;
        const x = w.rand([5, 7], { low: -2, high: 2, requiresGrad: true });
        const ys = [f(x)].flat();
        const flat = ys.map((y) => w.reshape(y, [-1]));
        const joined = w.concat(flat, 0);
        const loss = w.sum(joined);
        loss.backward();
        await rt.sync();
        for (const t of [x.grad, x, ...ys, ...flat, joined, loss]) t.dispose();
        leaks[name] = rt.stats().liveBuffers - before;
      };
      await run('slice step', (x) => w.slice(x, 1, 6, undefined, -2));
      await run('split', (x) => w.split(x, 3, 1));
      await run('tile', (x) => w.tile(x, [2, 1, 3]));
      await run('pad', (x) => w.pad(x, [1, -2, 2, 0], 1));
      return leaks;
    })()`)) as Record<string, number>;
    expect(Object.keys(r).length).toBe(4);
    for (const [op, n] of Object.entries(r)) expect(n, `${op}: buffers left alive`).toBe(0);
  });
});

describe('bad inputs', () => {
  it('throw a WebgradError naming the op before any GPU work', async () => {
    const bad =
      <K extends OpName>(op: K, ...args: ShapeErrorArgs<K>) =>
      () =>
        expectShapeError(page, op, ...args);
    const cases = [
      bad('slice', [[3, 17]], { axis: 1, start: 0, step: 0 }),
      bad('slice', [[3, 17]], { axis: 1, start: 0, step: 1.5 }),
      bad('slice', [[3, 17]], { axis: 1, start: 0, end: 18, step: 2 }),
      bad('slice', [[3, 17]], { axis: 1, start: 5, end: 4, step: 2 }),
      bad('slice', [[3, 17]], { axis: 1, start: 17, step: -1 }),
      bad('slice', [[3, 17]], { axis: 1, start: 2, end: 5, step: -1 }),
      bad('split', [[3, 17]], { sizes: 0, axis: 1 }),
      bad('split', [[3, 17]], { sizes: [5, 5], axis: 1 }),
      bad('split', [[3, 17]], { sizes: [20, -3], axis: 1 }),
      bad('split', [[3, 17]], { sizes: 2, axis: 2 }),
      bad('split', [[3, 17]], untyped({ sizes: 'half', axis: 1 })),
      bad('tile', [[3, 17]], { reps: [2, -1] }),
      bad('tile', [[3, 17]], { reps: [1.5] }),
      bad('tile', [[3, 17]], untyped({ reps: 2 })),
      bad('tile', [[2, 2, 2, 2, 2, 2, 2, 2, 2]], { reps: [2, 2, 2, 2, 2, 2, 2, 2, 2] }),
      bad('pad', [[3, 17]], { pads: [1] }),
      bad('pad', [[3, 17]], { pads: [1, 1, 1, 1, 1, 1] }),
      bad('pad', [[3, 17]], { pads: [0.5, 1] }),
      bad('pad', [[3, 17]], { pads: [-10, -8] }),
      bad('pad', [[3, 17]], { pads: [1, 1], value: Number.NaN }),
      bad('pad', [[3, 17]], untyped({ pads: [1, 1], value: 'zero' })),
    ];
    for (const check of cases) await check();
  });
});
