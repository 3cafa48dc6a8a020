// Under Node on Dawn (vitest.node.config.ts): one three-tier gradient check per kernel family, on small odd shapes,
// with the same harness ops and float64 references as the browser tests (test/ops/*.test.ts hold the full grids).
// test/node/globalSetup.ts fails the run if a family with a gradient is left unchecked.

import { afterAll, beforeAll, describe, it } from 'vitest';
import { openPage, type TestPage } from '../page';
import { gradcheck } from '../gradcheck';
import type { Rng } from '../rng';
import * as R from '../../src/engine/ops/elementwise.reference';
import { affineRef } from '../../src/engine/ops/affine.reference';
import { attentionRef } from '../../src/engine/ops/attention.reference';
import { clubUpperBoundRef } from '../../src/engine/ops/club.reference';
import { conv1dRef } from '../../src/engine/ops/conv1d.reference';
import { infoNCERef } from '../../src/engine/ops/infonce.reference';
import { refLayerNorm } from '../../src/engine/ops/layernorm.reference';
import { mseLossRef } from '../../src/engine/ops/loss.reference';
import { refLstm } from '../../src/engine/ops/lstm.reference';
import { matmulRef } from '../../src/engine/ops/matmul.reference';
import { refSum } from '../../src/engine/ops/reduce.reference';
import { dropoutRef } from '../../src/engine/ops/dropout.reference';
import { permuteRef } from '../../src/engine/ops/shape.reference';
import { refSoftmax } from '../../src/engine/ops/softmax.reference';
import { refTopkSoftmax } from '../../src/engine/ops/topk.reference';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

describe('one gradient check per kernel family under Node (Dawn)', () => {
  it('elementwise and autograd: a broadcasting chain (add, mul, exp, sub, div, sigmoid) with an input used twice', async () => {
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

  it('matmul', async () => {
    const [a, b] = [
      [5, 7],
      [7, 3],
    ];
    await gradcheck(page, {
      op: 'matmul',
      attrs: { transA: false, transB: false },
      inputs: [{ shape: a }, { shape: b }],
      ref: (xs, at) => matmulRef(xs[0], a, xs[1], b, at),
    });
  });

  it('reduce', async () => {
    await gradcheck(page, {
      op: 'sum',
      attrs: { axes: 1, keepdim: false },
      inputs: [{ shape: [3, 17] }],
      ref: ([x]) => refSum(x, [3, 17], 1, false),
    });
  });

  it("affine (GroupedLayerNorm's per-group scale and shift)", async () => {
    const shape = [3, 5, 7];
    await gradcheck(page, {
      op: 'affine',
      inputs: [{ shape }, { shape: [3, 7] }, { shape: [3, 7] }],
      ref: ([x, w, b]) => affineRef(x, w, b, shape),
    });
  });

  it('softmax', async () => {
    await gradcheck(page, { op: 'softmax', inputs: [{ shape: [3, 17] }], ref: ([x]) => refSoftmax(x, [3, 17]) });
  });

  it('layernorm', async () => {
    const shape = [3, 17];
    await gradcheck(page, {
      op: 'layerNorm',
      attrs: { gamma: true, beta: true, eps: 1e-5 },
      inputs: [{ shape }, { shape: [17], gen: (r: Rng, n: number) => r.uniform(n, 0.5, 1.5) }, { shape: [17] }],
      ref: (xs) => refLayerNorm(xs[0], shape, xs[1], xs[2], 1e-5),
    });
  });

  it('shape', async () => {
    const shape = [3, 1, 5, 2];
    const dims = [2, 0, 3, 1];
    await gradcheck(page, {
      op: 'permute',
      attrs: { dims, fast: true },
      inputs: [{ shape }],
      ref: (xs) => permuteRef(xs[0], shape, dims),
    });
  });

  it('row rungs (workgroup, and subgroup where Dawn offers subgroups) and permute tiled', async () => {
    const subgroups = await page.page.evaluate('globalThis.wg.tuning().subgroups');
    const shape = [3, 131];
    for (const kernel of subgroups === true ? (['workgroup', 'subgroup'] as const) : (['workgroup'] as const)) {
      await gradcheck(page, {
        op: 'softmax',
        attrs: { kernel },
        inputs: [{ shape }],
        ref: ([x]) => refSoftmax(x, shape),
      });
      await gradcheck(page, {
        op: 'layerNorm',
        attrs: { kernel },
        inputs: [{ shape }],
        ref: (xs) => refLayerNorm(xs[0], shape),
        tol: { fdEps: 1e-3 },
      });
      const tol = { fdEps: 0.5 }; // a sum is linear: exact under central differences at any step
      await gradcheck(page, {
        op: 'sum',
        attrs: { axes: 1, kernel },
        inputs: [{ shape }],
        ref: ([x]) => refSum(x, shape, 1),
        tol,
      });
    }
    await gradcheck(page, {
      op: 'permute',
      attrs: { dims: [1, 0], kernel: 'tiled' },
      inputs: [{ shape: [37, 45] }],
      ref: (xs) => permuteRef(xs[0], [37, 45], [1, 0]),
    });
  });

  it('dropout (and creation: its random mask)', async () => {
    const shape = [3, 17];
    await gradcheck(page, {
      op: 'dropout',
      attrs: { p: 0.3, seed: 7 },
      inputs: [{ shape }],
      ref: (xs) => dropoutRef(xs[0], shape, 0.3, 7),
    });
  });

  it('loss', async () => {
    const shape = [3, 17];
    await gradcheck(page, {
      op: 'mseLoss',
      attrs: { reduction: 'mean' },
      inputs: [{ shape }, { shape }],
      ref: (xs) => mseLossRef(xs[0], xs[1], shape, 'mean'),
    });
  });

  it('conv1d', async () => {
    const [xShape, wShape] = [
      [2, 3, 17],
      [5, 3, 3],
    ];
    const opts = { stride: 1, padding: 1, dilation: 1, groups: 1 };
    await gradcheck(page, {
      op: 'conv1d',
      attrs: opts,
      inputs: [{ shape: xShape }, { shape: wShape }, { shape: [5] }],
      ref: (xs) => conv1dRef(xs[0], xShape, xs[1], wShape, xs[2], opts),
    });
  });

  it('attention', async () => {
    const [qShape, kShape] = [
      [2, 3, 5, 4],
      [2, 3, 7, 4],
    ];
    const wide = (r: Rng, n: number) => r.uniform(n, -2, 2);
    await gradcheck(page, {
      op: 'attention',
      attrs: { layout: 'bhtd', masked: false },
      inputs: [{ shape: qShape, gen: wide }, { shape: kShape, gen: wide }, { shape: kShape }],
      ref: ([q, k, v]) => attentionRef(q, qShape, k, v, kShape, { layout: 'bhtd' }),
    });
  });

  it('lstm', async () => {
    const [B, T, I, H] = [2, 3, 3, 4];
    const w = 1 / Math.sqrt(H);
    const weights = [[4 * H, I], [4 * H, H], [4 * H], [4 * H]];
    await gradcheck(page, {
      op: 'lstm',
      attrs: { numLayers: 1, bidirectional: false, h0: false, c0: false, use: 'all' },
      inputs: [
        { shape: [B, T, I] },
        ...weights.map((shape) => ({ shape, gen: (r: Rng, n: number) => r.uniform(n, -w, w) })),
      ],
      ref: (xs) => {
        const r = refLstm(xs[0], [B, T, I], xs.slice(1), {
          hidden: H,
          numLayers: 1,
          bidirectional: false,
          h0: null,
          c0: null,
        });
        const data = new Float64Array([...r.output.data, ...r.h.data, ...r.c.data]);
        return { data, shape: [data.length] };
      },
    });
  });

  it('infonce', async () => {
    const [n, d] = [5, 7];
    const gen = (r: Rng, k: number) => r.awayFromZero(k, 0.2, 1);
    await gradcheck(page, {
      op: 'infoNCE',
      attrs: { temperature: 0.1 },
      inputs: [
        { shape: [n, d], gen },
        { shape: [n, d], gen },
      ],
      tol: { fdEps: 0.1 * 0.1 * Math.max(1, Math.sqrt(d / 3)) },
      ref: (xs) => ({
        data: Float64Array.of(infoNCERef(xs[0], xs[1], null, n, d, 0, { temperature: 0.1 })),
        shape: [],
      }),
    });
  });

  it('club', async () => {
    const shape = [5, 7];
    await gradcheck(page, {
      op: 'clubUpperBound',
      inputs: [{ shape }, { shape }, { shape }],
      ref: (xs) => ({ data: Float64Array.of(clubUpperBoundRef(xs[0], xs[1], xs[2], shape)), shape: [] }),
    });
  });

  it('topk', async () => {
    const shape = [3, 6];
    // Rows of values at least 0.3 apart in random order, so no finite-difference step changes which k are on top.
    const separated = (r: Rng, n: number) => {
      const out = new Float64Array(n);
      const noise = r.uniform(n, -0.05, 0.05);
      for (let row = 0; row < n / 6; row++) {
        const order = [0, 1, 2, 3, 4, 5];
        for (let j = 5; j > 0; j--) {
          const i = r.int(j + 1);
          [order[i], order[j]] = [order[j], order[i]];
        }
        for (let j = 0; j < 6; j++) out[row * 6 + j] = 0.3 * (order[j] - 3) + noise[row * 6 + j];
      }
      return out;
    };
    await gradcheck(page, {
      op: 'topkSoftmax',
      attrs: { k: 2 },
      inputs: [{ shape, gen: separated }],
      ref: ([x]) => refTopkSoftmax(x, shape, 2),
    });
  });
});
