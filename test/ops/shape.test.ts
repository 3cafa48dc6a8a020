// Shape ops, gatherRows and gradReverse: three-tier gradchecks on odd shapes (each fast path and its plain kernel),
// and typed errors for bad inputs. Dropout's tests are in dropout.test.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectShapeError, gradcase, gradcheck, untyped, type ShapeErrorArgs } from '../gradcheck';
import type { OpName } from './pages';
import { openPage, type TestPage } from '../page';
import { rngFor } from '../rng';
import {
  concatRef,
  gatherRowsRef,
  permuteRef,
  sliceRef,
  stackRef,
  transposeRef,
} from '../../src/engine/ops/shape.reference';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

const size = (s: number[]) => s.reduce((n, d) => n * d, 1);

describe('reshape and flatten', () => {
  it('are views with the gradient reshaped back', async () => {
    const cases: [number[], number[]][] = [
      [[1], [1]],
      [
        [3, 17],
        [17, 3],
      ],
      [[3, 17], [-1]],
      [
        [17, 1, 33],
        [33, -1, 1],
      ],
    ];
    for (const [shape, to] of cases) {
      await gradcheck(page, {
        op: 'reshape',
        attrs: { shape: to },
        inputs: [{ shape }],
        ref: (xs) => ({ data: xs[0], shape: to.map((d) => (d === -1 ? size(shape) / -size(to) : d)) }),
      });
    }
    for (const [shape, startAxis] of [
      [[17, 1, 33], 1],
      [[3, 17], 0],
      [[3, 1, 5, 2], -2],
    ] as [number[], number][]) {
      const a = startAxis < 0 ? startAxis + shape.length : startAxis;
      await gradcheck(page, {
        op: 'flatten',
        attrs: { startAxis },
        inputs: [{ shape }],
        ref: (xs) => ({ data: xs[0], shape: [...shape.slice(0, a), size(shape.slice(a))] }),
      });
    }
  });
});

describe('permute and transpose', () => {
  const cases: [number[], number[]][] = [
    [
      [3, 1, 5, 2],
      [2, 0, 3, 1],
    ],
    [
      [3, 17],
      [1, 0],
    ],
    [
      [17, 1, 33],
      [2, 0, 1],
    ],
    [[1], [0]],
    [
      [3, 5, 2, 8],
      [1, 0, 2, 3],
    ], // innermost axis kept, length % 4 = 0: the vec4 path
    [
      [2, 3, 4, 5, 3, 2],
      [5, 3, 1, 0, 4, 2],
    ], // rank 6, nothing merges
    [
      [3, 1, 5],
      [1, 0, 2],
    ], // only a size-1 axis moves: a view
    [
      [2, 3, 4, 5],
      [2, 3, 0, 1],
    ], // merges into a 2-D transpose
  ];
  for (const fast of [true, false]) {
    it(`match the reference${fast ? '' : ' (plain kernel)'}`, async () => {
      for (const [shape, dims] of cases) {
        await gradcheck(page, {
          op: 'permute',
          attrs: { dims, fast },
          inputs: [{ shape }],
          ref: (xs) => permuteRef(xs[0], shape, dims),
        });
      }
    });
  }
  it('transpose swaps two axes, negative axes allowed', async () => {
    for (const [shape, dim0, dim1] of [
      [[3, 17], 0, 1],
      [[17, 1, 33], -1, 0],
      [[3, 1, 5, 2], 1, 2],
      [[3, 5], 1, 1],
    ] as [number[], number, number][]) {
      await gradcheck(page, {
        op: 'transpose',
        attrs: { dim0, dim1 },
        inputs: [{ shape }],
        ref: (xs) => transposeRef(xs[0], shape, dim0, dim1),
      });
    }
  });
});

describe('slice', () => {
  const cases: [number[], number, number, number | null][] = [
    [[3, 17], 1, 0, 1], // first column
    [[3, 17], 1, 16, 17], // last column
    [[3, 17], 1, -5, -1],
    [[3, 17], -1, 0, 17], // the whole axis: a view
    [[3, 17], 0, 1, 3], // leading axis: one contiguous range
    [[17, 1, 33], 2, -4, null], // to the end
    [[17, 1, 33], 0, -1, null],
    [[17, 1, 33], 1, 0, 1],
    [[1], 0, 0, 1],
    [[3, 8, 4], 1, 2, 6], // windows in multiples of 4: the vec4 path
    [[3, 1, 5, 2], 2, 1, -1],
  ];
  for (const fast of [true, false]) {
    it(`cuts windows at the edges and with negative indices${fast ? '' : ' (plain kernel)'}`, async () => {
      for (const [shape, axis, start, end] of cases) {
        await gradcheck(page, {
          op: 'slice',
          attrs: { axis, start, end, fast },
          inputs: [{ shape }],
          ref: (xs) => sliceRef(xs[0], shape, axis, start, end ?? undefined),
        });
      }
    });
  }
});

describe('concat and stack', () => {
  it('concat joins 1, 2 and 3 inputs along each axis', async () => {
    const base = [3, 5, 7];
    const lens = [2, 1, 4];
    for (const fast of [true, false]) {
      for (const axis of [0, 1, 2, -1]) {
        for (const k of [1, 2, 3]) {
          const a = axis < 0 ? axis + 3 : axis;
          const shapes = lens.slice(0, k).map((l) => base.map((d, i) => (i === a ? l : d)));
          if (!fast && k === 1) continue;
          await gradcheck(page, {
            op: 'concat',
            attrs: { axis, fast },
            inputs: shapes.map((shape) => ({ shape })),
            ref: (xs) => concatRef(xs, shapes, axis),
          });
        }
      }
    }
    // Windows in multiples of 4 (the vec4 path) and odd 1-D pieces.
    for (const shapes of [
      [
        [2, 4, 8],
        [2, 8, 8],
      ],
      [[17], [1], [33]],
    ]) {
      await gradcheck(page, {
        op: 'concat',
        attrs: { axis: 1 % shapes[0].length },
        inputs: shapes.map((shape) => ({ shape })),
        ref: (xs) => concatRef(xs, shapes, 1 % shapes[0].length),
      });
    }
  });

  it('stack joins 1, 2 and 3 inputs along a new axis at each position', async () => {
    for (const shape of [[3, 17], [1]]) {
      for (let axis = -1; axis <= shape.length; axis++) {
        for (const k of [1, 2, 3]) {
          await gradcheck(page, {
            op: 'stack',
            attrs: { axis },
            inputs: Array.from({ length: k }, () => ({ shape })),
            ref: (xs) => stackRef(xs, shape, axis),
          });
        }
      }
    }
  });
});

describe('gatherRows', () => {
  it('looks up rows with repeated indices; the table gradient sums them', async () => {
    const rng = rngFor('gatherRows indices');
    const draw = (n: number, V: number) => Array.from({ length: n }, () => rng.int(V));
    const cases: { table: number[]; indices: number[]; shape?: number[]; type?: 'i32' | 'u32'; fast?: boolean }[] = [
      { table: [7, 5], indices: [3, 0, 3, 6, 3, 1], shape: [2, 3] },
      { table: [7, 5], indices: [3, 0, 3, 6, 3, 1], shape: [3, 1, 2], fast: false },
      { table: [17, 8], indices: draw(33, 17) }, // D % 4 = 0: the vec4 kernels
      { table: [17, 8], indices: draw(33, 17), type: 'i32', fast: false },
      { table: [33, 12], indices: [...draw(40, 5), 32, 32], shape: [6, 7], type: 'u32' }, // many rows never read
      { table: [1, 1], indices: [0, 0, 0] },
      { table: [3, 17], indices: [2] },
    ];
    for (const c of cases) {
      await gradcheck(page, {
        op: 'gatherRows',
        attrs: { indices: c.indices, shape: c.shape, type: c.type, fast: c.fast ?? true },
        inputs: [{ shape: c.table }],
        ref: (xs) => gatherRowsRef(xs[0], c.table, c.indices, c.shape),
      });
    }
  });
});

describe('gradReverse', () => {
  it('is the identity forward and −lambda·gy backward', async () => {
    const rng = rngFor('gradReverse');
    for (const [shape, lambda] of [
      [[3, 17], 1],
      [[17, 1, 33], 0.25],
      [[1], 3],
    ] as [number[], number][]) {
      const n = size(shape);
      const x = Array.from(rng.uniform(n));
      const weights = Array.from(rng.uniform(n));
      const r = await gradcase(page, {
        op: 'gradReverse',
        attrs: { lambda },
        inputs: [{ shape, data: x }],
        weights,
        fdIndices: [[]],
        fdEps: 1e-2,
      });
      expect(r.outShape).toEqual(shape);
      expect(r.out).toEqual(Array.from(Float32Array.from(x)));
      const want = Float32Array.from(weights, (v) => -lambda * Math.fround(v));
      r.grads[0]!.forEach((g, i) => expect(Math.abs(g - want[i])).toBeLessThanOrEqual(1e-6 * Math.abs(want[i])));
    }
  });
});

describe('bad inputs', () => {
  it('throw a WebgradError naming the op before any GPU work', async () => {
    // Each case is checked against its op's types where it is written; the ones ill-typed on purpose say untyped().
    const bad =
      <K extends OpName>(op: K, ...args: ShapeErrorArgs<K>) =>
      () =>
        expectShapeError(page, op, ...args);
    const cases = [
      bad('reshape', [[3, 17]], { shape: [5, 10] }),
      bad('reshape', [[3, 17]], { shape: [-1, -1] }),
      bad('reshape', [[3, 17]], { shape: [-1, 5] }),
      bad('flatten', [[3, 17]], { startAxis: 2 }),
      bad('transpose', [[3, 17]], { dim0: 0, dim1: 2 }),
      bad('permute', [[3, 1, 5]], { dims: [0, 1] }),
      bad('permute', [[3, 1, 5]], { dims: [0, 1, 1] }),
      bad('permute', [[3, 1, 5]], { dims: [0, 1, 3] }),
      bad('permute', [[2, 2, 2, 2, 2, 2, 2]], { dims: [6, 5, 4, 3, 2, 1, 0] }), // 7 axes that cannot merge
      bad('slice', [[3, 17]], { axis: 2, start: 0, end: 1 }),
      bad('slice', [[3, 17]], { axis: 1, start: 5, end: 4 }),
      bad('slice', [[3, 17]], { axis: 1, start: 0, end: 18 }),
      bad('slice', [[3, 17]], { axis: 1, start: -18, end: 3 }),
      bad('slice', [[3, 17]], { axis: 0, start: 0.5, end: 2 }),
      bad(
        'concat',
        [
          [3, 17],
          [4, 17],
        ],
        { axis: 1 },
      ),
      bad(
        'concat',
        [
          [3, 17],
          [3, 17],
        ],
        { axis: 2 },
      ),
      bad(
        'concat',
        [
          [3, 17],
          [3, 17, 1],
        ],
        { axis: 0 },
      ),
      bad('concat', [], { axis: 0 }),
      bad(
        'stack',
        [
          [3, 17],
          [3, 16],
        ],
        { axis: 0 },
      ),
      bad(
        'stack',
        [
          [3, 17],
          [3, 17],
        ],
        { axis: 3 },
      ),
      bad('gatherRows', [[7, 5]], { indices: [0, 7] }),
      bad('gatherRows', [[7, 5]], { indices: [0, -1] }),
      bad('gatherRows', [[7, 5]], { indices: [0, -1], type: 'i32' }),
      bad('gatherRows', [[7, 5]], { indices: [1.5] }),
      bad('gatherRows', [[7, 5]], { indices: [0, 1, 2], shape: [2, 2] }),
      bad('gatherRows', [[35]], { indices: [0] }),
      bad('gradReverse', [[3, 17]], untyped({ lambda: 'a lot' })),
    ];
    for (const check of cases) await check();
  });
});
