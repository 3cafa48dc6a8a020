// softmax and logSoftmax along axes other than the last (negative axes count from the end, as in PyTorch):
// three-tier gradient checks on odd shapes, large-magnitude lines along a leading axis, and bad axes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from '../page';
import { expectShapeError, gradcase, gradcheck, untyped } from '../gradcheck';
import { refLogSoftmax, refSoftmax } from '../../src/engine/ops/softmax.reference';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

const OPS = ['softmax', 'logSoftmax'] as const;
const REF = { softmax: refSoftmax, logSoftmax: refLogSoftmax };

const CASES: [number[], number][] = [
  [[5, 3, 7], 0],
  [[5, 3, 7], 1],
  [[5, 3, 7], -3],
  [[5, 3, 7], -2],
  [[17, 3], 0],
  [[2, 3, 5, 9], 1],
  [[33, 1], -2],
  [[4, 6, 1], -1], // the last axis: the direct path, through the same entry
];

describe.each(OPS)('%s along any axis', (op) => {
  it('matches float64 in all three tiers on odd shapes and every axis position', async () => {
    for (const [shape, axis] of CASES) {
      await gradcheck(page, {
        op,
        attrs: { axis },
        inputs: [{ shape }],
        ref: ([x]) => REF[op](x, shape, axis),
      });
    }
  });

  it('keeps float32 accuracy on lines near 1e4 along a leading axis', async () => {
    // Column j of this (4, 3) tensor is [1e4 + j, 1e4 + j + 1, …]: the large-magnitude rows of the last-axis test,
    // read down axis 0. Exact float32 inputs, so (x − m) is exact and every output is good to ~1e-6.
    const data = [0, 1, 2, 3].flatMap((i) => [10000 + i, -10003 + i, 100000 + i / 2]);
    const res = await gradcase(page, {
      op,
      attrs: { axis: 0 },
      inputs: [{ shape: [4, 3], data }],
      weights: new Array(12).fill(1),
      fdIndices: [[]],
      fdEps: 1e-2,
    });
    const want = REF[op](Float64Array.from(data), [4, 3], 0).data;
    want.forEach((w, i) =>
      expect(Math.abs(res.out[i] - w), `[${i}] = ${res.out[i]}, want ${w}`).toBeLessThanOrEqual(
        2e-6 * Math.max(1, Math.abs(w)),
      ),
    );
  });

  it('holds no more buffers than the last-axis path after backward, and none off the tape', async () => {
    // The last-axis op keeps its output for backward until tidy() ends (one buffer); another axis keeps the same one
    // (in row layout) and frees its permuted copies at once.
    const r = (await page.page.evaluate(`(async () => {
      const w = globalThis.wg;
      const rt = w.runtime();
      await rt.sync();
      const left = async (axis, grad) => {
        const before = rt.stats().liveBuffers;
        const x = w.rand([4, 5, 3], { requiresGrad: grad });
        const y = w.${op}(x, axis);
        const loss = w.sum(y);
        if (grad) loss.backward();
        await rt.sync();
        for (const t of [x.grad, x, y, loss]) t?.dispose();
        return rt.stats().liveBuffers - before;
      };
      return { last: await left(-1, true), first: await left(0, true), middle: await left(1, true), off: await left(0, false) };
    })()`)) as Record<string, number>;
    expect(r.first, 'axis 0').toBe(r.last);
    expect(r.middle, 'axis 1').toBe(r.last);
    expect(r.off, 'without gradients').toBe(0);
  });

  it('rejects an axis out of range or not an integer, naming the shape', async () => {
    await expectShapeError(page, op, [[3, 4, 5]], { axis: 3 }, 'axis must be an integer in [-3, 3), got 3');
    await expectShapeError(page, op, [[3, 4, 5]], { axis: -4 }, '[3, 4, 5]');
    await expectShapeError(page, op, [[3, 4]], { axis: 0.5 }, 'axis');
    await expectShapeError(page, op, [[3, 4]], untyped({ axis: '0' }), 'axis');
    await expectShapeError(page, op, [[]], { axis: 0 }, 'rank');
  });
});
