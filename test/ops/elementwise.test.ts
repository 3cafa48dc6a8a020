// Elementwise ops: unary maps, scalar arithmetic, broadcasting binary ops and expand, forward and backward
// (three-tier gradchecks, test/gradcheck.ts), plus the erf accuracy behind gelu and input validation.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from '../page';
import { expectShapeError, gradcase, gradcheck, type OpWithAttrs } from '../gradcheck';
import { rngFor, type Rng } from '../rng';
import * as R from '../../src/engine/ops/elementwise.reference';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

type Gen = (rng: Rng, n: number) => Float64Array;
const positive: Gen = (r, n) => r.uniform(n, 0.2, 3);
const kinkFree: Gen = (r, n) => r.awayFromZero(n, 0.1, 2);
const wide =
  (lo: number, hi: number): Gen =>
  (r, n) =>
    r.uniform(n, lo, hi);

const size = (s: number[]) => s.reduce((p, d) => p * d, 1);

// ----------------------------------------------------------------------------------------------- unary

const UNARY_SHAPES = [[129], [17, 3], [1], []];

type UnaryOp =
  | 'neg'
  | 'abs'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'rsqrt'
  | 'tanh'
  | 'sigmoid'
  | 'relu'
  | 'gelu'
  | 'leakyRelu'
  | 'pow'
  | 'addScalar'
  | 'mulScalar';
const UNARY_CASES: (OpWithAttrs<UnaryOp> & { gen?: Gen })[] = [
  { op: 'neg' },
  { op: 'abs', gen: kinkFree },
  { op: 'exp', gen: wide(-3, 3) },
  { op: 'log', gen: positive },
  { op: 'sqrt', gen: positive },
  { op: 'rsqrt', gen: positive },
  { op: 'tanh', gen: wide(-3, 3) },
  { op: 'sigmoid', gen: wide(-6, 6) },
  { op: 'relu', gen: kinkFree },
  { op: 'gelu', gen: wide(-4, 4) },
  { op: 'leakyRelu', gen: kinkFree },
  { op: 'leakyRelu', attrs: { slope: 0.2 }, gen: kinkFree },
  { op: 'pow', attrs: { p: 2.5 }, gen: positive },
  { op: 'pow', attrs: { p: 0.5 }, gen: positive },
  { op: 'pow', attrs: { p: 2 }, gen: wide(-2, 2) },
  { op: 'pow', attrs: { p: 3 }, gen: wide(-2, 2) },
  { op: 'pow', attrs: { p: -1 }, gen: (r, n) => r.awayFromZero(n, 0.4, 2) },
  { op: 'pow', attrs: { p: -1.5 }, gen: positive },
  { op: 'pow', attrs: { p: 0 }, gen: wide(-2, 2) },
  { op: 'addScalar', attrs: { s: 0.37 } },
  { op: 'mulScalar', attrs: { s: -1.7 } },
];

describe('unary ops', () => {
  for (const c of UNARY_CASES) {
    it(`${c.op}${c.attrs ? ` ${JSON.stringify(c.attrs)}` : ''}`, async () => {
      for (const shape of UNARY_SHAPES) {
        await gradcheck(page, {
          op: c.op,
          attrs: c.attrs,
          inputs: [{ shape, gen: c.gen }],
          ref: R.unaryRef(c.op, shape),
        });
      }
    });
  }

  it('pow handles negative bases: odd powers keep the sign, non-integer powers give NaN', async () => {
    const r = (await page.page.evaluate(`(async () => {
      const w = globalThis.wg;
      const x = w.tensor([-2, -0.5, 0, 0.5, 2], [5]);
      const out = {};
      for (const p of [3, 2, -1, 0, 0.5]) out[p] = Array.from(await w.pow(x, p).toArray()).map(String);
      x.dispose();
      return out;
    })()`)) as Record<string, string[]>;
    const f32 = (v: number) => String(Math.fround(v));
    expect(r['3']).toEqual([-8, -0.125, 0, 0.125, 8].map(f32));
    expect(r['2']).toEqual([4, 0.25, 0, 0.25, 4].map(f32));
    expect(r['-1']).toEqual([-0.5, -2, Infinity, 2, 0.5].map(f32));
    expect(r['0']).toEqual([1, 1, 1, 1, 1].map(f32));
    expect(r['0.5'].slice(0, 2)).toEqual(['NaN', 'NaN']);
    expect(r['0.5'].slice(2).map(Number)).toEqual(
      [0, Math.fround(Math.SQRT1_2), Math.fround(Math.SQRT2)].map((v) => expect.closeTo(v, 6)),
    );
  });

  it('saturating ops stay finite and exact at large |x|', async () => {
    const xs = [-100, -30, -10, 10, 30, 100];
    const r = (await page.page.evaluate(`(async () => {
      const w = globalThis.wg;
      const x = w.tensor(${JSON.stringify(xs)}, [${xs.length}]);
      const out = {};
      for (const op of ['tanh', 'sigmoid', 'gelu']) out[op] = Array.from(await w[op](x).toArray());
      x.dispose();
      return out;
    })()`)) as Record<string, number[]>;
    expect(r.tanh).toEqual([-1, -1, -1, 1, 1, 1]);
    expect(r.sigmoid.slice(4)).toEqual([1, 1]);
    // Relative 1e-5: WGSL allows exp(x) 3 + 2|x| ulp of error; float32 flushes results below 1.2e-38 to 0.
    xs.forEach((x, i) =>
      expect(Math.abs(r.sigmoid[i] - 1 / (1 + Math.exp(-x)))).toBeLessThanOrEqual(1e-5 / (1 + Math.exp(-x)) + 1e-37),
    );
    expect(r.gelu).toEqual([expect.closeTo(0, 12), expect.closeTo(0, 12), expect.closeTo(0, 12), 10, 30, 100]);
  });
});

describe('unary accuracy across the domain', () => {
  // Max error over 2001 points (plus tiny |x|) against float64: err ≤ rel·|exact| + abs.
  const SCANS: { op: string; lo: number; hi: number; rel: number; abs: number }[] = [
    { op: 'tanh', lo: -9, hi: 9, rel: 1e-6, abs: 0 },
    { op: 'sigmoid', lo: -20, hi: 20, rel: 1e-5, abs: 0 },
    { op: 'exp', lo: -20, hi: 20, rel: 1e-5, abs: 0 },
    { op: 'log', lo: 1e-3, hi: 50, rel: 2e-6, abs: 3e-7 },
    { op: 'sqrt', lo: 1e-3, hi: 50, rel: 5e-7, abs: 0 },
    { op: 'rsqrt', lo: 1e-3, hi: 50, rel: 5e-7, abs: 0 },
  ];
  for (const c of SCANS) {
    it(c.op, async () => {
      const xs = Array.from({ length: 2001 }, (_, i) => Math.fround(c.lo + ((c.hi - c.lo) * i) / 2000));
      if (c.lo < 0) xs.push(1e-5, -1e-5, 3e-3, -0.29, 0.31);
      const out = (await page.page.evaluate(`(async () => {
        const w = globalThis.wg;
        const x = w.tensor(${JSON.stringify(xs)});
        const y = w.${c.op}(x);
        const r = Array.from(await y.toArray());
        x.dispose();
        y.dispose();
        return r;
      })()`)) as number[];
      let worst = 0;
      let at = 0;
      xs.forEach((x, i) => {
        const want = R.UNARY_REF[c.op](x, {});
        const ratio = Math.abs(out[i] - want) / (c.rel * Math.abs(want) + c.abs);
        if (ratio > worst) [worst, at] = [ratio, x];
      });
      expect(worst, `${c.op}: worst error at x = ${at} is ${worst.toFixed(2)}× the tolerance`).toBeLessThanOrEqual(1);
    });
  }
});

// ------------------------------------------------------------------------------------------- gelu / erf

describe('gelu', () => {
  it('matches x·Φ(x) with a float64 erf at 1001 points in [-6, 6], forward and gradient', async () => {
    const n = 1001;
    const xs = Array.from({ length: n }, (_, i) => Math.fround(-6 + (12 * i) / (n - 1)));
    const res = await gradcase(page, {
      op: 'gelu',
      inputs: [{ shape: [n], data: xs }],
      weights: new Array(n).fill(1),
      fdIndices: [[]],
      fdEps: 1e-2,
    });
    let fwdErr = 0;
    let phiErr = 0;
    let gradErr = 0;
    for (let i = 0; i < n; i++) {
      const x = xs[i];
      const phi = R.normalCdf(x);
      fwdErr = Math.max(fwdErr, Math.abs(res.out[i] - x * phi));
      // Φ recovered from the output: the erf error itself, plus float32 rounding of the output over |x|.
      if (Math.abs(x) >= 0.5) phiErr = Math.max(phiErr, Math.abs(res.out[i] / x - phi));
      const dgelu = phi + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);
      gradErr = Math.max(gradErr, Math.abs(res.grads[0]![i] - dgelu));
    }
    console.log(
      `gelu on [-6, 6]: max |forward error| ${fwdErr.toExponential(2)}, max |Φ error| ${phiErr.toExponential(2)}, max |gradient error| ${gradErr.toExponential(2)}`,
    );
    expect(fwdErr).toBeLessThan(1e-6);
    expect(phiErr).toBeLessThan(1e-6);
    expect(gradErr).toBeLessThan(1e-6);
  });
});

// ---------------------------------------------------------------------------------------------- binary

// Covers the kernel's paths: same shape (vec4, no index math); innermost axis a multiple of 4 (ALIGNED: each input a
// vec4 row or a splat); any other innermost length (per element, stepping along rows); ranks 1 to 8 after collapsing.
const BINARY_SHAPES: [number[], number[]][] = [
  [[129], [129]],
  [
    [17, 1, 3],
    [33, 3],
  ],
  [[1], [65]],
  [[65], [1]],
  [[], [3, 5]],
  [
    [3, 1, 5],
    [1, 4, 1],
  ],
  [
    [2, 1, 3, 1, 5, 1],
    [4, 1, 3, 1, 2],
  ],
  [[1, 1], [1]],
  [
    [5, 1, 8],
    [3, 8],
  ],
  [
    [6, 4],
    [6, 1],
  ],
  [
    [1, 4],
    [6, 1],
  ],
  [[12], [1]],
  [
    [2, 3, 4, 5, 8],
    [3, 1, 5, 1],
  ],
  [
    [2, 1, 2, 1, 2, 1, 2, 1],
    [1, 3, 1, 3, 1, 3, 1, 3],
  ],
  [
    [2, 1, 2, 1, 2, 1, 2, 4],
    [1, 3, 1, 3, 1, 3, 1, 4],
  ],
];

// maximum: a on integers and b on half-integers (plus small noise), so no pair is within 0.4 of a tie and the finite
// differences never straddle the kink.
const grid =
  (offset: number): Gen =>
  (r, n) => {
    const v = r.uniform(n, 0, 1);
    const noise = r.uniform(n, -0.05, 0.05);
    return v.map((u, i) => Math.round(4 * u - 2) + offset + noise[i]);
  };

const BINARY_GENS: Record<string, [Gen | undefined, Gen | undefined]> = {
  add: [undefined, undefined],
  sub: [undefined, undefined],
  mul: [undefined, undefined],
  div: [undefined, (r, n) => r.awayFromZero(n, 0.5, 2)],
  maximum: [grid(0), grid(0.5)],
};

const binRef =
  (op: string, aShape: number[], bShape: number[]) =>
  ([a, b]: Float64Array[]) =>
    R.binary(op, a, aShape, b, bShape);

describe('binary ops with broadcasting', () => {
  for (const op of ['mul', 'add', 'sub', 'div', 'maximum'] as const) {
    it(op, async () => {
      for (const [as, bs] of BINARY_SHAPES) {
        const [ga, gb] = BINARY_GENS[op];
        await gradcheck(page, {
          op,
          inputs: [
            { shape: as, gen: ga },
            { shape: bs, gen: gb },
          ],
          ref: binRef(op, as, bs),
        });
      }
    });
  }

  it('gradients flow to one input only when the other is a constant', async () => {
    for (const op of ['mul', 'sub', 'div', 'maximum'] as const) {
      const [ga, gb] = BINARY_GENS[op];
      await gradcheck(page, {
        op,
        inputs: [
          { shape: [33, 3], gen: ga, grad: false },
          { shape: [3], gen: gb },
        ],
        ref: binRef(op, [33, 3], [3]),
      });
      await gradcheck(page, {
        op,
        inputs: [
          { shape: [1, 3], gen: ga },
          { shape: [17, 3], gen: gb, grad: false },
        ],
        ref: binRef(op, [1, 3], [17, 3]),
      });
    }
  });

  it('maximum splits the gradient 1/2 : 1/2 at ties', async () => {
    // At a tie the central finite difference of max is exactly 1/2 per input, so the gradcheck tests the split.
    const rng = rngFor('maximum ties');
    const x = rng.uniform(65);
    await gradcheck(page, {
      op: 'maximum',
      inputs: [{ shape: [65] }, { shape: [65] }],
      data: [x, x.slice()],
      ref: binRef('maximum', [65], [65]),
    });
    const s = rng.uniform(1);
    await gradcheck(page, {
      op: 'maximum',
      inputs: [{ shape: [1] }, { shape: [5, 3] }],
      data: [s, new Float64Array(15).fill(s[0])],
      ref: binRef('maximum', [1], [5, 3]),
    });
  });

  it('a chain of ops differentiates end to end', async () => {
    const chainRef = ([a, b]: Float64Array[]) => {
      const n = R.binary('add', a, [17, 3], b, [3]);
      const m = R.binary('mul', n.data, n.shape, a, [17, 3]);
      const e = b.map(Math.exp);
      const num = R.binary('sub', m.data, m.shape, e, [3]);
      const den = b.map((v) => 2 / (1 + Math.exp(-v)) + 1);
      return R.binary('div', num.data, num.shape, den, [3]);
    };
    await gradcheck(page, { op: 'chain', inputs: [{ shape: [17, 3] }, { shape: [3] }], ref: chainRef });
  });
});

// ---------------------------------------------------------------------------------------------- expand

describe('expand', () => {
  // The large cases make the backward (sumToShape) split long runs over several invocations and then add the partials.
  const CASES: [number[], number[]][] = [
    [
      [3, 1],
      [4, 3, 5],
    ],
    [
      [3, 1],
      [3, 8],
    ],
    [
      [1, 8],
      [5, 8],
    ],
    [[1], [65]],
    [
      [17, 1, 3],
      [2, 17, 33, 3],
    ],
    [[5], [5]],
    [[5], [1, 5]],
    [[], [3, 4]],
    [[1], [4099]],
    [
      [3, 1],
      [3, 2053],
    ],
    [[5], [1029, 5]],
    [
      [7, 1, 5],
      [7, 300, 5],
    ],
  ];
  for (const [xs, shape] of CASES) {
    it(`[${xs}] to [${shape}]`, async () => {
      await gradcheck(page, {
        op: 'expand',
        attrs: { shape },
        inputs: [{ shape: xs }],
        ref: ([x]) => R.expand(x, xs, shape),
        tol: size(shape) > 1000 ? { refFdMax: 40 } : undefined,
      });
    });
  }
});

describe('sumToShape', () => {
  const CASES: [number[], number[], number][] = [
    [[4, 3, 5], [3, 1], 1],
    [[17, 33, 3], [17, 1, 3], -1],
    [[2, 4, 3, 3, 5, 2], [2, 1, 3, 1, 5, 1], 1],
    [[1, 3, 5], [3, 5], 2.5],
    [[3, 5], [3, 5], 1],
    [[4099], [1], 1],
    [[1029, 5], [5], 1],
  ];
  for (const [gs, shape, alpha] of CASES) {
    it(`[${gs}] to [${shape}], alpha ${alpha}`, async () => {
      await gradcheck(page, {
        op: 'sumToShape',
        attrs: { shape, alpha },
        inputs: [{ shape: gs }],
        ref: ([g]) => R.sumToShape(g, gs, shape, alpha),
        tol: size(gs) > 1000 ? { refFdMax: 40 } : undefined,
      });
    });
  }
});

describe('memory', () => {
  it('forward + backward of every op frees all temporaries', async () => {
    // Outside tidy(), so a temporary the backward closures forget to dispose shows up as a live buffer.
    const r = (await page.page.evaluate(`(async () => {
      const w = globalThis.wg;
      const rt = w.runtime();
      await rt.sync();
      const leaks = {};
      const cases = {
        mul: [[17, 1, 3], [33, 3]], add: [[6, 4], [6, 1]], sub: [[1], [65]], div: [[5, 1, 8], [3, 8]],
        maximum: [[3, 1, 5], [1, 4, 1]], mulSame: [[7], [7]],
      };
      const run = async (name, make, shapes) => {
        const before = rt.stats().liveBuffers;
        const xs = shapes.map((s) => w.rand(s, { low: 0.5, high: 2, requiresGrad: true }));
        const y = make(xs);
        const wt = w.rand(y.shape);
        const p = w.mul(y, wt);
        const loss = w.sum(p);
        loss.backward();
        await rt.sync();
        for (const t of [...xs.map((x) => x.grad), ...xs, y, wt, p, loss]) t.dispose();
        leaks[name] = rt.stats().liveBuffers - before;
      };
      for (const [op, shapes] of Object.entries(cases)) await run(op, ([a, b]) => w[op === 'mulSame' ? 'mul' : op](a, b), shapes);
      for (const op of ['neg', 'abs', 'exp', 'log', 'sqrt', 'rsqrt', 'tanh', 'sigmoid', 'relu', 'gelu']) await run(op, ([x]) => w[op](x), [[9]]);
      await run('leakyRelu', ([x]) => w.leakyRelu(x, 0.1), [[9]]);
      await run('pow', ([x]) => w.pow(x, 1.5), [[9]]);
      await run('addScalar', ([x]) => w.addScalar(x, 2), [[9]]);
      await run('mulScalar', ([x]) => w.mulScalar(x, 2), [[9]]);
      await run('expand', ([x]) => w.expand(x, [4, 3, 5]), [[3, 1]]);
      await run('expandView', ([x]) => w.expand(x, [1, 5]), [[5]]);
      await run('sumToShape', ([x]) => w.sumToShape(x, [3, 1], -2), [[4, 3, 5]]);
      return leaks;
    })()`)) as Record<string, number>;
    for (const [op, n] of Object.entries(r)) expect(n, `${op}: buffers left alive`).toBe(0);
    expect(Object.keys(r).length).toBe(23);
  });
});

// ---------------------------------------------------------------------------------------------- errors

describe('bad inputs', () => {
  it('rejects shapes that do not broadcast, naming the op and the shapes', async () => {
    await expectShapeError(page, 'add', [[3, 4], [5]], undefined, '[3, 4], [5]');
    await expectShapeError(page, 'mul', [
      [2, 3],
      [3, 2],
    ]);
    await expectShapeError(page, 'sub', [[4], [0]]);
    await expectShapeError(page, 'div', [
      [2, 1, 3],
      [2, 2],
    ]);
    await expectShapeError(page, 'maximum', [[7], [6]]);
    await expectShapeError(page, 'expand', [[3]], { shape: [4] });
    await expectShapeError(page, 'expand', [[2, 3]], { shape: [3] });
    await expectShapeError(page, 'expand', [[3]], { shape: [2, -1] });
    await expectShapeError(page, 'sumToShape', [[3, 4]], { shape: [2, 4] });
    await expectShapeError(page, 'sumToShape', [[3, 4]], { shape: [1, 3, 4] }, 'gradient');
  });

  it('rejects broadcasts needing more than 8 separate axes', async () => {
    await expectShapeError(
      page,
      'mul',
      [
        [2, 1, 2, 1, 2, 1, 2, 1, 2],
        [1, 2, 1, 2, 1, 2, 1, 2, 1],
      ],
      undefined,
      'mul: broadcast needs 9 separate axes; at most 8',
    );
  });

  it('rejects non-finite scalars', async () => {
    await expectShapeError(page, 'addScalar', [[3]], { s: 'NaN' }, 'finite');
    await expectShapeError(page, 'mulScalar', [[3]], { s: 'Infinity' }, 'finite');
    await expectShapeError(page, 'pow', [[3]], { p: 'NaN' }, 'finite');
    await expectShapeError(page, 'leakyRelu', [[3]], { slope: '-Infinity' }, 'finite');
  });

  it('rejects a disposed input', async () => {
    await expectShapeError(page, 'mulDisposed', [[3], [3]], undefined, 'mul: input tensor was disposed');
  });
});
