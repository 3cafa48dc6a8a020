// matmul of any rank, as torch.matmul: batch axes broadcast (both sides partly, one side all ones, leading axes
// missing), 1-D operands (row and column vectors, and their dot product), transposes and the fused bias, on every rung;
// three-tier gradchecks (a broadcast operand's gradient is summed over the axes it was repeated on), and errors.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from '../page';
import { expectShapeError, gradcheck, tryOp } from '../gradcheck';
import { matmulRef } from '../../src/engine/ops/matmul.reference';
import type { MatmulKernel } from '../../src/engine/ops/matmul';

const KERNELS: MatmulKernel[] = ['naive', 'tiled'];

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

type Trans = { transA?: boolean; transB?: boolean };

function check(kernel: MatmulKernel, aShape: number[], bShape: number[], trans: Trans = {}) {
  const attrs = { transA: trans.transA ?? false, transB: trans.transB ?? false, kernel };
  return gradcheck(page, {
    op: 'matmul',
    attrs,
    inputs: [{ shape: aShape }, { shape: bShape }],
    ref: (xs, at) => matmulRef(xs[0], aShape, xs[1], bShape, at),
  });
}

/** op(a)·op(b) + bias in float64: bias (N) on every row, or (B,N) row z on the output matrices of batch z. */
function checkBias(kernel: MatmulKernel, aShape: number[], bShape: number[], biasShape: number[]) {
  return gradcheck(page, {
    op: 'matmulBias',
    attrs: { kernel },
    inputs: [{ shape: aShape }, { shape: bShape }, { shape: biasShape }],
    ref: (xs) => {
      const r = matmulRef(xs[0], aShape, xs[1], bShape);
      const N = r.shape[r.shape.length - 1];
      const perMatrix = r.data.length / r.shape[0];
      r.data.forEach(
        (v, i) => (r.data[i] = v + xs[2][(biasShape.length === 2 ? Math.floor(i / perMatrix) * N : 0) + (i % N)]),
      );
      return r;
    },
  });
}

describe.each(KERNELS.map((k) => [k]))('matmul of any rank, %s kernel', (kernel) => {
  it('4-D by 2-D and 2-D by 4-D (one side shared by every batch)', async () => {
    await check(kernel, [2, 3, 5, 7], [7, 4]);
    await check(kernel, [5, 7], [2, 3, 7, 4]);
    await check(kernel, [2, 3, 7, 5], [4, 7], { transA: true, transB: true });
  });

  it('batch axes broadcast on both sides, and a batch of one against many', async () => {
    await check(kernel, [2, 1, 5, 7], [3, 7, 4]); // (2,1) with (3): batch (2,3), each side repeated
    await check(kernel, [2, 1, 5, 7], [1, 3, 7, 4], { transB: false });
    await check(kernel, [1, 5, 7], [3, 7, 4]);
    await check(kernel, [3, 5, 7], [1, 7, 4]);
    await check(kernel, [2, 3, 7, 5], [3, 4, 7], { transA: true, transB: true });
    await check(kernel, [1, 1, 5, 7], [7, 4]); // a batch of ones: one 2-D product, viewed (1,1,5,4)
    await check(kernel, [3, 2, 2, 5, 3], [2, 1, 3, 6]); // rank 5
  });

  it('1-D operands as torch: row vector, column vector, dot product', async () => {
    await check(kernel, [7], [7, 4]);
    await check(kernel, [5, 7], [7]);
    await check(kernel, [7], [2, 7, 4]);
    await check(kernel, [2, 3, 5, 7], [7]);
    await check(kernel, [7], [7]);
    await check(kernel, [7], [4, 7], { transB: true });
  });

  it('fused bias over any rank: (N) on every row, (B,N) per batch', async () => {
    await checkBias(kernel, [2, 3, 5, 7], [7, 4], [4]);
    await checkBias(kernel, [2, 1, 5, 7], [3, 7, 4], [4]);
    await checkBias(kernel, [1, 5, 7], [3, 7, 4], [3, 4]);
  });
});

describe('matmul of any rank: memory', () => {
  it('leaves no result sharing storage with a temporary view or repeated copy, forward and backward', async () => {
    const cases: [number[], number[]][] = [
      [
        [2, 3, 5, 7],
        [7, 4],
      ],
      [
        [2, 1, 5, 7],
        [3, 7, 4],
      ],
      [[7], [2, 7, 4]],
      [[7], [7]],
    ];
    for (const shapes of cases) {
      const r = await tryOp(page, 'matmulStorageProbe', shapes, {});
      expect(r.threw, `${JSON.stringify(shapes)}: ${r.message}`).toBe(false);
    }
  });
});

describe('matmul of any rank: errors', () => {
  it('rejects scalars, batch axes that do not broadcast, a transposed vector and a misshapen bias', async () => {
    await expectShapeError(page, 'matmul', [[], [5, 3]], undefined, 'a must have rank ≥ 1');
    await expectShapeError(
      page,
      'matmul',
      [
        [2, 5, 7],
        [3, 7, 4],
      ],
      undefined,
      'batch axes do not broadcast: [2] and [3]',
    );
    await expectShapeError(
      page,
      'matmul',
      [
        [4, 2, 5, 7],
        [3, 1, 7, 4],
      ],
      undefined,
      '[4, 2, 5, 7], [3, 1, 7, 4]',
    );
    await expectShapeError(page, 'matmul', [[7], [7, 4]], { transA: true }, 'transA needs a of rank ≥ 2');
    await expectShapeError(page, 'matmul', [[2, 5, 7], [8]], undefined, 'inner dimensions differ');
    await expectShapeError(
      page,
      'matmulBias',
      [
        [2, 3, 5, 7],
        [7, 4],
        [6, 4],
      ],
      undefined,
      'bias must be (4) for',
    );
  });
});
