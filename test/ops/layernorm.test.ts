// layerNorm over the last axis: three-tier gradient checks for C = 1, 3, 33, 129, with and without gamma and beta,
// rows far from zero, many rows (dgamma/dbeta summed over chunks of rows), and bad input.

import { afterAll, beforeAll, describe, it } from 'vitest';
import { openPage, type TestPage } from '../page';
import { expectShapeError, gradcheck, type Tolerances } from '../gradcheck';
import { refLayerNorm } from '../../src/engine/ops/layernorm.reference';
import type { Rng } from '../rng';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

interface Case {
  shape: number[];
  gamma: boolean;
  beta: boolean;
  eps?: number;
  gen?: (r: Rng, n: number) => Float64Array;
  tol?: Partial<Tolerances>;
}

function check({ shape, gamma, beta, eps = 1e-5, gen, tol }: Case) {
  const c = shape[shape.length - 1];
  return gradcheck(page, {
    op: 'layerNorm',
    attrs: { gamma, beta, eps },
    inputs: [
      { shape, gen },
      ...(gamma ? [{ shape: [c], gen: (r: Rng, n: number) => r.uniform(n, 0.5, 1.5) }] : []),
      ...(beta ? [{ shape: [c] }] : []),
    ],
    ref: (xs) => {
      let k = 1;
      const g = gamma ? xs[k++] : null;
      const b = beta ? xs[k++] : null;
      return refLayerNorm(xs[0], shape, g, b, eps);
    },
    // A row of C = 3 can land close together, giving rstd ≫ 1 and a sharply curved output: tier-3 steps of 1e-3 (not
    // the default 1e-2) keep the float32 finite differences in their linear range.
    tol: { fdEps: 1e-3, ...tol },
  });
}

const AFFINE = [
  [true, true],
  [false, false],
  [true, false],
  [false, true],
] as const;

describe('layerNorm', () => {
  it.each([1, 3, 8, 33, 129])(
    'matches float64 in all three tiers for C = %i, with and without gamma/beta',
    async (c) => {
      for (const [gamma, beta] of AFFINE) await check({ shape: [5, 3, c], gamma, beta });
      await check({ shape: [c], gamma: true, beta: true, eps: 1e-3 });
    },
  );

  it('handles rows far from zero (the mean is taken relative to the row’s first element)', async () => {
    // Inputs exactly representable in float32 so the reference sees what the GPU sees; tier-3 steps of 1e-5·|x|.
    await check({
      shape: [7, 33],
      gamma: true,
      beta: true,
      gen: (r, n) => r.uniform(n, 99, 101).map(Math.fround),
      tol: { fdEps: 1e-5, fdRtol: 5e-2, fdAtol: 5e-3 },
    });
  });

  it('sums dgamma and dbeta over many rows (chunked partial sums)', async () => {
    await check({ shape: [1000, 3], gamma: true, beta: true });
    await check({ shape: [9, 37, 33], gamma: true, beta: false });
  });
});

describe('bad input', () => {
  it('rejects rank 0, wrong gamma/beta shapes and a bad eps, naming the shapes', async () => {
    await expectShapeError(page, 'layerNorm', [[]], {}, 'rank');
    await expectShapeError(page, 'layerNorm', [[4, 5], [4]], { gamma: true }, '[4, 5], [4]');
    await expectShapeError(
      page,
      'layerNorm',
      [
        [4, 5],
        [1, 5],
      ],
      { gamma: true },
      'gamma',
    );
    await expectShapeError(page, 'layerNorm', [[4, 5], [5], [6]], { gamma: true, beta: true }, 'beta');
    await expectShapeError(page, 'layerNorm', [[4, 5]], { eps: -1 }, 'eps');
  });
});
