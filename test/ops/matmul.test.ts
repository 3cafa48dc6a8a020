// matmul on every rung of the kernel ladder: three-tier gradchecks on odd shapes (ragged tiles, K % 4 ≠ 0), all
// four transpose combinations, batched and broadcast operands, a larger forward check, and shape errors.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from '../page';
import { expectShapeError, gradcase, gradcheck, tryOp, untyped, type InputSpec, type Tolerances } from '../gradcheck';
import { rngFor } from '../rng';
import { matmulRef } from '../../src/engine/ops/matmul.reference';
import { UNARY_REF } from '../../src/engine/ops/elementwise.reference';
import type { MatmulKernel } from '../../src/engine/ops/matmul';

// The ladder (src/engine/ops/matmul.ts MATMUL_KERNELS; that module imports WGSL, so Node takes the names only).
const KERNELS: MatmulKernel[] = ['naive', 'tiled', 'shared'];

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

interface Case {
  /** op(a) is M×K, op(b) is K×N. */
  M: number;
  K: number;
  N: number;
  transA?: boolean;
  transB?: boolean;
  /** Batch size of a and of b; 0 means 2-D (broadcast when the other is batched). */
  batchA?: number;
  batchB?: number;
}

/** Stored shapes: a is (M,K) or (K,M) with transA, b is (K,N) or (N,K) with transB, each with its batch in front. */
function shapesOf(c: Case): [number[], number[]] {
  const a = c.transA ? [c.K, c.M] : [c.M, c.K];
  const b = c.transB ? [c.N, c.K] : [c.K, c.N];
  return [c.batchA ? [c.batchA, ...a] : a, c.batchB ? [c.batchB, ...b] : b];
}

/** op(a)·op(b) + bias in float64: bias (N) on every row, or (Z,N) row z on output matrix z. */
function matmulBiasRef(
  xs: Float64Array[],
  aShape: number[],
  bShape: number[],
  biasShape: number[],
  attrs?: { transA?: boolean; transB?: boolean },
) {
  const r = matmulRef(xs[0], aShape, xs[1], bShape, attrs);
  const N = r.shape[r.shape.length - 1];
  const perMatrix = biasShape.length === 2;
  for (let i = 0; i < r.data.length; i++) {
    const n = i % N;
    const z = Math.floor(i / (r.data.length / (r.shape.length === 3 ? r.shape[0] : 1)));
    r.data[i] += xs[2][(perMatrix ? z * N : 0) + n];
  }
  return r;
}

async function checkBias(kernel: MatmulKernel, c: Case, biasShape: number[], tol?: Partial<Tolerances>): Promise<void> {
  const [aShape, bShape] = shapesOf(c);
  const attrs = { transA: c.transA ?? false, transB: c.transB ?? false, kernel };
  await gradcheck(page, {
    op: 'matmulBias',
    attrs,
    inputs: [{ shape: aShape }, { shape: bShape }, { shape: biasShape }],
    ref: (xs, at) => matmulBiasRef(xs, aShape, bShape, biasShape, at),
    tol,
  });
}

async function check(kernel: MatmulKernel, c: Case, tol?: Partial<Tolerances>): Promise<void> {
  const [aShape, bShape] = shapesOf(c);
  const attrs = { transA: c.transA ?? false, transB: c.transB ?? false, kernel };
  await gradcheck(page, {
    op: 'matmul',
    attrs,
    inputs: [{ shape: aShape }, { shape: bShape }],
    ref: (xs, at) => matmulRef(xs[0], aShape, xs[1], bShape, at),
    tol,
  });
}

describe.each(KERNELS.map((k) => [k]))('matmul, %s kernel', (kernel) => {
  it('plain products of odd shapes, K % 4 ≠ 0 and = 0', async () => {
    await check(kernel, { M: 1, K: 1, N: 1 });
    await check(kernel, { M: 3, K: 5, N: 7 });
    await check(kernel, { M: 17, K: 33, N: 65 });
    await check(kernel, { M: 65, K: 129, N: 3 }); // K % 4 = 1
    await check(kernel, { M: 33, K: 6, N: 17 }); // K % 4 = 2: one step of four, then two single steps
    await check(kernel, { M: 17, K: 64, N: 33 }); // K % 4 = 0
    await check(kernel, { M: 64, K: 32, N: 128 }); // tiles of the tiled kernel fit exactly
    await check(kernel, { M: 3, K: 0, N: 4 }); // an empty sum: zeros, and empty gradients
  });

  it('all four transpose combinations', async () => {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        await check(kernel, { M: 17, K: 33, N: 65, transA, transB });
        await check(kernel, { M: 5, K: 3, N: 1, transA, transB });
      }
    }
  });

  it('batched and broadcast operands', async () => {
    // One output matrix per batch (ragged 17-row tiles in each).
    await check(kernel, { M: 17, K: 33, N: 5, batchA: 3, batchB: 3 });
    await check(kernel, { M: 17, K: 33, N: 5, batchA: 3, batchB: 3, transA: true, transB: true });
    // (B,M,K)·(K,N), the Linear layer: the batch folds into M, and into the reduction for dB.
    await check(kernel, { M: 17, K: 33, N: 5, batchA: 3 });
    await check(kernel, { M: 17, K: 33, N: 5, batchA: 3, transB: true });
    // No fold possible: the kernel sums the batch for the broadcast operand's gradient (S > 1).
    await check(kernel, { M: 17, K: 33, N: 5, batchA: 3, transA: true }); // dB
    await check(kernel, { M: 17, K: 33, N: 5, batchB: 3 }); // dA
    await check(kernel, { M: 17, K: 33, N: 5, batchB: 3, transA: true, transB: true }); // dA
    await check(kernel, { M: 1, K: 1, N: 1, batchA: 1 });
  });

  it('flat tile numbering: N = 32 over many batches (4-wide workgroups), ragged tiles past 256 of them (16-wide)', async () => {
    // 6·3·2 = 36 tiles of 16×16: DAR's grouped 32-wide Linear layers (K % 4 = 3, transposed weight).
    await check(kernel, { M: 33, K: 7, N: 32, batchA: 6, batchB: 6, transB: true });
    // 2·17·9 = 306 tiles, the last row and column of tiles ragged in every batch, K % 4 = 1.
    await check(kernel, { M: 257, K: 5, N: 129, batchA: 2, batchB: 2 }, { refFdMax: 24, fdCount: 1 });
  });

  it('fused bias: shared (N) and one row per output matrix, plain, folded Linear and batched', async () => {
    await checkBias(kernel, { M: 17, K: 33, N: 65 }, [65]);
    await checkBias(kernel, { M: 3, K: 6, N: 5, transA: true, transB: true }, [5]);
    // (B,M,K)·(K,N) + (N): folded into one 2-D product with the bias on every row.
    await checkBias(kernel, { M: 17, K: 33, N: 5, batchA: 3, transB: true }, [5]);
    // One bias row per output matrix: DAR's grouped Linear (G,n,in)·(G,out,in)ᵀ + (G,out), and with a shared weight.
    await checkBias(kernel, { M: 33, K: 7, N: 32, batchA: 6, batchB: 6, transB: true }, [6, 32]);
    await checkBias(kernel, { M: 17, K: 5, N: 3, batchA: 3 }, [3, 3]);
  });

  it('a larger product, 129×257 by 257×65: every output, sampled gradients', async () => {
    // Every output is compared in tier 1; the gradients are sampled (the float64 finite differences cost a full
    // reference product each).
    await check(kernel, { M: 129, K: 257, N: 65 }, { refFdMax: 24, fdCount: 1 });
  });
});

describe('matmul, shared kernel (GPU profile): vec4 and scalar loads, split-K, against the tiled rung', () => {
  it('vec4 loads along each operand axis where its length is divisible by 4, scalar loads beside them', async () => {
    // A: vec4 along k (K % 4 = 0) and along m (transA, M % 4 = 0); B: along n (N % 4 = 0) and along k (transB).
    // The gradients' products take other modes of the same kernel (dA = dC·op(B)ᵀ reads dC along n, …).
    await check('shared', { M: 17, K: 36, N: 9 });
    await check('shared', { M: 20, K: 33, N: 9, transA: true });
    await check('shared', { M: 9, K: 33, N: 20 });
    await check('shared', { M: 9, K: 36, N: 5, transB: true });
    await check('shared', { M: 68, K: 20, N: 72, transA: true, transB: true }); // both vec4, partial 64-tiles
    await check('shared', { M: 3, K: 17, N: 4, batchA: 3, batchB: 3 }); // per-batch offsets stay vec4-aligned
  });

  it('split-K: long K with few output tiles, with and without bias, batched, summed batches, ragged last slice', async () => {
    // K = 300: two slices of 160 (src/engine/ops/gemm64.ts splitK); the gradients' K = 5 or 7 do not split.
    await check('shared', { M: 5, K: 300, N: 7 });
    await checkBias('shared', { M: 5, K: 300, N: 7 }, [7]); // the bias is added once, by the slice sum
    await checkBias('shared', { M: 5, K: 300, N: 7, batchA: 2, batchB: 2 }, [2, 7]); // Z = 2, a bias row each
    // dB = Xᵀ·dY of a Linear over 3 sequences of 100 steps: K = 300, the batch folded into it.
    await check('shared', { M: 100, K: 5, N: 7, batchA: 3 });
    // dA of a shared a summed over 3 batches (S = 3), each with K = N = 300 split.
    await check('shared', { M: 5, K: 6, N: 300, batchB: 3 }, { refFdMax: 60, fdCount: 1 });
    // K = 700: slices of 144, the fifth 124 long (not a multiple of 16); vec4 loads on both sides.
    await check('shared', { M: 8, K: 700, N: 12, transA: true }, { refFdMax: 60, fdCount: 1 });
    await check('shared', { M: 5, K: 700, N: 3, transB: true }, { refFdMax: 60, fdCount: 1 });
  });

  it('forward equals the tiled rung on larger random products (split and unsplit, transposed, batched)', async () => {
    const cases: Case[] = [
      { M: 200, K: 300, N: 150 },
      { M: 130, K: 97, N: 66, transA: true, transB: true },
      { M: 70, K: 90, N: 66, batchA: 4, batchB: 4, transB: true },
      { M: 40, K: 2000, N: 24, transA: true }, // 14 slices
    ];
    for (const c of cases) {
      const [aShape, bShape] = shapesOf(c);
      const rng = rngFor(`shared vs tiled ${JSON.stringify(c)}`);
      const inputs = [aShape, bShape].map((shape) => ({
        shape,
        data: Array.from(rng.uniform(shape.reduce((x, y) => x * y, 1))),
        grad: false,
      }));
      const size = (c.batchA || c.batchB || 1) * c.M * c.N;
      const run = (kernel: MatmulKernel) =>
        gradcase(page, {
          op: 'matmul',
          attrs: { transA: c.transA ?? false, transB: c.transB ?? false, kernel },
          inputs,
          weights: new Array<number>(size).fill(1),
          fdIndices: [[], []],
          fdEps: 0,
        });
      const [shared, tiled] = [await run('shared'), await run('tiled')];
      expect(shared.out.length).toBe(size);
      const scale = Math.max(1, ...tiled.out.map(Math.abs));
      // Both sum K products in float32 in different orders: allow K ulps of the largest output.
      const tol = 1.2e-7 * c.K * scale;
      let worst = 0;
      for (let i = 0; i < size; i++) worst = Math.max(worst, Math.abs(shared.out[i] - tiled.out[i]));
      expect(worst, JSON.stringify(c)).toBeLessThanOrEqual(tol);
    }
  });
});

describe('matmul, tiled kernel: the bias gradient summed in the dW launch (DBIAS, a launch fusion)', () => {
  // A Linear's weight is (N,K), so dW = dYᵀ·X and db = Σ_rows dY run along the same k loop (the rows). Rows long
  // enough that sum() cuts them into chunks: 3 (all folded into the first accumulator), 6 (four round-robin, two into
  // the first), each with a tail past the last multiple of 4; a batched input folded into the rows; one bias row per
  // output matrix (G Linears), with dW's rows in two tiles (N = 18); a weight shared by the groups' input.
  it('matches the float64 reference, gradients three ways, at odd shapes and chunked sums', async () => {
    const few = { refFdMax: 24, fdCount: 1 };
    await checkBias('tiled', { M: 517, K: 3, N: 5, transB: true }, [5]);
    await checkBias('tiled', { M: 1301, K: 2, N: 6, transB: true }, [6]);
    await checkBias('tiled', { M: 433, K: 3, N: 6, batchA: 3, transB: true }, [6]);
    await checkBias('tiled', { M: 301, K: 3, N: 18, batchA: 2, batchB: 2, transB: true }, [2, 18]);
    await checkBias('tiled', { M: 7, K: 3, N: 5, batchB: 2, transB: true }, [2, 5]);
    await checkBias('tiled', { M: 1301, K: 5, N: 33, transB: true }, [33], few);
  });

  it('gives the separate sum its numbers bit for bit, in one launch fewer', async () => {
    for (const [c, biasShape] of [
      [{ M: 1301, K: 5, N: 32, transB: true }, [32]],
      [{ M: 512, K: 7, N: 32, batchA: 6, batchB: 6, transB: true }, [6, 32]],
      [{ M: 37, K: 5, N: 3, batchA: 3, transB: true }, [3]],
    ] as [Case, number[]][]) {
      const [aShape, bShape] = shapesOf(c);
      const rng = rngFor(`matmul dbias ${aShape.join('x')}`);
      const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
      const inputs = [aShape, bShape, biasShape].map((shape) => ({
        shape,
        data: Array.from(rng.uniform(size(shape), -2, 2)),
      }));
      const outSize = (c.batchA || c.batchB || 1) * c.M * c.N;
      const weights = Array.from(rng.uniform(outSize, -1, 1));
      const attrs = { transB: true, kernel: 'tiled' as const };
      const run = (op: 'matmulBias' | 'matmulBiasUnfused') =>
        gradcase(page, { op, attrs, inputs, weights, fdIndices: [[], [], []], fdEps: 1e-2 });
      const [fused, unfused] = [await run('matmulBias'), await run('matmulBiasUnfused')];
      expect(fused.out).toEqual(unfused.out);
      expect(fused.grads).toEqual(unfused.grads);
      expect(fused.dispatches, 'the sum is gone').toBe(unfused.dispatches - 1);
    }
  });
});

describe("matmul, tiled kernel: the activation in the product's store (ACT, a launch fusion)", () => {
  const cases: [Case, number[]][] = [
    [{ M: 17, K: 33, N: 5, transB: true }, [5]], // a Linear, ragged tiles
    [{ M: 7, K: 6, N: 19, batchA: 3, transB: true }, [19]], // a batched input folded into the rows
    [{ M: 33, K: 7, N: 18, batchA: 2, batchB: 2, transB: true }, [2, 18]], // G Linears, a bias row each
    [{ M: 5, K: 4, N: 4, batchB: 2, transB: true }, [2, 4]], // one input through G weights
  ];
  const sizeOf = (s: number[]) => s.reduce((x, y) => x * y, 1);

  // relu's kink would break the float32 finite differences (tier 3) of a pre-activation within a step of 0, so its
  // inputs keep every pre-activation at least 0.25·K − 0.2 ≥ 0.5 away from it, on both sides: x in [0.5, 1], the
  // weight's rows alternately in [0.5, 1] and [−1, −0.5] (so output columns alternate between live and dead), a small bias.
  type Inputs = [InputSpec, InputSpec, InputSpec];
  const reluInputs = (c: Case, aShape: number[], bShape: number[], biasShape: number[]): Inputs => [
    { shape: aShape, gen: (r, n) => r.uniform(n, 0.5, 1) },
    { shape: bShape, gen: (r, n) => r.uniform(n, 0.5, 1).map((v, i) => (Math.floor(i / c.K) % 2 ? -v : v)) },
    { shape: biasShape, gen: (r, n) => r.uniform(n, -0.2, 0.2) },
  ];

  it('matches the float64 reference of relu, gelu and tanh of the product, gradients three ways', async () => {
    for (const activation of ['gelu', 'relu', 'tanh'] as const) {
      for (const [c, biasShape] of cases) {
        const [aShape, bShape] = shapesOf(c);
        const f = UNARY_REF[activation];
        await gradcheck(page, {
          op: 'matmulBias',
          attrs: { transB: true, kernel: 'tiled', activation },
          inputs:
            activation === 'relu'
              ? reluInputs(c, aShape, bShape, biasShape)
              : [{ shape: aShape }, { shape: bShape }, { shape: biasShape }],
          ref: (xs) => {
            const r = matmulBiasRef(xs, aShape, bShape, biasShape, { transB: true });
            return { ...r, data: r.data.map((v) => f(v, undefined)) };
          },
        });
      }
    }
  });

  it('gives relu()/gelu()/tanh() of the product its numbers bit for bit, in two launches fewer', async () => {
    for (const activation of ['gelu', 'relu', 'tanh'] as const) {
      for (const [c, biasShape] of cases) {
        const [aShape, bShape] = shapesOf(c);
        const rng = rngFor(`matmul act ${activation} ${aShape.join('x')}`);
        const inputs = [aShape, bShape, biasShape].map((shape) => ({
          shape,
          data: Array.from(rng.uniform(sizeOf(shape), -2, 2)),
        }));
        const weights = Array.from(rng.uniform((c.batchA || c.batchB || 1) * c.M * c.N, -1, 1));
        const attrs = { transB: true, kernel: 'tiled' as const, activation };
        const run = (op: 'matmulBias' | 'matmulBiasUnfused') =>
          gradcase(page, { op, attrs, inputs, weights, fdIndices: [[], [], []], fdEps: 1e-2 });
        const [fused, unfused] = [await run('matmulBias'), await run('matmulBiasUnfused')];
        expect(fused.out).toEqual(unfused.out);
        expect(fused.grads).toEqual(unfused.grads);
        // Forward: one launch instead of two; backward: the bias sum in dW's launch too.
        expect(fused.dispatches, activation).toBe(unfused.dispatches - 2);
      }
    }
  });
});

describe('matmul and conv1d default rungs', () => {
  it("run the tuning profile's rung when no kernel is named (shared/gemm on 'gpu', tiled/window on 'cpu')", async () => {
    // The page runs the adapter's profile, or WEBGRAD_TUNING's: each probe checks the rung of the one it runs.
    const mm = await tryOp(page, 'matmulDefaultRungProbe', [
      [5, 7],
      [7, 3],
    ]);
    expect(mm.threw, mm.message).toBe(false);
    const conv = await tryOp(page, 'conv1dDefaultRungProbe', [
      [1, 3, 17],
      [5, 3, 3],
    ]);
    expect(conv.threw, conv.message).toBe(false);
  });
});

describe('matmul memory', () => {
  it('releases the reshaped views of folded batches, forward and backward', async () => {
    // (B,M,K)·(K,N) folds the batch into M (forward, dA) and into the reduction (dB); (M,K)·(B,K,N) does not fold.
    const cases: [[number[], number[]], { transB: boolean }][] = [
      [
        [
          [4, 8, 5],
          [5, 3],
        ],
        { transB: false },
      ],
      [
        [
          [4, 8, 5],
          [3, 5],
        ],
        { transB: true },
      ],
      [
        [
          [8, 5],
          [4, 5, 3],
        ],
        { transB: false },
      ],
    ];
    for (const [shapes, attrs] of cases) {
      const r = await tryOp(page, 'matmulStorageProbe', shapes, attrs);
      expect(r.threw, `${JSON.stringify(shapes)}: ${r.message}`).toBe(false);
    }
  });
});

describe('matmul errors', () => {
  it('rejects bad ranks, inner dimensions, batch sizes and options before any GPU work', async () => {
    // Any rank ≥ 1 is a product now (test/ops/matmul-nd.test.ts); a scalar is not, nor mismatched inner dimensions.
    await expectShapeError(page, 'matmul', [[], [5, 3]], undefined, 'rank 0');
    await expectShapeError(
      page,
      'matmul',
      [
        [2, 2, 3, 4],
        [5, 5],
      ],
      undefined,
      'inner dimensions',
    );
    await expectShapeError(
      page,
      'matmul',
      [
        [3, 4],
        [2, 2, 5, 5],
      ],
      undefined,
      'inner dimensions',
    );
    await expectShapeError(
      page,
      'matmul',
      [
        [3, 4],
        [5, 6],
      ],
      undefined,
      '(shapes: [3, 4], [5, 6])',
    );
    await expectShapeError(
      page,
      'matmul',
      [
        [3, 4],
        [4, 5],
      ],
      { transA: true },
      'inner dimensions',
    );
    await expectShapeError(
      page,
      'matmul',
      [
        [3, 4],
        [4, 5],
      ],
      { transB: true },
      'inner dimensions',
    );
    await expectShapeError(
      page,
      'matmul',
      [
        [2, 3, 4],
        [3, 4, 5],
      ],
      undefined,
      'batch axes do not broadcast',
    );
    await expectShapeError(
      page,
      'matmul',
      [
        [3, 4],
        [4, 5],
      ],
      untyped({ kernel: 'fast' }),
      'kernel',
    );
    await expectShapeError(
      page,
      'matmul',
      [
        [3, 4],
        [4, 5],
      ],
      untyped({ transA: 'yes' }),
      'transA',
    );
    await expectShapeError(
      page,
      'matmul',
      [
        [3, 4],
        [4, 5],
      ],
      untyped({ transpose: true }),
      'unknown option transpose',
    );
    for (const activation of ['sigmoid', 'toString'])
      await expectShapeError(
        page,
        'matmul',
        [
          [3, 4],
          [4, 5],
        ],
        untyped({ activation }),
        'activation must be',
      );
    await expectShapeError(page, 'matmulBias', [[3, 4], [4, 5], [4]], undefined, 'bias must be (5)');
    await expectShapeError(
      page,
      'matmulBias',
      [
        [3, 4],
        [4, 5],
        [3, 5],
      ],
      undefined,
      'bias must be (5)',
    );
    await expectShapeError(
      page,
      'matmulBias',
      [
        [2, 3, 4],
        [2, 4, 5],
        [3, 5],
      ],
      undefined,
      'or (2, 5)',
    );
  });
});
