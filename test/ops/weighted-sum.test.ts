// weightedSum (a loss's weighted terms in one launch each way): three-tier gradchecks at odd shapes and term counts
// 1 to 7, the same numbers as the mulScalar/add chain it replaces bit for bit, and typed errors.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectShapeError, gradcase, gradcheck } from '../gradcheck';
import { openPage, type TestPage } from '../page';
import { rngFor } from '../rng';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

/** scale · Σ_j w_j·x_j in float64. */
function ref(xs: Float64Array[], weights: number[], scale: number, shape: number[]) {
  const data = new Float64Array(xs[0].length);
  for (let i = 0; i < data.length; i++) {
    let acc = 0;
    xs.forEach((x, j) => (acc += weights[j] * x[i]));
    data[i] = scale * acc;
  }
  return { data, shape };
}

describe('weightedSum', () => {
  it('matches the float64 reference, gradients three ways, for 1 to 7 terms at odd shapes', async () => {
    const cases: { shape: number[]; weights: number[]; scale?: number }[] = [
      { shape: [], weights: [0.7] },
      { shape: [], weights: [1, -2.5], scale: 1 / 3 },
      { shape: [3], weights: [1, 1, 1], scale: 1 / 6 },
      { shape: [2, 5], weights: [0.5, 1.5, -1, 2], scale: 0.1 },
      { shape: [7], weights: [1, 1, 0.1, 0.3, 2, -0.7, 1.25], scale: 3 },
    ];
    for (const { shape, weights, scale } of cases) {
      await gradcheck(page, {
        op: 'weightedSum',
        attrs: { weights, scale },
        inputs: weights.map(() => ({ shape })),
        ref: (xs) => ref(xs, weights, scale ?? 1, shape),
      });
    }
  });

  it('a tensor given as two terms gets both gradients (three tiers)', async () => {
    const weights = [0.5, 2, -1.5];
    await gradcheck(page, {
      op: 'weightedSumRepeated',
      attrs: { weights, scale: 0.3 },
      inputs: [{ shape: [5] }, { shape: [5] }],
      ref: ([x, y]) => ref([x, y, x], weights, 0.3, [5]),
    });
  });

  it('gives the mulScalar/add chain numbers bit for bit, forward and gradients, in two launches', async () => {
    for (const [weights, scale] of [
      [[1, 1, 1, 1, 1, 1], 1 / 6],
      [[0.7, 0.7, 1], 1],
      [[1, 1, 0.1, 0.1], 1],
      [[6, 3], 1],
    ] as [number[], number][]) {
      const rng = rngFor(`weightedSum exact ${weights.join(',')}`);
      const inputs = weights.map(() => ({ shape: [37], data: Array.from(rng.uniform(37, -3, 3)) }));
      const outWeights = Array.from(rng.uniform(37, -1, 1));
      const run = (op: 'weightedSum' | 'weightedSumComposite') =>
        gradcase(page, {
          op,
          attrs: { weights, scale },
          inputs,
          weights: outWeights,
          fdIndices: weights.map(() => []),
          fdEps: 1e-2,
        });
      const [fused, composite] = [await run('weightedSum'), await run('weightedSumComposite')];
      expect(fused.out).toEqual(composite.out);
      expect(fused.grads).toEqual(composite.grads);
      expect(fused.dispatches, 'one launch forward, one backward').toBeLessThan(composite.dispatches);
    }
  });

  it('refuses mismatched shapes, weights and too many terms, before any GPU work', async () => {
    await expectShapeError(page, 'weightedSum', [[3], [4]], { weights: [1, 1] });
    await expectShapeError(page, 'weightedSum', [[3], [3]], { weights: [1] });
    await expectShapeError(
      page,
      'weightedSum',
      Array.from({ length: 8 }, () => [2]),
      { weights: Array(8).fill(1) },
    );
  });
});
