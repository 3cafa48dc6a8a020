// attention's mask options: an attn mask of shape (Tq, Tk) or (B, H, Tq, Tk), additive (−∞ or ≤ −1e30 excludes) or
// boolean (true = take part, PyTorch's attn_mask), and `causal` (top-left when Tq ≠ Tk), alone and combined with a
// key-padding mask; three-tier gradient checks on the tiled, naive and composite rungs against float64, queries with
// every key excluded (zeros, never NaN), and bad input.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from '../page';
import { expectShapeError, gradcase, gradcheck, untyped } from '../gradcheck';
import {
  attentionRef,
  mhaParamShapes,
  mhaRef,
  type Layout,
  type MhaConfig,
} from '../../src/engine/ops/attention.reference';
import { rngFor, type Rng } from '../rng';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

interface Case {
  B: number;
  H: number;
  /** k/v heads (grouped-query attention); default H. */
  Hk?: number;
  Tq: number;
  Tk: number;
  Dh: number;
  /** v's head size; default Dh. */
  Dv?: number;
  layout?: Layout;
  kernel?: 'tiled' | 'flash' | 'naive' | 'composite';
  causal?: boolean;
  /** The attn mask: 'small' (Tq, Tk) or 'full' (B, H, Tq, Tk). */
  attn?: 'small' | 'full';
  /** additive (random biases, some excluded) or boolean (random true / false). */
  kind?: 'additive' | 'boolean';
  /** Send it as a JS array (booleans for a boolean mask; −∞ for excluded additive entries) instead of a tensor. */
  asArray?: boolean;
  /** Also a key-padding keep mask (JS array). */
  keep?: boolean;
  /** Exclude every key of query 0 (of every batch element and head), to check the zero rows. */
  emptyRow?: boolean;
}

const wide = (r: Rng, n: number) => r.uniform(n, -2, 2);

/** The attn mask as sent (numbers: biases, or 0/1 for a boolean tensor) and as the reference reads it (additive). */
function makeAttn(c: Case, r: Rng) {
  const n = c.attn === 'full' ? c.B * c.H * c.Tq * c.Tk : c.Tq * c.Tk;
  const boolean = c.kind === 'boolean';
  const sent: number[] = [];
  const ref = new Float64Array(n);
  const negInf: number[] = [];
  for (let x = 0; x < n; x++) {
    const excluded = r.next() < 0.25 || (c.emptyRow === true && x % (c.Tq * c.Tk) < c.Tk);
    const bias = r.next() * 4 - 2;
    ref[x] = excluded ? -Infinity : boolean ? 0 : bias;
    if (boolean) sent.push(excluded ? 0 : 1);
    else if (excluded && c.asArray) {
      sent.push(0);
      negInf.push(x);
    } else sent.push(excluded ? -1e30 : bias);
  }
  return { sent, ref, negInf };
}

function check(c: Case) {
  const { B, H, Hk = H, Tq, Tk, Dh, layout = 'bhtd' } = c;
  const qShape = layout === 'bhtd' ? [B, H, Tq, Dh] : [B, Tq, H, Dh];
  const kShape = layout === 'bhtd' ? [B, Hk, Tk, Dh] : [B, Tk, Hk, Dh];
  const Dv = c.Dv ?? Dh;
  const vShape = layout === 'bhtd' ? [B, Hk, Tk, Dv] : [B, Tk, Hk, Dv];
  const r = rngFor(`attention options ${JSON.stringify(c)}`);
  const attn = c.attn ? makeAttn(c, r) : null;
  const keep = c.keep ? Array.from({ length: B * Tk }, (_, i) => i % Tk === 0 || r.next() < 0.7) : undefined;
  const attnShape = c.attn === 'full' ? [B, H, Tq, Tk] : [Tq, Tk];
  const asTensor = attn !== null && !c.asArray;
  return gradcheck(page, {
    op: 'attentionOptions',
    attrs: {
      layout,
      kernel: c.kernel,
      causal: c.causal,
      keepArray: keep,
      attnInput: asTensor,
      attnMaskKind: attn && c.kind === 'boolean' && asTensor ? 'boolean' : undefined,
      attnArray: attn && c.asArray ? (c.kind === 'boolean' ? attn.sent.map((x) => x === 1) : attn.sent) : undefined,
      attnNegInf: attn?.negInf,
    },
    inputs: [
      { shape: qShape, gen: wide },
      { shape: kShape, gen: wide },
      { shape: vShape },
      ...(asTensor ? [{ shape: attnShape, grad: false }] : []),
    ],
    data: asTensor ? [undefined, undefined, undefined, Float64Array.from(attn!.sent)] : undefined,
    ref: ([q, k, v]) =>
      attentionRef(q, qShape, k, v, kShape, {
        layout,
        causal: c.causal,
        attnMask: attn?.ref,
        keepMask: keep?.map(Number),
        vShape,
      }),
  });
}

describe('attention: causal', () => {
  it('masks key j > query i, top-left aligned when Tq ≠ Tk, on every rung', async () => {
    await check({ B: 2, H: 3, Tq: 5, Tk: 5, Dh: 16, causal: true });
    await check({ B: 1, H: 2, Tq: 3, Tk: 7, Dh: 5, causal: true });
    await check({ B: 2, H: 1, Tq: 7, Tk: 3, Dh: 8, causal: true, layout: 'bthd', kernel: 'tiled' });
    await check({ B: 2, H: 1, Tq: 6, Tk: 9, Dh: 8, causal: true, kernel: 'naive' });
    // flash: the second query block (rows 64..69) stops at key 69, the second key block (64..66) starts at query 64.
    await check({ B: 1, H: 2, Tq: 70, Tk: 67, Dh: 8, causal: true, kernel: 'flash' });
    await check({ B: 2, H: 1, Tq: 7, Tk: 19, Dh: 16, causal: true, kernel: 'flash', layout: 'bthd' });
    await check({ B: 1, H: 3, Tq: 5, Tk: 3, Dh: 3, causal: true, kernel: 'composite' });
  });

  it('top-left: with Tq < Tk, query 0 attends to key 0 alone (its output is v_0)', async () => {
    const B = 1,
      H = 1,
      Tq = 2,
      Tk = 5,
      Dh = 3;
    const r = rngFor('causal top-left');
    const v = Array.from(r.uniform(Tk * Dh));
    const res = await gradcase(page, {
      op: 'attentionOptions',
      attrs: { causal: true },
      inputs: [
        { shape: [B, H, Tq, Dh], data: Array.from(r.uniform(Tq * Dh)) },
        { shape: [B, H, Tk, Dh], data: Array.from(r.uniform(Tk * Dh)) },
        { shape: [B, H, Tk, Dh], data: v },
      ],
      weights: Array.from(r.uniform(Tq * Dh)),
      fdIndices: [[], [], []],
      fdEps: 1e-2,
    });
    for (let d = 0; d < Dh; d++) expect(res.out[d]).toBeCloseTo(v[d], 6);
  });
});

describe('attention: attn mask', () => {
  it('adds an additive (Tq, Tk) mask, as a tensor or an array with −∞, on every rung', async () => {
    await check({ B: 2, H: 3, Tq: 5, Tk: 7, Dh: 16, attn: 'small' });
    await check({ B: 2, H: 1, Tq: 7, Tk: 3, Dh: 5, attn: 'small', asArray: true });
    await check({ B: 1, H: 2, Tq: 3, Tk: 9, Dh: 8, attn: 'small', kernel: 'naive', layout: 'bthd' });
    await check({ B: 1, H: 2, Tq: 5, Tk: 19, Dh: 8, attn: 'small', kernel: 'flash', asArray: true });
    await check({ B: 2, H: 2, Tq: 4, Tk: 5, Dh: 3, attn: 'small', kernel: 'composite' });
  });

  it('takes a (B, H, Tq, Tk) mask', async () => {
    await check({ B: 2, H: 3, Tq: 5, Tk: 6, Dh: 16, attn: 'full' });
    await check({ B: 2, H: 2, Tq: 3, Tk: 7, Dh: 33, attn: 'full', asArray: true, layout: 'bthd' });
    await check({ B: 2, H: 2, Tq: 4, Tk: 3, Dh: 4, attn: 'full', kernel: 'composite' });
    await check({ B: 2, H: 2, Tq: 5, Tk: 17, Dh: 16, attn: 'full', kernel: 'flash', layout: 'bthd' });
  });

  it('reads a boolean mask as PyTorch: true = take part (array of booleans, or a 0/1 tensor)', async () => {
    await check({ B: 2, H: 3, Tq: 5, Tk: 7, Dh: 16, attn: 'small', kind: 'boolean', asArray: true });
    await check({ B: 2, H: 2, Tq: 6, Tk: 3, Dh: 5, attn: 'full', kind: 'boolean' });
    await check({ B: 1, H: 2, Tq: 3, Tk: 4, Dh: 8, attn: 'full', kind: 'boolean', kernel: 'composite' });
  });

  it('combines with a key-padding mask and causal', async () => {
    await check({ B: 2, H: 3, Tq: 5, Tk: 7, Dh: 16, attn: 'full', keep: true, causal: true });
    await check({ B: 2, H: 1, Tq: 7, Tk: 5, Dh: 5, attn: 'small', keep: true, causal: true, asArray: true });
    await check({ B: 2, H: 2, Tq: 4, Tk: 6, Dh: 4, attn: 'small', keep: true, causal: true, kernel: 'composite' });
    await check({ B: 2, H: 1, Tq: 7, Tk: 18, Dh: 8, attn: 'full', keep: true, causal: true, kernel: 'flash' });
  });

  it('gives zeros and finite gradients for a query with every key excluded', async () => {
    await check({ B: 2, H: 2, Tq: 5, Tk: 4, Dh: 16, attn: 'small', kind: 'boolean', emptyRow: true });
    await check({ B: 2, H: 2, Tq: 3, Tk: 6, Dh: 5, attn: 'full', emptyRow: true, asArray: true });
    await check({ B: 1, H: 2, Tq: 3, Tk: 4, Dh: 4, attn: 'full', emptyRow: true, kernel: 'composite' });
    await check({ B: 2, H: 1, Tq: 3, Tk: 17, Dh: 8, attn: 'small', kind: 'boolean', emptyRow: true, kernel: 'flash' });
  });
});

describe('attention: grouped-query attention', () => {
  it('shares each k/v head among H / Hk query heads, on every rung, with masks', async () => {
    await check({ B: 2, H: 6, Hk: 2, Tq: 5, Tk: 7, Dh: 16 });
    await check({ B: 1, H: 4, Hk: 1, Tq: 7, Tk: 3, Dh: 5, layout: 'bthd' });
    await check({ B: 2, H: 3, Hk: 1, Tq: 6, Tk: 5, Dh: 8, kernel: 'naive', causal: true, keep: true });
    await check({ B: 2, H: 4, Hk: 2, Tq: 5, Tk: 6, Dh: 8, kernel: 'tiled', attn: 'full', layout: 'bthd' });
    await check({ B: 2, H: 6, Hk: 2, Tq: 5, Tk: 19, Dh: 16, kernel: 'flash', causal: true, keep: true });
    await check({ B: 1, H: 4, Hk: 1, Tq: 3, Tk: 5, Dh: 64, kernel: 'flash', attn: 'small', layout: 'bthd' });
    await check({ B: 2, H: 4, Hk: 2, Tq: 3, Tk: 5, Dh: 3, kernel: 'composite', attn: 'small', causal: true });
  });
});

describe('attention: value head size ≠ key head size', () => {
  it('gives (.., Dv) outputs from the naive kernels (the default then) and the composite rung', async () => {
    await check({ B: 2, H: 3, Tq: 5, Tk: 7, Dh: 16, Dv: 5 });
    await check({ B: 1, H: 2, Tq: 4, Tk: 3, Dh: 3, Dv: 8, layout: 'bthd', causal: true });
    await check({ B: 2, H: 4, Hk: 2, Tq: 3, Tk: 6, Dh: 8, Dv: 70, attn: 'small', keep: true });
    await check({ B: 2, H: 2, Hk: 1, Tq: 4, Tk: 5, Dh: 4, Dv: 6, kernel: 'composite', causal: true });
  });
});

describe('MultiheadAttention: kvHeads and causal', () => {
  it('matches float64 in all three tiers, inputs and every weight', async () => {
    const cases: (MhaConfig & { B: number; Tq: number; Tk: number; dim: number })[] = [
      { B: 2, Tq: 5, Tk: 5, dim: 6, heads: 4, dimHead: 4, kvHeads: 2, causal: true },
      { B: 1, Tq: 3, Tk: 6, dim: 5, heads: 3, dimHead: 3, kvHeads: 1, qkvBias: true },
    ];
    for (const c of cases) {
      const names = mhaParamShapes(c.dim, c);
      await gradcheck(page, {
        op: 'multiheadAttention',
        attrs: { ...c, names: names.map(([n]) => n), inputs: 2 },
        inputs: [
          { shape: [c.B, c.Tq, c.dim] },
          { shape: [c.B, c.Tk, c.dim] },
          // to_k's bias shifts a query's scores uniformly: its exact gradient is 0, not judged relative to itself.
          ...names.map(([n, shape]) => ({
            shape,
            grad: n !== 'to_k.bias',
            gen: (r: Rng, k: number) => r.uniform(k, -0.8, 0.8),
          })),
        ],
        ref: (xs) => {
          const params = Object.fromEntries(names.map(([n], i) => [n, xs[2 + i]]));
          return mhaRef(xs[0], xs[1], xs[1], c.B, c.Tq, c.Tk, c.dim, params, c);
        },
        tol: { fdEps: 1e-3, fdRtol: 3e-2, fdAtol: 3e-3 },
      });
    }
  });
});

describe('attention options: bad input', () => {
  const shapes: [number[], number[], number[]] = [
    [2, 3, 4, 8],
    [2, 3, 5, 8],
    [2, 3, 5, 8],
  ];
  it('refuses attn masks of the wrong shape, length or entries, before any GPU work', async () => {
    await expectShapeError(
      page,
      'attentionOptions',
      [...shapes, [5, 4]] as [number[], number[], number[], number[]],
      { attnInput: true },
      'attnMask must be',
    );
    await expectShapeError(
      page,
      'attentionOptions',
      [...shapes, [2, 1, 4, 5]] as [number[], number[], number[], number[]],
      { attnInput: true },
      '(B, H, Tq, Tk)',
    );
    await expectShapeError(page, 'attentionOptions', shapes, { attnArray: [0, 1, 2] }, 'attnMask has 3 entries');
    const bools = Array.from({ length: 20 }, () => true);
    await expectShapeError(
      page,
      'attentionOptions',
      shapes,
      { attnArray: bools, attnMaskKind: 'additive' },
      'additive attnMask',
    );
    await expectShapeError(
      page,
      'attentionOptions',
      shapes,
      { attnArray: Array.from({ length: 20 }, () => 2), attnMaskKind: 'boolean' },
      'boolean attnMask',
    );
    await expectShapeError(
      page,
      'attentionOptions',
      shapes,
      untyped({ attnArray: bools, attnMaskKind: 'bool' }),
      'attnMaskKind must be',
    );
    await expectShapeError(page, 'attentionOptions', shapes, untyped({ causal: 1 }), 'causal must be a boolean');
    const gqa = [
      [2, 6, 4, 8],
      [2, 4, 5, 8],
      [2, 4, 5, 8],
    ] as [number[], number[], number[]];
    await expectShapeError(page, 'attentionOptions', gqa, {}, 'H_q % H_kv = 0');
    const dv = [
      [2, 3, 4, 8],
      [2, 3, 5, 8],
      [2, 3, 5, 4],
    ] as [number[], number[], number[]];
    await expectShapeError(page, 'attentionOptions', dv, { kernel: 'tiled' }, 'one head size');
    await expectShapeError(page, 'attentionOptions', dv, { kernel: 'flash' }, 'flash kernels need one head size');
  });
});

describe('attention: masks and GQA at large scores', () => {
  it('keeps float32 accuracy with scores near ±8192 through an attn mask and shared k/v heads, on every rung', async () => {
    // The merge of the masks (bias added to each score) with the (m, log Σ) pair the forward saves (attention.test.ts,
    // 'attention at large scores'): the kept keys and query rows are that test's, so each row's log-sum-exp sits
    // ≥ 2e-4 from a float32 value and a backward recomputing P as exp(s + bias − lse) fails. Key 5 scores highest
    // and is excluded by the mask (−∞) for every query; both query heads share the one k/v head.
    const qRows = [
      [64, 64, 1, 0],
      [64, 64, 1, 0],
      [-64, -64, -2, -2],
    ].flat();
    const q = [...qRows, ...qRows];
    const k = [
      [64, 64, 2, 2],
      [64, 64, -2, 0],
      [64, 64, -2, 2],
      [64, 64, -1, -2],
      [64, 64, 1, 1],
      [64, 64, 9, 9],
    ].flat();
    const Tq = 3;
    const Tk = 6;
    const v = rngFor('attention masks at large scores').uniform(Tk * 4, -1, 1);
    const qShape = [1, 2, Tq, 4];
    const kShape = [1, 1, Tk, 4];
    const attnMask = Array.from({ length: Tq * Tk }, (_, x) => (x % Tk === Tk - 1 ? -Infinity : 0));
    for (const kernel of ['tiled', 'flash', 'naive', 'composite'] as const) {
      await gradcheck(page, {
        op: 'attentionOptions',
        attrs: {
          kernel,
          scale: 1,
          attnArray: attnMask.map(() => 0), // the −∞ entries are set on the page (JSON has no −∞)
          attnNegInf: attnMask.flatMap((b, x) => (b === 0 ? [] : [x])),
        },
        inputs: [{ shape: qShape }, { shape: kShape }, { shape: kShape }],
        data: [Float64Array.from(q), Float64Array.from(k), v],
        ref: ([qs, ks, vs]) => attentionRef(qs, qShape, ks, vs, kShape, { scale: 1, attnMask }),
        // As in attention.test.ts: tiers 1 and 2 only (a float32 finite difference resolves nothing near 8192).
        tol: { fdCount: 0, fwdRtol: 1e-5, fwdAtol: 1e-6, gradRtol: 1e-4, gradAtol: 1e-4 },
      });
    }
  });
});
