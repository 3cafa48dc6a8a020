// affine (GroupedLayerNorm's per-group affine in one kernel each way): three-tier gradchecks at odd shapes, including
// groups long enough that the weight and bias sums are cut into chunks (2, 3 and 5 chunks: the fold's round-robin
// and its tail), at D a multiple of 4 (the vec4 kernels) and not, the same numbers as the broadcast mul + add it
// replaces bit for bit, and typed errors.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectShapeError, gradcase, gradcheck } from '../gradcheck';
import { openPage, type TestPage } from '../page';
import { rngFor } from '../rng';
import { affineRef } from '../../src/engine/ops/affine.reference';
import { refLayerNorm } from '../../src/engine/ops/layernorm.reference';
import { concatRef, sliceRef } from '../../src/engine/ops/shape.reference';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

const SHAPES: number[][] = [
  [3, 5, 7],
  [2, 3, 4, 5],
  [1, 1, 3],
  [2, 513, 3], // 2 chunks of 260 rows
  [1, 700, 5], // 3 chunks
  [2, 1283, 1], // 5 chunks: four round the accumulators, one into the first
  [3, 5, 8], // D a multiple of 4: the vec4 kernels (affine_vec4, affine_grad_vec4)
  [2, 1283, 4], // vec4, 5 chunks
];

describe('affine', () => {
  it('matches the float64 reference, gradients three ways, at odd shapes and chunked sums', async () => {
    for (const shape of SHAPES) {
      const gd = [shape[0], shape[shape.length - 1]];
      await gradcheck(page, {
        op: 'affine',
        inputs: [{ shape }, { shape: gd }, { shape: gd }],
        ref: ([x, w, b]) => affineRef(x, w, b, shape),
      });
    }
  });

  it('gives the broadcast mul + add numbers bit for bit, forward and all three gradients', async () => {
    for (const shape of [
      [6, 512, 32],
      [6, 1024, 32],
      [2, 1283, 8], // vec4 with 5 chunks: the fold's tail
      [3, 37, 5],
    ]) {
      const gd = [shape[0], shape[shape.length - 1]];
      const rng = rngFor(`affine exact ${shape.join('x')}`);
      const n = shape.reduce((a, b) => a * b, 1);
      const inputs = [
        { shape, data: Array.from(rng.uniform(n, -2, 2)) },
        { shape: gd, data: Array.from(rng.uniform(gd[0] * gd[1], 0.5, 1.5)) },
        { shape: gd, data: Array.from(rng.uniform(gd[0] * gd[1], -1, 1)) },
      ];
      const weights = Array.from(rng.uniform(n, -1, 1));
      const run = (op: 'affine' | 'affineComposite') =>
        gradcase(page, { op, inputs, weights, fdIndices: [[], [], []], fdEps: 1e-2 });
      const [fused, composite] = [await run('affine'), await run('affineComposite')];
      expect(fused.out).toEqual(composite.out);
      expect(fused.grads).toEqual(composite.grads);
      expect(fused.dispatches, 'one launch forward, one backward').toBeLessThan(composite.dispatches);
    }
  });

  it('refuses weights or biases that do not match x, before any GPU work', async () => {
    await expectShapeError(page, 'affine', [
      [3, 4, 5],
      [3, 4],
      [3, 5],
    ]);
    await expectShapeError(page, 'affine', [
      [3, 4, 5],
      [2, 5],
      [2, 5],
    ]);
    await expectShapeError(page, 'affine', [[5], [1, 5], [1, 5]]);
  });
});

describe('gradients added into an existing gradient (autograd into)', () => {
  it('slice and concat add their window into the gradient x already has (three tiers, odd shapes)', async () => {
    for (const shape of [
      [3, 5, 7],
      [2, 3, 4], // vec4 windows
    ]) {
      await gradcheck(page, {
        op: 'sliceTwiceConcat',
        inputs: [{ shape }],
        ref: ([x]) => {
          const a = sliceRef(x, shape, 1, 0, 2);
          const b = sliceRef(x, shape, 1, 1, 3);
          return concatRef([a.data, b.data, x], [a.shape, b.shape, shape], 1);
        },
      });
    }
  });

  it('affine adds its x gradient into the one x already has: three tiers, and bit for bit the accumulate', async () => {
    for (const shape of [
      [3, 5, 7],
      [2, 600, 3], // 3 chunks
      [2, 600, 4], // vec4, 3 chunks
    ]) {
      const gd = [shape[0], shape[shape.length - 1]];
      await gradcheck(page, {
        op: 'affineTwice',
        inputs: [{ shape }, { shape: gd }, { shape: gd }, { shape: gd }, { shape: gd }],
        ref: ([x, w1, b1, w2, b2]) => {
          const [y1, y2] = [affineRef(x, w1, b1, shape).data, affineRef(x, w2, b2, shape).data];
          return { data: y1.map((v, i) => v + y2[i]), shape };
        },
      });
      const rng = rngFor(`affine twice ${shape.join('x')}`);
      const n = shape.reduce((a, b) => a * b, 1);
      const inputs = [shape, gd, gd, gd, gd].map((s) => ({
        shape: s,
        data: Array.from(
          rng.uniform(
            s.reduce((a, b) => a * b, 1),
            -2,
            2,
          ),
        ),
      }));
      const weights = Array.from(rng.uniform(n, -1, 1));
      const run = (op: 'affineTwice' | 'affineTwiceUnfused') =>
        gradcase(page, { op, inputs, weights, fdIndices: inputs.map(() => []), fdEps: 1e-2 });
      const [fused, unfused] = [await run('affineTwice'), await run('affineTwiceUnfused')];
      expect(fused.out).toEqual(unfused.out);
      expect(fused.grads).toEqual(unfused.grads);
      expect(fused.dispatches, 'no accumulate launch').toBe(unfused.dispatches - 1);
    }
  });

  it('gatherRows adds its table gradient into the one the table already has: three tiers, bit for bit', async () => {
    for (const shape of [
      [3, 5], // scalar rows
      [4, 8], // vec4 rows
    ]) {
      const rowsOf = (x: Float64Array, ix: number[]) =>
        ix.flatMap((r) => Array.from(x.subarray(r * shape[1], (r + 1) * shape[1])));
      await gradcheck(page, {
        op: 'gatherRowsTwice',
        inputs: [{ shape }],
        ref: ([x]) => ({
          data: Float64Array.from([...rowsOf(x, [2, 0, 2, 1]), ...x]),
          shape: [4 + shape[0], shape[1]],
        }),
      });
      const rng = rngFor(`gather twice ${shape.join('x')}`);
      const inputs = [{ shape, data: Array.from(rng.uniform(shape[0] * shape[1], -2, 2)) }];
      const weights = Array.from(rng.uniform((4 + shape[0]) * shape[1], -1, 1));
      const run = (op: 'gatherRowsTwice' | 'gatherRowsTwiceUnfused') =>
        gradcase(page, { op, inputs, weights, fdIndices: [[]], fdEps: 1e-2 });
      const [fused, unfused] = [await run('gatherRowsTwice'), await run('gatherRowsTwiceUnfused')];
      expect(fused.grads).toEqual(unfused.grads);
      expect(fused.dispatches, 'no accumulate launch').toBe(unfused.dispatches - 1);
    }
  });

  it('layerNorm adds its input gradient into the residual stream gradient (three tiers, odd shapes)', async () => {
    for (const shape of [
      [5, 7],
      [3, 2, 9],
    ]) {
      await gradcheck(page, {
        op: 'layerNormResidual',
        inputs: [{ shape }],
        ref: ([x]) => {
          const ln = refLayerNorm(x, shape).data;
          return { data: ln.map((v, i) => v + x[i]), shape };
        },
      });
    }
  });
});
