// mseLoss and l1Loss: three-tier gradchecks in every reduction (gradients to pred and target), the two-pass reduction
// on long inputs, l1's zero gradient at pred = target, and typed errors for bad inputs.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectShapeError, gradcase, gradcheck, untyped } from '../gradcheck';
import { openPage, type TestPage } from '../page';
import { rngFor, type Rng } from '../rng';
import { l1LossRef, mseLossRef, type Reduction } from '../../src/engine/ops/loss.reference';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

const REDUCTIONS: Reduction[] = ['mean', 'sum', 'none'];
const SHAPES = [[1], [3, 17], [17, 1, 33]];

describe('mseLoss', () => {
  it('matches the reference in every reduction', async () => {
    for (const shape of SHAPES) {
      for (const reduction of REDUCTIONS) {
        await gradcheck(page, {
          op: 'mseLoss',
          attrs: { reduction },
          inputs: [{ shape }, { shape }],
          ref: (xs) => mseLossRef(xs[0], xs[1], shape, reduction),
        });
      }
    }
  });

  it('reduces long inputs in two passes', async () => {
    // 8385 and 16641 elements: several partial sums, then the combine. Quadratic, so a wide float32 step is exact.
    for (const shape of [
      [65, 129],
      [129, 129],
    ]) {
      for (const reduction of ['mean', 'sum'] as Reduction[]) {
        await gradcheck(page, {
          op: 'mseLoss',
          attrs: { reduction },
          inputs: [{ shape }, { shape }],
          ref: (xs) => mseLossRef(xs[0], xs[1], shape, reduction),
          tol: { fdEps: 0.1, refFdMax: 100 },
        });
      }
    }
  });

  it('defaults to the mean', async () => {
    await gradcheck(page, {
      op: 'mseLoss',
      inputs: [{ shape: [3, 17] }, { shape: [3, 17] }],
      ref: (xs) => mseLossRef(xs[0], xs[1], [3, 17]),
    });
  });
});

describe('l1Loss', () => {
  // |pred − target| ≥ 0.2 everywhere, so no finite-difference step crosses the kink at 0.
  const pred = (r: Rng, n: number) => r.awayFromZero(n, 0.3, 1);
  const target = (r: Rng, n: number) => r.uniform(n, -0.1, 0.1);

  it('matches the reference in every reduction', async () => {
    for (const shape of [...SHAPES, [65, 129]]) {
      for (const reduction of REDUCTIONS) {
        await gradcheck(page, {
          op: 'l1Loss',
          attrs: { reduction },
          inputs: [
            { shape, gen: pred },
            { shape, gen: target },
          ],
          ref: (xs) => l1LossRef(xs[0], xs[1], shape, reduction),
          tol: shape[0] === 65 ? { fdEps: 0.1, refFdMax: 100 } : {},
        });
      }
    }
  });

  it('has gradient 0 where pred = target', async () => {
    const rng = rngFor('l1 at zero');
    const n = 51;
    const x = Array.from(rng.uniform(n));
    const y = x.map((v, i) => (i % 3 === 0 ? v : v + 0.5)); // every third element sits on the kink
    for (const reduction of REDUCTIONS) {
      const weights = reduction === 'none' ? Array.from(rng.uniform(n)) : [1];
      const r = await gradcase(page, {
        op: 'l1Loss',
        attrs: { reduction },
        inputs: [
          { shape: [n], data: x },
          { shape: [n], data: y },
        ],
        weights,
        fdIndices: [[], []],
        fdEps: 1e-2,
      });
      const scale = reduction === 'mean' ? 1 / n : 1;
      for (let i = 0; i < n; i++) {
        const g = i % 3 === 0 ? 0 : -scale * (reduction === 'none' ? Math.fround(weights[i]) : 1); // sign(x − y) = −1
        expect(r.grads[0]![i]).toBeCloseTo(g, 6);
        expect(r.grads[1]![i]).toBeCloseTo(-g, 6);
      }
    }
  });
});

describe('bad inputs', () => {
  it('throw a WebgradError naming the op before any GPU work', async () => {
    for (const op of ['mseLoss', 'l1Loss'] as const) {
      await expectShapeError(
        page,
        op,
        [
          [3, 17],
          [17, 3],
        ],
        { reduction: 'mean' },
      );
      await expectShapeError(
        page,
        op,
        [
          [3, 17],
          [3, 17, 1],
        ],
        { reduction: 'none' },
      );
      await expectShapeError(page, op, [[3], [1]], {});
      await expectShapeError(
        page,
        op,
        [
          [3, 17],
          [3, 17],
        ],
        untyped({ reduction: 'max' }),
      );
      await expectShapeError(page, op, [[0], [0]], { reduction: 'mean' });
    }
  });
});
