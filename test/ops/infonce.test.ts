// infoNCE: three-tier gradient checks (gradients to anchors, positives and negatives) over N = 2 and 17,
// D = 3, 33, 65 (and 4, 36 for the vec4 path), M = 0 and 5, τ = 0.1 and 0.05, with and without in-batch negatives;
// DAR's shape; the composite (generic-op) version against the same reference; full accuracy when a row's loss is
// ~1e-6; rows of norm 0; and typed errors for bad input.
//
// Tier 3 (float32 finite differences of the GPU loss) is what needs care at small τ. A step h on one element moves a
// logit by about h / (τ·‖x‖): too large a step and the central difference stops being accurate, too small and the
// rounding of the float32 loss (one ulp of a loss of ~3 is 2.4e-7) divided by 2h swamps the gradient. So
//   - the step is relative to τ and the typical row norm (`fdEpsFor`), and
//   - independent random directions (logits anywhere in ±1/τ, some rows' losses at 15-30 at τ = 0.05, where the
//     negatives' gradients fall below what a float32 loss can resolve) are checked at τ = 0.1, while the full grid
//     at τ = 0.1 and 0.05 uses `clustered` inputs: every row is one shared direction plus noise, so the logits of a
//     row stay within a few units of each other, as they do in training, and no gradient is hidden under rounding.
// The tolerances are the defaults, except at DAR's size (see there).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectShapeError,
  gradcase,
  gradcheck,
  untyped,
  type InputSpec,
  type ShapeErrorArgs,
  type Tolerances,
} from '../gradcheck';
import type { InfoNCEOptions } from '../../src/engine/ops/infonce';
import { openPage, type TestPage } from '../page';
import { rngFor, type Rng } from '../rng';
import { infoNCERef } from '../../src/engine/ops/infonce.reference';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

type Data = 'random' | 'clustered';

interface Case {
  n: number;
  d: number;
  m: number;
  temperature: number;
  data: Data;
  inBatchNegatives?: boolean;
  kernel?: 'fused' | 'composite';
  tol?: Partial<Tolerances>;
}

/** Step aiming at a logit shift of ~c (0.02-0.04) on a row of norm ~√(D/3) (entries of size ~1). */
const fdEpsFor = (d: number, temperature: number, c: number) => c * temperature * Math.max(1, Math.sqrt(d / 3));

function generator(data: Data, d: number, label: string): (r: Rng, n: number) => Float64Array {
  if (data === 'random') return (r, n) => r.awayFromZero(n, 0.2, 1);
  // Cosines of ~0.8-1 between all rows: logits within ~0.2/τ of each other.
  const dir = rngFor(`direction of ${label}`).awayFromZero(d, 0.5, 1);
  return (r, n) => r.uniform(n, -0.3, 0.3).map((v, i) => v + dir[i % d]);
}

function check({ n, d, m, temperature, data, inBatchNegatives, kernel, tol }: Case, unfused = false) {
  const attrs: Omit<InfoNCEOptions, 'negatives'> = {
    temperature,
    ...(inBatchNegatives !== undefined ? { inBatchNegatives } : {}),
    ...(kernel ? { kernel } : {}),
  };
  const gen = generator(data, d, `${JSON.stringify(attrs)} ${n} ${d} ${m}`);
  const inputs: [InputSpec, InputSpec, ...InputSpec[]] = [
    { shape: [n, d], gen },
    { shape: [n, d], gen },
  ];
  if (m > 0) inputs.push({ shape: [m, d], gen });
  return gradcheck(page, {
    op: unfused ? 'infoNCEUnfused' : 'infoNCE',
    attrs,
    inputs,
    tol: { fdEps: fdEpsFor(d, temperature, data === 'random' ? 0.1 : 0.2), ...tol },
    ref: (xs) => ({
      data: Float64Array.of(
        infoNCERef(xs[0], xs[1], (m > 0 && xs[2]) || null, n, d, m, { temperature, inBatchNegatives }),
      ),
      shape: [],
    }),
  });
}

const GRID = [2, 17].flatMap((n) => [3, 33, 65].flatMap((d) => [0, 5].map((m) => ({ n, d, m }))));

describe('infoNCE', () => {
  it('matches float64 in all three tiers on random directions at τ = 0.1 (N 2/17, D 3/33/65, M 0/5)', async () => {
    for (const s of GRID) await check({ ...s, temperature: 0.1, data: 'random' });
  });

  it('matches float64 in all three tiers on clustered directions at τ = 0.1 and 0.05', async () => {
    for (const s of GRID) {
      for (const temperature of [0.1, 0.05]) await check({ ...s, temperature, data: 'clustered' });
    }
  });

  it('takes the mean in the rows launch (MEAN), bit for bit the separate infonce_mean, which still checks out', async () => {
    // The unfused path (launch fusions off) keeps infonce_mean: three tiers there too.
    await check({ n: 17, d: 33, m: 5, temperature: 0.1, data: 'random' }, true);
    await check({ n: 2, d: 4, m: 0, temperature: 0.1, data: 'random', inBatchNegatives: true }, true);
    // N = 1, 17 (a tail past 4·4 rows), 64 (DAR's batch), 70 (more rows than 4 per invocation, plus a tail).
    for (const [n, d, m, inBatchNegatives] of [
      [1, 3, 2, true],
      [17, 33, 5, true],
      [64, 32, 0, true],
      [70, 8, 128, false],
    ] as const) {
      const rng = rngFor(`infoNCE mean ${n} ${d} ${m}`);
      const shapes = [[n, d], [n, d], ...(m ? [[m, d]] : [])];
      const inputs = shapes.map((shape) => ({ shape, data: Array.from(rng.uniform(shape[0] * d, -1, 1)) }));
      const attrs = { temperature: 0.1, inBatchNegatives };
      const run = (op: 'infoNCE' | 'infoNCEUnfused') =>
        gradcase(page, { op, attrs, inputs, weights: [1.5], fdIndices: shapes.map(() => []), fdEps: 1e-2 });
      const [fused, unfused] = [await run('infoNCE'), await run('infoNCEUnfused')];
      expect(fused.out).toEqual(unfused.out);
      expect(fused.grads).toEqual(unfused.grads);
      expect(fused.dispatches, 'the mean is in the rows launch').toBe(unfused.dispatches - 1);
    }
  });

  it('takes P problems in one call (rank 3), three tiers, mean and sum, with and without the MEAN fusion', async () => {
    for (const [P, n, d, m, inBatchNegatives, reduction, unfused] of [
      [3, 5, 7, 0, true, 'mean', false], //   scalar normalisation, in-batch negatives only
      [2, 3, 8, 4, false, 'sum', false], //   vec4, the positive against the extra negatives
      [3, 4, 5, 2, true, 'mean', true], //    infonce_mean's own launch
    ] as const) {
      const gen = generator('random', d, `batched ${P} ${n} ${d} ${m}`);
      const attrs = { temperature: 0.1, inBatchNegatives, reduction };
      await gradcheck(page, {
        op: unfused ? 'infoNCEUnfused' : 'infoNCE',
        attrs,
        inputs: [{ shape: [P, n, d], gen }, { shape: [P, n, d], gen }, ...(m ? [{ shape: [P, m, d], gen }] : [])],
        tol: { fdEps: fdEpsFor(d, 0.1, 0.1) },
        ref: (xs) => {
          let total = 0;
          for (let i = 0; i < P; i++) {
            const part = (x: Float64Array, rows: number) => x.subarray(i * rows * d, (i + 1) * rows * d);
            const neg = m ? part(xs[2], m) : null;
            total += infoNCERef(part(xs[0], n), part(xs[1], n), neg, n, d, m, { temperature: 0.1, inBatchNegatives });
          }
          return { data: Float64Array.of(reduction === 'sum' ? total : total / P), shape: [] };
        },
      });
    }
  });

  it('gives P separate calls added by weightedSum bit for bit, loss and gradients, in 5 launches for 5·P', async () => {
    for (const [P, n, d, m, inBatchNegatives, reduction] of [
      [6, 64, 32, 0, true, 'mean'], //   DAR's six L_sim^com pairs
      [3, 32, 32, 128, false, 'sum'], // DAR's three L_sim^spec terms
      [2, 7, 9, 3, true, 'mean'],
    ] as const) {
      const rng = rngFor(`infoNCE batched ${P} ${n} ${d} ${m}`);
      const shapes = [[P, n, d], [P, n, d], ...(m ? [[P, m, d]] : [])];
      const inputs = shapes.map((shape) => ({ shape, data: Array.from(rng.uniform(P * shape[1] * d, -1, 1)) }));
      const attrs = { temperature: 0.1, inBatchNegatives, reduction };
      const run = (op: 'infoNCE' | 'infoNCEPerProblem') =>
        gradcase(page, { op, attrs, inputs, weights: [1.5], fdIndices: shapes.map(() => []), fdEps: 1e-2 });
      const [batched, separate] = [await run('infoNCE'), await run('infoNCEPerProblem')];
      expect(batched.out).toEqual(separate.out);
      expect(batched.grads).toEqual(separate.grads);
      expect(batched.dispatches).toBe(5);
      expect(separate.dispatches).toBeGreaterThan(5 * P);
    }
  });

  it('matches float64 on the vec4 path of the normalisation (D divisible by 4)', async () => {
    for (const n of [2, 17]) {
      for (const d of [4, 36]) {
        for (const m of [0, 5]) {
          for (const temperature of [0.1, 0.05]) await check({ n, d, m, temperature, data: 'clustered' });
        }
        await check({ n, d, m: 5, temperature: 0.1, data: 'random', inBatchNegatives: false });
      }
    }
  });

  it('matches float64 without in-batch negatives (the positive against the extra negatives only)', async () => {
    for (const n of [2, 17]) {
      for (const d of [3, 65]) {
        for (const temperature of [0.1, 0.05])
          await check({ n, d, m: 5, temperature, data: 'clustered', inBatchNegatives: false });
      }
      await check({ n, d: 33, m: 5, temperature: 0.1, data: 'random', inBatchNegatives: false });
    }
    // No negatives at all: one logit per row, loss and gradients exactly 0.
    await check({ n: 3, d: 33, m: 0, temperature: 0.1, data: 'random', inBatchNegatives: false });
  });

  it("matches float64 at DAR's shape (N = 64, D = 128, 2·64 extra negatives)", async () => {
    // Tiers 1 and 2 at the default tolerances. Tier 3 cannot resolve every gradient at this size: the loss is
    // ~log 192 ≈ 5.3, one float32 ulp of it (4.8e-7) over a 2h ≈ 0.1 step is ~5e-6, and a single element's gradient
    // is ~1e-5 (each row enters 64 softmaxes of 192 terms, averaged). Its absolute tolerance is 3e-2 of the input's
    // largest gradient instead of 2e-3.
    const tol = { refFdMax: 40, fdAtol: 3e-2 };
    await check({ n: 64, d: 128, m: 128, temperature: 0.1, data: 'clustered', tol });
    await check({ n: 64, d: 128, m: 128, temperature: 0.05, data: 'clustered', inBatchNegatives: false, tol });
    await check({ n: 64, d: 128, m: 128, temperature: 0.1, data: 'random', tol });
  });

  // The composite forms lse − l_pos by subtraction, which loses relative accuracy once a row's positive dominates
  // (loss ≲ 1e-3); clustered inputs keep these cases away from that regime.
  it('the composite (generic-op) version matches the same reference', async () => {
    await check({ n: 17, d: 33, m: 5, temperature: 0.05, data: 'clustered', kernel: 'composite' });
    await check({
      n: 17,
      d: 33,
      m: 5,
      temperature: 0.1,
      data: 'clustered',
      inBatchNegatives: false,
      kernel: 'composite',
    });
    await check({ n: 2, d: 3, m: 0, temperature: 0.1, data: 'clustered', kernel: 'composite' });
  });

  it('keeps full relative accuracy when the positive dominates (loss ~1e-6)', async () => {
    // Two rows whose positives are far closer than the other candidate: lse − l_pos would cancel to ~1e-6 of a
    // logit of 20; the kernel forms it as log1p of the other exponentials instead.
    const a = [1, 0, 0, 0, 1, 0];
    const p = [0.99, 0.1, 0.05, 0.1, 0.98, -0.05];
    const r = await gradcase(page, {
      op: 'infoNCE',
      attrs: { temperature: 0.05 },
      inputs: [
        { shape: [2, 3], data: a },
        { shape: [2, 3], data: p },
      ],
      weights: [1],
      fdIndices: [[], []],
      fdEps: 1e-3,
    });
    const want = infoNCERef(Float32Array.from(a), Float32Array.from(p), null, 2, 3, 0, { temperature: 0.05 });
    expect(want).toBeLessThan(1e-6);
    expect(Math.abs(r.out[0] - want) / want).toBeLessThan(1e-4);
  });

  it('stays finite on rows of norm 0 (normalised by eps = 1e-8, as in torch)', async () => {
    for (const d of [5, 8]) {
      // scalar and vec4 paths
      const n = 3;
      const row = (...v: number[]) => Array.from({ length: d }, (_, k) => v[k % v.length] * (1 + k / 10));
      const a = [...row(0), ...row(0.3, -0.2, 0.5, 0.1, 0.4), ...row(-0.6, 0.2, 0.1, 0.3, -0.1)];
      const p = [...row(0.2, 0.1, -0.3, 0.4, 0.2), ...row(0), ...row(0.5, 0.5, -0.5, 0.1, 0.2)];
      const r = await gradcase(page, {
        op: 'infoNCE',
        attrs: { temperature: 0.1 },
        inputs: [
          { shape: [n, d], data: a },
          { shape: [n, d], data: p },
        ],
        weights: [1],
        fdIndices: [[], []],
        fdEps: 1e-3,
      });
      const want = infoNCERef(Float32Array.from(a), Float32Array.from(p), null, n, d, 0, { temperature: 0.1 });
      expect(r.out[0]).toBeCloseTo(want, 5);
      for (const g of r.grads) expect(g!.every(Number.isFinite)).toBe(true);
      // Anchor 0 is zero: its logits are all 0 (softmax 1/3 each; p̂_1 = 0 too), and below the floor the
      // normalisation is x / eps, so its gradient is dâ_0 / eps = Σ_j (1/3 − δ_j0) p̂_j / (N·τ·eps), as torch gives.
      const eps = Math.fround(1e-8);
      const unit = (v: number[]) => v.map((x) => Math.fround(x) / Math.hypot(...v.map(Math.fround)));
      const p0 = unit(p.slice(0, d));
      const p2 = unit(p.slice(2 * d, 3 * d));
      const want0 = p0.map((v, k) => ((-2 / 3) * v + (1 / 3) * p2[k]) / (n * 0.1 * eps));
      for (let k = 0; k < d; k++) expect(Math.abs(r.grads[0]![k] - want0[k]) / Math.abs(want0[k])).toBeLessThan(1e-4);
    }
  });
});

describe('infoNCE at large logits', () => {
  it('keeps float32 accuracy with logits near 8192 (τ = 1/8192), forward and gradient', async () => {
    // Every row is the all-ones vector of D = 4096 with a few signs flipped, so each normalised entry is ±1/64 and
    // every cosine, (D − 2·flips)/D, is exact in float32: the logits are exactly 8192 − 4·flips, a few units apart
    // near 8192, where a float32 step is 1e-3. The softmax over them must then come from (l − m) − log Σ; forming
    // m + log Σ first rounds it by 1e-3 (issue #17, fault 1). The flips are chosen so that every row's maximum is
    // 8192 and its m + log Σ falls ≥ 3e-4 from a float32 value: that version is off by 3e-4 relative in every anchor's
    // gradient.
    const n = 3;
    const d = 4096;
    const rows = (flips: number[][]) =>
      Float64Array.from(flips.flatMap((f) => Array.from({ length: d }, (_, k) => (f.includes(k) ? -1 : 1))));
    const anchors = rows([[1], [2], [3]]);
    const positives = rows([[3], [2], [1]]);
    const temperature = 1 / 8192;
    // The fused kernel only: the composite forms lse − l_pos from a logsumexp output near 8192, which float32 holds to
    // 1e-3 by construction (it is the slow, obviously-right check, not the accurate one).
    await gradcheck(page, {
      op: 'infoNCE',
      attrs: { temperature },
      data: [anchors, positives],
      // The positives' gradient is left out: every column of d(loss)/d(logits) sums to far from 0, so with all rows
      // this close to parallel it is a difference of two nearly equal vectors in the normalisation's backward
      // (g − (g·p̂)·p̂, both terms far larger than the result), which float32 holds to a few digits only, whatever the
      // softmax does. Each row of d(loss)/d(logits) sums to 0, so the anchors' gradient has no such cancellation.
      inputs: [{ shape: [n, d] }, { shape: [n, d], grad: false }],
      ref: (xs) => ({ data: Float64Array.of(infoNCERef(xs[0], xs[1], null, n, d, 0, { temperature })), shape: [] }),
      // Tiers 1 and 2 only: at 1/τ = 8192 no float32 finite difference resolves a gradient.
      // Every element is checked (refFdMax): the nine flipped entries carry the largest gradients, where the error was.
      tol: { fdCount: 0, fwdRtol: 1e-5, fwdAtol: 1e-6, gradRtol: 1e-4, gradAtol: 1e-5, refFdMax: n * d },
    });
  });
});

describe('infoNCE adds its gradients into those its inputs already have (autograd into)', () => {
  for (const d of [5, 8]) {
    it(`three tiers, n 3, d ${d} (${d % 4 ? 'scalar' : 'vec4'} renorm kernel)`, async () => {
      const n = 3;
      const temperature = 0.5;
      await gradcheck(page, {
        op: 'infoNCEInto',
        attrs: { temperature },
        inputs: [{ shape: [n, d] }, { shape: [n, d] }],
        ref: ([a, p]) => {
          let extra = 0;
          for (let i = 0; i < a.length; i++) extra += (a[i] + p[i]) * a[i];
          return { data: Float64Array.of(infoNCERef(a, p, null, n, d, 0, { temperature }) + extra), shape: [] };
        },
      });
    });
  }
});

describe('infoNCE bad inputs', () => {
  it('throw a WebgradError naming the op before any GPU work', async () => {
    const t = { temperature: 0.1 };
    await expectShapeError(
      page,
      'infoNCE',
      [
        [3, 5],
        [3, 5],
      ],
      { temperature: 0 },
      'temperature',
    );
    await expectShapeError(
      page,
      'infoNCE',
      [
        [3, 5],
        [3, 5],
      ],
      { temperature: -0.1 },
      'temperature',
    );
    await expectShapeError(
      page,
      'infoNCE',
      [
        [3, 5],
        [3, 5],
      ],
      untyped({}),
      'temperature',
    );
    await expectShapeError(
      page,
      'infoNCE',
      [
        [3, 5],
        [3, 5],
      ],
      untyped({ temperature: '0.1' }),
      'temperature',
    );
    // Bad shapes with good attrs: the inputs' shapes, and what the message must name (the op, where undefined).
    // prettier-ignore
    const badShapes: [ShapeErrorArgs<'infoNCE'>[0], string | undefined][] = [
      [[[3, 5], [4, 5]], 'rows'],
      [[[3, 5], [3, 6]], 'width'],
      [[[3, 5], [3, 5], [2, 6]], 'negatives'],
      [[[3, 5], [3, 5], [5]], 'negatives'],
      [[[3, 5, 1, 1], [3, 5, 1, 1]], 'anchors'], // rank 3 is P problems (below); rank 4 is nothing
      [[[2, 3, 5], [3, 3, 5]], 'problems'],
      [[[2, 3, 5], [2, 3, 5], [3, 4, 5]], 'negatives'],
      [[[2, 3, 5], [3, 5]], 'rank'],
      [[[3, 5], [15]], 'positives'],
      [[[0, 5], [0, 5]], undefined],
      [[[3, 0], [3, 0]], undefined],
    ];
    for (const [shapes, mentions] of badShapes) await expectShapeError(page, 'infoNCE', shapes, t, mentions);
    await expectShapeError(
      page,
      'infoNCE',
      [
        [3, 5],
        [3, 5],
      ],
      untyped({ temperature: 0.1, inBatchNegatives: 1 }),
      'inBatchNegatives',
    );
    await expectShapeError(
      page,
      'infoNCE',
      [
        [3, 5],
        [3, 5],
      ],
      untyped({ temperature: 0.1, tau: 0.1 }),
      'unknown option',
    );
    await expectShapeError(
      page,
      'infoNCE',
      [
        [3, 5],
        [3, 5],
      ],
      { temperature: 0.1, eps: 0 },
      'eps',
    );
  });
});
