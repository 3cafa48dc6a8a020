// layerNorm over the last k axes (PyTorch's normalized_shape): three-tier gradient checks with gamma and beta of
// that shape (each optional), k from 1 to the whole rank, many rows (chunked dgamma/dbeta), and bad shapes.

import { afterAll, beforeAll, describe, it } from 'vitest';
import { openPage, type TestPage } from '../page';
import { expectShapeError, gradcheck, untyped, type Untyped } from '../gradcheck';
import { refLayerNorm } from '../../src/engine/ops/layernorm.reference';
import type { Rng } from '../rng';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

function check(shape: number[], k: number, gamma: boolean, beta: boolean) {
  const norm = shape.slice(shape.length - k);
  return gradcheck(page, {
    op: 'layerNorm',
    attrs: { gamma, beta, eps: 1e-5, normalizedShape: norm },
    inputs: [
      { shape },
      ...(gamma ? [{ shape: norm, gen: (r: Rng, n: number) => r.uniform(n, 0.5, 1.5) }] : []),
      ...(beta ? [{ shape: norm }] : []),
    ],
    ref: (xs) => {
      let i = 1;
      const g = gamma ? xs[i++] : null;
      const b = beta ? xs[i++] : null;
      return refLayerNorm(xs[0], shape, g, b, 1e-5, k);
    },
    tol: { fdEps: 1e-3 },
  });
}

describe('layerNorm over the last k axes', () => {
  it('matches float64 in all three tiers for k = 2 and 3, with and without gamma/beta', async () => {
    for (const [gamma, beta] of [
      [true, true],
      [false, false],
      [true, false],
      [false, true],
    ] as const) {
      await check([5, 3, 7], 2, gamma, beta);
    }
    await check([2, 3, 5, 3], 3, true, true);
    await check([3, 5, 3], 3, true, true); // the whole tensor is one row
    await check([4, 1, 9], 2, true, true);
  });

  it('sums dgamma and dbeta of the normalized shape over many rows', async () => {
    await check([300, 3, 5], 2, true, true);
  });

  it('k = 1 given explicitly is the default', async () => {
    await check([6, 11], 1, true, true);
  });
});

describe('bad normalized shapes', () => {
  it('refuses a shape that is not x’s trailing axes, and gamma/beta of another shape, naming the shapes', async () => {
    const ln = (normalizedShape: unknown, more: number[][] = [], flags = {}): [[number[], ...number[][]], Untyped] => [
      [[4, 5, 6], ...more],
      untyped({ normalizedShape, ...flags }),
    ];
    for (const [bad, what] of [
      [[5], 'got [5]'],
      [[4, 5], 'got [4, 5]'],
      [[2, 4, 5, 6], 'last 1 to 3 axes'],
      [[], 'got []'],
      [6, 'got 6'],
    ] as const) {
      const [inputs, attrs] = ln(bad);
      await expectShapeError(page, 'layerNorm', inputs, attrs, what);
    }
    await expectShapeError(page, 'layerNorm', ...ln([5, 6], [[6]], { gamma: true }), 'gamma must have shape [5, 6]');
    await expectShapeError(page, 'layerNorm', ...ln([5, 6], [[30]], { beta: true }), 'beta must have shape [5, 6]');
    await expectShapeError(page, 'layerNorm', ...ln([5, 6], [[6, 5]], { gamma: true }), '[4, 5, 6], [6, 5]');
  });
});
