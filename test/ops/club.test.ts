// CLUB losses: three-tier gradient checks (gradients to mu, logvar and y) of the log-likelihood and of the
// mutual-information upper bound for (N, D) and (N, T, D) with T = 1 and 3 (N = 2 and 17, D = 3, 33, 65); a batch
// far from the origin (where expanding Σ_j (y_j − μ_i)² as E[y²] − 2μE[y] + μ² would cancel); the composite
// (generic-op, all pairs materialised) versions against the same references; the ClubEstimator module (BiLSTM + MLP
// heads) end to end against a float64 rebuild from its own weights; and typed errors for bad input.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectShapeError, gradcase, gradcheck, untyped, type Tolerances } from '../gradcheck';
import { openPage, type TestPage } from '../page';
import { rngFor, type Rng } from '../rng';
import { clubLogLikelihoodRef, clubUpperBoundRef } from '../../src/engine/ops/club.reference';
import { refLstm } from '../../src/engine/ops/lstm.reference';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

type Op = 'clubLogLikelihood' | 'clubUpperBound';
type Gen = (r: Rng, n: number) => Float64Array;

const REFS = { clubLogLikelihood: clubLogLikelihoodRef, clubUpperBound: clubUpperBoundRef };

type Rung = 'fused' | 'scalar' | 'composite';

function check(
  op: Op,
  shape: number[],
  opts: { kernel?: Rung; gen?: [Gen?, Gen?, Gen?]; tol?: Partial<Tolerances> } = {},
) {
  const [gMu, gLv, gY] = opts.gen ?? [];
  return gradcheck(page, {
    op,
    attrs: opts.kernel ? { kernel: opts.kernel } : undefined,
    inputs: [
      { shape, gen: gMu },
      { shape, gen: gLv },
      { shape, gen: gY },
    ],
    ref: (xs) => ({ data: Float64Array.of(REFS[op](xs[0], xs[1], xs[2], shape)), shape: [] }),
    tol: opts.tol,
  });
}

// T·D not divisible by 4 (one column per invocation) ...
const SHAPES = [
  [2, 3],
  [17, 33],
  [2, 65],
  [17, 3],
  [2, 1, 3],
  [17, 1, 65],
  [2, 3, 33],
  [17, 3, 3],
  [17, 3, 65],
];
// ... and divisible by 4 (four columns per invocation with vec4 loads unless kernel is 'scalar').
const VEC4_SHAPES = [
  [2, 12],
  [17, 1, 4],
  [17, 3, 20],
  [2, 3, 44],
];

describe.each(['clubLogLikelihood', 'clubUpperBound'] as const)('%s', (op) => {
  it('matches float64 in all three tiers for (N, D) and (N, T, D)', async () => {
    for (const shape of SHAPES) await check(op, shape);
  });

  it('matches float64 on the vec4 path (T·D divisible by 4), and so does the scalar path there', async () => {
    for (const shape of VEC4_SHAPES) {
      await check(op, shape);
      await check(op, shape, { kernel: 'scalar' });
    }
  });

  it("matches float64 at DAR's shape (N = 64, T = 8, D = 128)", async () => {
    // The log-likelihood sums over 128 dimensions, so the loss is ~10-100 while one element's gradient is ~1e-3 (it
    // is averaged over N·T = 512 rows): float32 rounding of the loss over the default step would swamp tier 3. μ and
    // y near each other (as for a trained estimator) and a 0.1 relative step fix that; μ and y enter quadratically,
    // so the central difference is exact there, and for logvar it is accurate to h²/6 ≈ 2e-3. The float64 reference
    // of the upper bound visits all 64² pairs, so tier 2 samples 8 elements per input.
    const near: Gen = (r, n) => r.uniform(n, -0.3, 0.3);
    for (const kernel of ['fused', 'scalar'] as const) {
      await check(op, [64, 8, 128], { kernel, gen: [near, undefined, near], tol: { refFdMax: 8, fdEps: 0.1 } });
    }
  });

  it('matches float64 for a batch far from the origin (y, μ ≈ 50 ± 1)', async () => {
    // Inputs rounded to float32 first, so the reference sees what the GPU sees. Tier 3's relative step is then an
    // absolute 0.5 for μ and y, which is fine: both losses are quadratic in μ and y, so the central difference is
    // exact up to rounding.
    const far: Gen = (r, n) => r.uniform(n, 49, 51).map(Math.fround);
    await check(op, [17, 3, 33], { gen: [far, undefined, far] });
    await check(op, [17, 3, 32], { gen: [far, undefined, far] });
  });

  it('the composite (generic-op) version matches the same reference', async () => {
    for (const shape of [
      [17, 33],
      [2, 3, 65],
      [17, 3, 3],
    ])
      await check(op, shape, { kernel: 'composite' });
  });
});

describe('ClubEstimator', () => {
  // dim 6 (BiLSTM 6 → 3 per direction), MLP heads 6 → 5 → 6.
  const dim = 6;
  const hidden = 5;
  const seed = 1234;
  const H = dim / 2;
  const shapes: [string, number[]][] = [
    ...['', '_reverse'].flatMap((s): [string, number[]][] => [
      [`lstm.weight_ih_l0${s}`, [4 * H, dim]],
      [`lstm.weight_hh_l0${s}`, [4 * H, H]],
      [`lstm.bias_ih_l0${s}`, [4 * H]],
      [`lstm.bias_hh_l0${s}`, [4 * H]],
    ]),
    ...['muHead', 'logvarHead'].flatMap((h): [string, number[]][] => [
      [`${h}.layers.0.weight`, [hidden, dim]],
      [`${h}.layers.0.bias`, [hidden]],
      [`${h}.layers.2.weight`, [dim, hidden]],
      [`${h}.layers.2.bias`, [dim]],
    ]),
  ];
  const ESTIMATOR_TOL: Partial<Tolerances> = { fdEps: 2e-3, fdRtol: 5e-2, fdAtol: 2e-2 };
  const attrs = { dim, hidden, seed, names: shapes.map(([n, s]) => `${n}${JSON.stringify(s)}`).join(' ') };

  /** The estimator's weights, read once from the page, split per parameter. */
  async function weights(): Promise<Float64Array[]> {
    const total = shapes.reduce((a, [, s]) => a + s.reduce((x, y) => x * y, 1), 0);
    const r = await gradcase(page, {
      op: 'clubEstimatorParams',
      attrs,
      inputs: [{ shape: [1], data: [0], grad: false }],
      weights: new Array(total).fill(0),
      fdIndices: [[]],
      fdEps: 1e-2,
    });
    const flat = Float64Array.from(r.out);
    let at = 0;
    return shapes.map(([, s]) => {
      const n = s.reduce((x, y) => x * y, 1);
      return flat.slice(at, (at += n));
    });
  }

  /** y = act(W·x + b) over the last axis, float64. */
  function dense(
    x: Float64Array,
    rows: number,
    w: Float64Array,
    b: Float64Array,
    out: number,
    act: (v: number) => number,
  ) {
    const inF = w.length / out;
    const y = new Float64Array(rows * out);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < out; o++) {
        let v = b[o];
        for (let i = 0; i < inF; i++) v += w[o * inF + i] * x[r * inF + i];
        y[r * out + o] = act(v);
      }
    }
    return y;
  }

  function estimatorRef(ws: Float64Array[], mode: 'll' | 'ub', shape: number[]) {
    const [n, t] = shape.length === 3 ? shape : [shape[0], 1];
    return (xs: Float64Array[]) => {
      const h = refLstm(xs[0], [n, t, dim], ws.slice(0, 8), { hidden: H, bidirectional: true }).output.data;
      const relu = (v: number) => Math.max(v, 0);
      const id = (v: number) => v;
      const head = (k: number, act: (v: number) => number) =>
        dense(dense(h, n * t, ws[k], ws[k + 1], hidden, relu), n * t, ws[k + 2], ws[k + 3], dim, act);
      const mu = head(8, id);
      const logvar = head(12, Math.tanh);
      const f = mode === 'll' ? clubLogLikelihoodRef : clubUpperBoundRef;
      return { data: Float64Array.of(f(mu, logvar, xs[1], shape)), shape: [] };
    };
  }

  it('names its parameters like PyTorch and matches a float64 rebuild in all three tiers (gradients to x and y)', async () => {
    const ws = await weights();
    // (The page op has checked the names and shapes.) Initialised as torch does: LSTM U(±1/√H), Linear U(±1/√in).
    const bounds = [
      ...new Array(8).fill(1 / Math.sqrt(H)),
      ...[dim, dim, hidden, hidden, dim, dim, hidden, hidden].map((f) => 1 / Math.sqrt(f)),
    ];
    ws.forEach((w, k) => {
      const m = Math.max(...Array.from(w, Math.abs));
      expect(m, shapes[k][0]).toBeLessThanOrEqual(bounds[k] * (1 + 1e-6));
      if (w.length >= 30) expect(m, shapes[k][0]).toBeGreaterThan(0.5 * bounds[k]); // not, say, 0.1 of the range
    });
    // Tiers 1 and 2 at the default tolerances. Tier 3 is squeezed from two sides here: the heads are ReLU networks,
    // and a step that carries a pre-activation across 0 breaks the central difference, so the step must be small
    // (2e-3); but the gradients to x are small too (~1e-3: they pass through the LSTM), while one float32 ulp of the
    // loss (~3, it sums over dim) over a 2h = 4e-3 step is ~6e-5. So its tolerances are 5e-2 relative and 2e-2 of the
    // largest gradient absolute (defaults 2e-2 and 2e-3). Tier 2's float64 step, 1e-6, has neither problem.
    for (const shape of [
      [5, 3, dim],
      [2, 1, dim],
      [4, dim],
    ]) {
      for (const mode of ['ll', 'ub'] as const) {
        await gradcheck(page, {
          op: 'clubEstimator',
          attrs: { ...attrs, mode },
          inputs: [{ shape }, { shape }],
          ref: estimatorRef(ws, mode, shape),
          tol: ESTIMATOR_TOL,
        });
      }
    }
  });

  it("runs each head's Linear + ReLU/Tanh as one product (Sequential), bit for bit the unfused numbers", async () => {
    const shape = [5, 3, dim];
    const rng = rngFor('club estimator fused heads');
    const inputs = [0, 1].map(() => ({ shape, data: Array.from(rng.uniform(5 * 3 * dim, -1, 1)) }));
    for (const mode of ['ll', 'ub'] as const) {
      const run = (op: 'clubEstimator' | 'clubEstimatorUnfused') =>
        gradcase(page, { op, attrs: { ...attrs, mode }, inputs, weights: [1], fdIndices: [[], []], fdEps: 1e-2 });
      const [fused, unfused] = [await run('clubEstimator'), await run('clubEstimatorUnfused')];
      expect(fused.out).toEqual(unfused.out);
      expect(fused.grads).toEqual(unfused.grads);
      // Three activations (ReLU, ReLU, Tanh) in their products' launches; four bias gradients in their dW launches.
      expect(fused.dispatches).toBe(unfused.dispatches - 7);
    }
  });

  it('rejects bad shapes and sizes with a WebgradError', async () => {
    const good = { ...attrs, mode: 'ub' as const };
    // One good call first, so the cached estimator is built and the bad calls below record no GPU work.
    await gradcheck(page, {
      op: 'clubEstimator',
      attrs: good,
      inputs: [{ shape: [2, 3, dim] }, { shape: [2, 3, dim] }],
      ref: estimatorRef(await weights(), 'ub', [2, 3, dim]),
      tol: ESTIMATOR_TOL,
    });
    await expectShapeError(
      page,
      'clubEstimator',
      [
        [2, 3, dim + 1],
        [2, 3, dim + 1],
      ],
      good,
      'ClubEstimator',
    );
    await expectShapeError(
      page,
      'clubEstimator',
      [
        [2, 3, dim],
        [2, 4, dim],
      ],
      good,
      'same shape',
    );
    await expectShapeError(page, 'clubEstimator', [[6], [6]], good, 'ClubEstimator');
    await expectShapeError(
      page,
      'clubEstimator',
      [
        [2, 3, 7],
        [2, 3, 7],
      ],
      { ...good, dim: 7 },
      'lstmHidden',
    );
  });
});

describe('CLUB bad inputs', () => {
  it('throw a WebgradError naming the op before any GPU work', async () => {
    for (const op of ['clubLogLikelihood', 'clubUpperBound'] as const) {
      await expectShapeError(
        page,
        op,
        [
          [3, 5],
          [3, 5],
          [4, 5],
        ],
        undefined,
        'shape of mu',
      ); //     N differs
      await expectShapeError(
        page,
        op,
        [
          [3, 5],
          [3, 5],
          [3, 6],
        ],
        undefined,
        'shape of mu',
      ); //     D differs
      await expectShapeError(
        page,
        op,
        [
          [3, 2, 5],
          [3, 2, 5],
          [3, 3, 5],
        ],
        undefined,
        'shape of mu',
      ); // T differs
      await expectShapeError(
        page,
        op,
        [
          [3, 5],
          [3, 6],
          [3, 5],
        ],
        undefined,
        'logvar',
      );
      await expectShapeError(
        page,
        op,
        [
          [3, 2, 5],
          [3, 2, 5],
          [3, 10],
        ],
        undefined,
        'shape of mu',
      ); // ranks differ
      await expectShapeError(page, op, [[15], [15], [15]], undefined, 'rank');
      await expectShapeError(
        page,
        op,
        [
          [3, 2, 5, 1],
          [3, 2, 5, 1],
          [3, 2, 5, 1],
        ],
        undefined,
        'rank',
      );
      await expectShapeError(page, op, [
        [0, 5],
        [0, 5],
        [0, 5],
      ]);
      await expectShapeError(
        page,
        op,
        [
          [3, 5],
          [3, 5],
          [3, 5],
        ],
        untyped({ kernel: 'fast' }),
        'kernel must be one of',
      );
      await expectShapeError(
        page,
        op,
        [
          [3, 8],
          [3, 8],
          [3, 8],
        ],
        untyped({ kernel: 'vec4' }),
        'kernel must be one of',
      );
      await expectShapeError(
        page,
        op,
        [
          [3, 5],
          [3, 5],
          [3, 5],
        ],
        untyped({ half: true }),
        'unknown option',
      );
    }
  });
});
