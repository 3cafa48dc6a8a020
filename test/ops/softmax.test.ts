// softmax, logSoftmax and logsumexp over the last axis: three-tier gradient checks on odd shapes, inputs of large
// magnitude (±80, and shifted by ±200, where an unshifted exp overflows to ∞ or underflows to 0; rows near ±1e4, where
// a float32 step is 1e-3, forward and gradient), and bad input.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from '../page';
import { expectShapeError, gradcase, gradcaseAsText, gradcheck, untyped, type Tolerances } from '../gradcheck';
import { refLogSoftmax, refLogsumexp, refSoftmax } from '../../src/engine/ops/softmax.reference';
import type { Rng } from '../rng';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

const SHAPES = [[1], [3, 17], [17, 33, 5], [2, 129], [4, 1], [2, 3, 33], [3, 16], [5, 4]]; // C % 4 = 0 too: no scalar tail

type Gen = (r: Rng, n: number) => Float64Array;

type Op = 'softmax' | 'logSoftmax' | 'logsumexp';

function check(op: Op, shape: number[], opts: { keepdim?: boolean; gen?: Gen; tol?: Partial<Tolerances> } = {}) {
  const keepdim = opts.keepdim ?? false;
  const ref = ([x]: Float64Array[]) =>
    op === 'softmax'
      ? refSoftmax(x, shape)
      : op === 'logSoftmax'
        ? refLogSoftmax(x, shape)
        : refLogsumexp(x, shape, keepdim);
  const attrs = op === 'logsumexp' ? { keepdim } : undefined;
  return gradcheck(page, { op, attrs, inputs: [{ shape, gen: opts.gen }], ref, tol: opts.tol });
}

const OPS = ['softmax', 'logSoftmax', 'logsumexp'] as const;

describe.each(OPS)('%s', (op) => {
  it('matches float64 in all three tiers on odd shapes', async () => {
    for (const shape of SHAPES) {
      await check(op, shape);
      if (op === 'logsumexp') await check(op, shape, { keepdim: true });
    }
  });

  it('is stable for inputs of magnitude 80 and rows shifted by ±200', async () => {
    // Tier-3 steps are relative to |x|: 1e-4·|x| keeps them below the scale on which a softmax of spread-out logits
    // changes. Float32 spacing near 200 is 1.5e-5, which bounds tier 3's accuracy for the shifted rows.
    const tol = { fdEps: 1e-4, fdAtol: 5e-3 };
    for (const shape of [
      [3, 17],
      [5, 33],
    ]) {
      await check(op, shape, { gen: (r, n) => r.uniform(n, -80, 80), tol });
      await check(op, shape, { gen: (r, n) => r.uniform(n, 195, 205).map(Math.fround), tol });
      await check(op, shape, { gen: (r, n) => r.uniform(n, -205, -195).map(Math.fround), tol });
    }
  });
});

describe('extreme inputs', () => {
  it('stays finite where exp overflows float32 (x = 1000) and where every exp underflows (x = −1000)', async () => {
    const data = [1000, 999, 998, -1000, -1001, -1002];
    const run = (op: Op) =>
      gradcase(page, {
        op,
        inputs: [{ shape: [2, 3], data }],
        weights: new Array(op === 'logsumexp' ? 2 : 6).fill(1),
        fdIndices: [[]],
        fdEps: 1e-2,
      });
    const p = [1, Math.exp(-1), Math.exp(-2)].map((v, _, a) => v / (a[0] + a[1] + a[2]));
    const lse0 = Math.log(1 + Math.exp(-1) + Math.exp(-2));
    const close = (got: number[], want: number[]) =>
      want.forEach((w, i) =>
        expect(Math.abs(got[i] - w), `[${i}] = ${got[i]}, want ${w}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(w))),
      );
    close((await run('softmax')).out, [...p, ...p]);
    close((await run('logSoftmax')).out, [...p, ...p].map(Math.log));
    const lse = await run('logsumexp');
    close(lse.out, [1000 + lse0, -1000 + lse0]);
    close(lse.grads[0]!, [...p, ...p]); // d lse / dx = softmax
  });
});

describe('large magnitudes', () => {
  it('keeps float32 accuracy on rows near ±1e4 and 1e5 (logSoftmax subtracts the maximum before the log-sum)', async () => {
    // [10000, 10001, 10002, 10003] gave −0.44043 for −0.44019 when m + log(s) was formed first: near 1e4 a float32 step
    // is 1e-3. Each value here is exact in float32, so (x − m) is exact and every output should be good to ~1e-6.
    const rows = [
      [10000, 10001, 10002, 10003],
      [-10003, -10002, -10001, -10000],
      [100000, 99999.5, 100001, 99998],
    ];
    const data = rows.flat();
    const run = (op: Op) =>
      gradcase(page, {
        op,
        inputs: [{ shape: [3, 4], data }],
        weights: new Array(op === 'logsumexp' ? 3 : 12).fill(1),
        fdIndices: [[]],
        fdEps: 1e-2,
      });
    const x64 = Float64Array.from(data);
    const close = (what: string, got: number[], want: Float64Array) =>
      want.forEach((w, i) =>
        expect(Math.abs(got[i] - w), `${what}[${i}] = ${got[i]}, want ${w}`).toBeLessThanOrEqual(
          2e-6 * Math.max(1, Math.abs(w)),
        ),
      );
    close('logSoftmax', (await run('logSoftmax')).out, refLogSoftmax(x64, [3, 4]).data);
    close('softmax', (await run('softmax')).out, refSoftmax(x64, [3, 4]).data);
    close('logsumexp', (await run('logsumexp')).out, refLogsumexp(x64, [3, 4], false).data);
  });
});

describe('large magnitudes, gradients', () => {
  it('keeps float32 accuracy in the gradients of rows near ±1e4 (tiers 1 and 2, against float64)', async () => {
    // The same rows as above, with random output weights. logsumexp's backward is softmax(x) · gy: recomputed as
    // exp(x − lse) from the rounded output lse it is off by up to 5e-4 near 1e4 (issue #17, fault 1).
    const data = Float64Array.from(
      [
        [10000, 10001, 10002, 10003],
        [-10003, -10002, -10001, -10000],
        [9999.25, 10000.5, 10001, 9998],
      ].flat(),
    );
    const refs = {
      softmax: refSoftmax,
      logSoftmax: refLogSoftmax,
      logsumexp: (x: Float64Array, shape: number[]) => refLogsumexp(x, shape, false),
    };
    for (const op of OPS) {
      await gradcheck(page, {
        op,
        inputs: [{ shape: [3, 4] }],
        data: [data],
        ref: ([x]) => refs[op](x, [3, 4]),
        // Tier 3 is left out: a float32 finite difference of inputs near 1e4 resolves nothing.
        tol: { fdCount: 0, fwdRtol: 2e-6, fwdAtol: 2e-6, gradRtol: 1e-4, gradAtol: 1e-5 },
      });
    }
  });
});

describe('an empty last axis', () => {
  it('logsumexp gives −∞ (the log of an empty sum, as in PyTorch), with and without keepdim', async () => {
    for (const keepdim of [false, true]) {
      const res = await gradcaseAsText(page, {
        op: 'logsumexp',
        attrs: { keepdim },
        inputs: [{ shape: [3, 0], data: [] }],
        weights: [1, 1, 1],
        fdIndices: [[]],
        fdEps: 1e-2,
      });
      expect(res.out).toEqual(['-Infinity', '-Infinity', '-Infinity']);
      expect(res.gradLengths).toEqual([0]);
    }
  });
});

describe('bad input', () => {
  it('rejects rank-0 tensors and a non-boolean keepdim', async () => {
    for (const op of OPS) await expectShapeError(page, op, [[]], undefined, 'rank');
    await expectShapeError(page, 'logsumexp', [[3, 4]], untyped({ keepdim: 1 }), 'keepdim');
  });
});
