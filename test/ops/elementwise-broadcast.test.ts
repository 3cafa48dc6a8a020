// The broadcasting ops added by issue 17: minimum, pow with a tensor exponent (binary.wgsl / binary_grad.wgsl) and
// where(cond, a, b) (where.wgsl): three-tier gradchecks over the broadcast kernel's paths, PyTorch's gradient
// conventions at ties and at x ≤ 0, memory and bad inputs. Page entries: elementwise.page.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from '../page';
import { expectShapeError, gradcheck } from '../gradcheck';
import { rngFor, type Rng } from '../rng';
import * as R from '../../src/engine/ops/elementwise.reference';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

type Gen = (rng: Rng, n: number) => Float64Array;

// The kernel's paths: same shape (SAME), innermost axis a multiple of 4 (ALIGNED), any other (per element); ranks 1–8.
const SHAPES: [number[], number[]][] = [
  [[129], [129]],
  [
    [17, 1, 3],
    [33, 3],
  ],
  [[1], [65]],
  [[], [3, 5]],
  [
    [3, 1, 5],
    [1, 4, 1],
  ],
  [
    [5, 1, 8],
    [3, 8],
  ],
  [
    [6, 4],
    [6, 1],
  ],
  [
    [2, 1, 2, 1, 2, 1, 2, 4],
    [1, 3, 1, 3, 1, 3, 1, 4],
  ],
];

// Integers and half-integers (plus small noise): no pair within 0.4 of a tie, so finite differences never straddle one.
const grid =
  (offset: number): Gen =>
  (r, n) => {
    const v = r.uniform(n, 0, 1);
    const noise = r.uniform(n, -0.05, 0.05);
    return v.map((u, i) => Math.round(4 * u - 2) + offset + noise[i]);
  };
const binRef =
  (op: string, aShape: number[], bShape: number[]) =>
  ([a, b]: Float64Array[]) =>
    R.binary(op, a, aShape, b, bShape);

describe('minimum', () => {
  it('gradchecks across broadcast shapes', async () => {
    for (const [as, bs] of SHAPES) {
      await gradcheck(page, {
        op: 'minimum',
        inputs: [
          { shape: as, gen: grid(0) },
          { shape: bs, gen: grid(0.5) },
        ],
        ref: binRef('minimum', as, bs),
      });
    }
  });

  it('splits the gradient 1/2 : 1/2 at ties, and flows to one input when the other is constant', async () => {
    // At a tie the central finite difference of min is exactly 1/2 per input, so the gradcheck tests the split.
    const x = rngFor('minimum ties').uniform(65);
    await gradcheck(page, {
      op: 'minimum',
      inputs: [{ shape: [65] }, { shape: [65] }],
      data: [x, x.slice()],
      ref: binRef('minimum', [65], [65]),
    });
    await gradcheck(page, {
      op: 'minimum',
      inputs: [
        { shape: [33, 3], gen: grid(0), grad: false },
        { shape: [3], gen: grid(0.5) },
      ],
      ref: binRef('minimum', [33, 3], [3]),
    });
  });
});

describe('pow with a tensor exponent', () => {
  const base: Gen = (r, n) => r.uniform(n, 0.3, 3);
  const exponent: Gen = (r, n) => r.uniform(n, -2, 2.5);
  it('gradchecks both inputs across broadcast shapes (positive bases)', async () => {
    for (const [as, bs] of SHAPES) {
      await gradcheck(page, {
        op: 'powTensor',
        inputs: [
          { shape: as, gen: base },
          { shape: bs, gen: exponent },
        ],
        ref: binRef('pow', as, bs),
      });
    }
  });

  it("negative bases with integer exponents: the base's gradient", async () => {
    const ints: Gen = (r, n) => r.uniform(n, -3, 3).map(Math.round);
    await gradcheck(page, {
      op: 'powTensor',
      inputs: [
        { shape: [17, 3], gen: (r, n) => r.awayFromZero(n, 0.4, 2) },
        { shape: [3], gen: ints, grad: false },
      ],
      ref: binRef('pow', [17, 3], [3]),
    });
  });

  it('follows PyTorch at x ≤ 0: 0 gradients where x = 0 and p = 0, NaN for the exponent where x < 0', async () => {
    const r = (await page.page.evaluate(`(async () => {
      const w = globalThis.wg;
      const x = w.tensor([-2, -2, 0, 0, 0, 2], [6], { requiresGrad: true });
      const p = w.tensor([3, 0.5, 2, 0, 1, 0.5], [6], { requiresGrad: true });
      const y = w.pow(x, p);
      const loss = w.sum(y);
      loss.backward();
      const text = async (t) => Array.from(await t.toArray()).map(String);
      const out = { y: await text(y), gx: await text(x.grad), gp: await text(p.grad) };
      for (const t of [x.grad, p.grad, x, p, y, loss]) t.dispose();
      return out;
    })()`)) as Record<'y' | 'gx' | 'gp', string[]>;
    const near = (vs: number[]) => vs.map((v) => (Number.isNaN(v) ? NaN : expect.closeTo(v, 6)));
    expect(r.y.map(Number)).toEqual(near([-8, NaN, 0, 1, 0, Math.SQRT2]));
    expect(r.gx.map(Number)).toEqual(near([12, NaN, 0, 0, 1, 0.5 / Math.SQRT2]));
    expect(r.gp.map(Number)).toEqual(near([NaN, NaN, 0, 0, 0, Math.SQRT2 * Math.LN2]));
  });
});

describe('where', () => {
  // cond holds 0 (false), 1 and -2.5 (both true: any nonzero is).
  const cond: Gen = (r, n) => r.uniform(n, 0, 1).map((u) => (u < 0.4 ? 0 : u < 0.7 ? 1 : -2.5));
  const CASES: [number[], number[], number[]][] = [
    [[129], [129], [129]],
    [[17, 3], [3], [17, 1]],
    [[3], [17, 3], []],
    [
      [17, 1],
      [1, 5],
      [17, 5],
    ],
    [
      [2, 1, 8],
      [3, 8],
      [2, 3, 1],
    ],
    [[1], [5, 7], [7]],
  ];
  const whereRef =
    (cs: number[], as: number[], bs: number[]) =>
    ([c, a, b]: Float64Array[]) =>
      R.where(c, cs, a, as, b, bs);

  it('gradchecks a and b across broadcast shapes (cond takes no gradient)', async () => {
    for (const [cs, as, bs] of CASES) {
      await gradcheck(page, {
        op: 'where',
        inputs: [{ shape: cs, gen: cond, grad: false }, { shape: as }, { shape: bs }],
        ref: whereRef(cs, as, bs),
      });
    }
  });

  it('flows to one input when the other is constant', async () => {
    await gradcheck(page, {
      op: 'where',
      inputs: [{ shape: [17, 3], gen: cond, grad: false }, { shape: [3], grad: false }, { shape: [17, 1] }],
      ref: whereRef([17, 3], [3], [17, 1]),
    });
    await gradcheck(page, {
      op: 'where',
      inputs: [{ shape: [5], gen: cond, grad: false }, { shape: [4, 5] }, { shape: [5], grad: false }],
      ref: whereRef([5], [4, 5], [5]),
    });
  });
});

describe('memory', () => {
  it('forward + backward frees all temporaries', async () => {
    const r = (await page.page.evaluate(`(async () => {
      const w = globalThis.wg;
      const rt = w.runtime();
      await rt.sync();
      const leaks = {};
      const run = async (name, make, shapes) => {
        const before = rt.stats().liveBuffers;
        const xs = shapes.map((s) => w.rand(s, { low: 0.5, high: 2, requiresGrad: true }));
        const c = w.tensor([1, 0, 1], [3]);
        const y = make(xs, c);
        const loss = w.sum(y);
        loss.backward();
        await rt.sync();
        for (const t of [...xs.map((x) => x.grad), ...xs, c, y, loss]) t.dispose();
        leaks[name] = rt.stats().liveBuffers - before;
      };
      await run('minimum', ([a, b]) => w.minimum(a, b), [[4, 3], [3]]);
      await run('pow', ([a, b]) => w.pow(a, b), [[4, 3], [4, 1]]);
      await run('whereExpanded', ([a, b], c) => w.where(c, a, b), [[4, 3], [4, 1]]);
      await run('whereSame', ([a, b], c) => w.where(c, a, b), [[3], [3]]);
      return leaks;
    })()`)) as Record<string, number>;
    expect(Object.keys(r).length).toBe(4);
    for (const [op, n] of Object.entries(r)) expect(n, `${op}: buffers left alive`).toBe(0);
  });
});

describe('bad inputs', () => {
  it('rejects shapes that do not broadcast, naming the op and the shapes', async () => {
    await expectShapeError(page, 'minimum', [[3, 4], [5]], undefined, '[3, 4], [5]');
    await expectShapeError(
      page,
      'powTensor',
      [
        [2, 3],
        [3, 2],
      ],
      undefined,
      'pow',
    );
    await expectShapeError(page, 'where', [[2], [3], [3]], undefined, 'where');
    await expectShapeError(page, 'where', [[3], [4, 3], [5, 3]], undefined, 'where');
  });
});
