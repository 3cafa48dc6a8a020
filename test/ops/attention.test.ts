// attention(q, k, v, {keepMask | keyPaddingMask, scale, layout}): three-tier gradient checks of the fused kernels
// (tiled and naive, one and several head-dim chunks, both layouts) and of the composite rung, on odd shapes with
// Tq ≠ Tk; key-padding masks under both names, including batch elements with every key masked (zeros out, zero
// gradients, no NaN); T = 500 against float64, forward and backward; bad input, and the removed option `mask`.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from '../page';
import { expectShapeError, gradcase, gradcheck, untyped, type Tolerances } from '../gradcheck';
import { attentionBackwardRef, attentionRef, type Layout } from '../../src/engine/ops/attention.reference';
import type { AttentionKernel } from '../../src/engine/ops/attention';
import { rngFor, type Rng } from '../rng';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

interface Case {
  B: number;
  H: number;
  Tq: number;
  Tk: number;
  Dh: number;
  layout?: Layout;
  kernel?: 'tiled' | 'flash' | 'naive' | 'composite';
  scale?: number;
  /** Key-padding mask: 'random' keeps each key with probability 0.6; 'allMaskedFirst' also drops every key of b = 0. */
  mask?: 'random' | 'allMaskedFirst';
  /** Send the mask as a JS array of booleans instead of a tensor. */
  maskArray?: boolean;
  /** Send it as keyPaddingMask, PyTorch's convention (true = ignore): the page gets NOT keep. Default keepMask. */
  maskAs?: 'keyPadding';
  tol?: Partial<Tolerances>;
}

const shapesOf = ({ B, H, Tq, Tk, Dh, layout = 'bhtd' }: Case) =>
  layout === 'bhtd'
    ? [
        [B, H, Tq, Dh],
        [B, H, Tk, Dh],
      ]
    : [
        [B, Tq, H, Dh],
        [B, Tk, H, Dh],
      ];

/** A mask with at least one kept key per batch element (except b = 0 when allMaskedFirst). */
function makeMask(r: Rng, B: number, Tk: number, allMaskedFirst: boolean): Float64Array {
  const m = new Float64Array(B * Tk);
  for (let b = 0; b < B; b++) {
    if (allMaskedFirst && b === 0) continue;
    for (let j = 0; j < Tk; j++) m[b * Tk + j] = r.next() < 0.6 ? 1 : 0;
    m[b * Tk + r.int(Tk)] = 1;
  }
  return m;
}

const wide = (r: Rng, n: number) => r.uniform(n, -2, 2);

function check(c: Case) {
  const [qShape, kShape] = shapesOf(c);
  const layout = c.layout ?? 'bhtd';
  const maskData = c.mask
    ? makeMask(rngFor(`mask ${JSON.stringify(c)}`), c.B, c.Tk, c.mask === 'allMaskedFirst')
    : null;
  const asTensor = maskData && !c.maskArray;
  const sent = maskData && c.maskAs === 'keyPadding' ? maskData.map((m) => 1 - m) : maskData;
  return gradcheck(page, {
    op: 'attention',
    attrs: {
      layout,
      kernel: c.kernel,
      scale: c.scale,
      masked: !!asTensor,
      maskAs: c.maskAs,
      maskArray: sent && c.maskArray ? Array.from(sent, (m) => m === 1) : undefined,
    },
    inputs: [
      // Scores of a few units, so the softmax is far from uniform and mistakes in P show.
      { shape: qShape, gen: wide },
      { shape: kShape, gen: wide },
      { shape: kShape },
      ...(asTensor ? [{ shape: [c.B, c.Tk], grad: false }] : []),
    ],
    data: asTensor ? [undefined, undefined, undefined, sent!] : undefined,
    ref: ([q, k, v]) => attentionRef(q, qShape, k, v, kShape, { keepMask: maskData, scale: c.scale, layout }),
    tol: c.tol,
  });
}

describe('attention (fused)', () => {
  it('matches float64 in all three tiers for B 1/2, H 1/3, Tq ≠ Tk in 1/3/17, Dh 3/16/33', async () => {
    const cases: Case[] = [
      { B: 1, H: 1, Tq: 1, Tk: 1, Dh: 3 },
      { B: 2, H: 3, Tq: 3, Tk: 17, Dh: 16 },
      { B: 1, H: 3, Tq: 17, Tk: 3, Dh: 33 },
      { B: 2, H: 1, Tq: 17, Tk: 1, Dh: 16 },
      { B: 2, H: 3, Tq: 1, Tk: 3, Dh: 3 },
      { B: 1, H: 1, Tq: 3, Tk: 17, Dh: 33 },
      { B: 2, H: 1, Tq: 17, Tk: 17, Dh: 16 },
    ];
    for (const c of cases) await check(c);
  });

  it('gives the same results from the naive kernels on head sizes the tiled ones take', async () => {
    await check({ B: 2, H: 3, Tq: 3, Tk: 17, Dh: 16, kernel: 'naive' });
    await check({ B: 1, H: 1, Tq: 17, Tk: 3, Dh: 4, kernel: 'naive', mask: 'allMaskedFirst' });
  });

  it('tiled: every head size that is a multiple of 4 up to 64, partial tiles of rows', async () => {
    // Dh 4 leaves most of the 16-float register block empty, 20 and 52 end in a partial block (16 and 64 fill theirs:
    // the other tests). Each head size compiles its own pipelines (about a second each on SwiftShader): few sizes.
    for (const [Dh, Tq, Tk] of [
      [4, 1, 2],
      [20, 7, 5],
      [52, 6, 4],
    ]) {
      await check({ B: 2, H: 1, Tq, Tk, Dh, kernel: 'tiled' });
    }
    await check({ B: 2, H: 2, Tq: 5, Tk: 7, Dh: 20, kernel: 'tiled', mask: 'allMaskedFirst', layout: 'bthd' });
  });

  it('reads and writes the (B, T, H, Dh) layout', async () => {
    await check({ B: 2, H: 3, Tq: 3, Tk: 17, Dh: 16, layout: 'bthd' });
    await check({ B: 2, H: 3, Tq: 17, Tk: 3, Dh: 3, layout: 'bthd' });
    await check({ B: 1, H: 3, Tq: 3, Tk: 1, Dh: 33, layout: 'bthd', mask: 'random' });
  });

  it('naive: splits head sizes above 64 into chunks (Dh 65, 132)', async () => {
    await check({ B: 1, H: 3, Tq: 3, Tk: 17, Dh: 65 });
    await check({ B: 2, H: 1, Tq: 17, Tk: 3, Dh: 132, layout: 'bthd', mask: 'random' });
  });

  it('takes an explicit scale', async () => {
    await check({ B: 2, H: 1, Tq: 3, Tk: 17, Dh: 16, scale: 0.9 });
    await check({ B: 1, H: 3, Tq: 3, Tk: 3, Dh: 3, scale: -0.4 });
  });

  it('applies a key-padding mask, as a tensor or an array, with fully masked batch elements', async () => {
    await check({ B: 2, H: 3, Tq: 3, Tk: 17, Dh: 16, mask: 'random' });
    await check({ B: 2, H: 3, Tq: 17, Tk: 3, Dh: 16, mask: 'allMaskedFirst' });
    await check({ B: 2, H: 1, Tq: 3, Tk: 17, Dh: 33, mask: 'allMaskedFirst' });
    await check({ B: 2, H: 3, Tq: 1, Tk: 17, Dh: 3, mask: 'allMaskedFirst', maskArray: true });
    await check({ B: 2, H: 3, Tq: 3, Tk: 17, Dh: 16, mask: 'random', maskArray: true, layout: 'bthd' });
  });

  it("reads keyPaddingMask as PyTorch's key_padding_mask (true = ignore), as a tensor or an array", async () => {
    await check({ B: 2, H: 3, Tq: 3, Tk: 17, Dh: 16, mask: 'random', maskAs: 'keyPadding' });
    await check({
      B: 2,
      H: 1,
      Tq: 5,
      Tk: 7,
      Dh: 8,
      mask: 'allMaskedFirst',
      maskAs: 'keyPadding',
      maskArray: true,
      layout: 'bthd',
    });
    await check({ B: 2, H: 2, Tq: 4, Tk: 5, Dh: 3, mask: 'random', maskAs: 'keyPadding', kernel: 'composite' });
  });

  it('gives exact zeros, never NaN, in the output and every gradient of a fully masked batch element', async () => {
    for (const Dh of [16, 3]) {
      const B = 2,
        H = 3,
        Tq = 5,
        Tk = 4;
      const r = rngFor(`fully masked ${Dh}`);
      const n = B * H * Tq * Dh;
      const nk = B * H * Tk * Dh;
      // Large scores too: a kernel that normalised by an empty sum would give NaN or ∞ here.
      const res = await gradcase(page, {
        op: 'attention',
        attrs: { masked: true },
        inputs: [
          { shape: [B, H, Tq, Dh], data: Array.from(r.uniform(n, -30, 30)) },
          { shape: [B, H, Tk, Dh], data: Array.from(r.uniform(nk, -30, 30)) },
          { shape: [B, H, Tk, Dh], data: Array.from(r.uniform(nk)) },
          { shape: [B, Tk], data: [0, 0, 0, 0, 1, 0, 1, 1], grad: false },
        ],
        weights: Array.from(r.uniform(n)),
        fdIndices: [[], [], [], []],
        fdEps: 1e-2,
      });
      const half = (a: number[], len: number) => a.slice(0, len / 2); // b = 0 is the first half of each tensor
      for (const x of half(res.out, n)) expect(x).toBe(0);
      for (const [g, len] of [
        [res.grads[0]!, n],
        [res.grads[1]!, nk],
        [res.grads[2]!, nk],
      ] as const) {
        for (const x of half(g, len)) expect(x).toBe(0);
        expect(g.every(Number.isFinite)).toBe(true);
      }
      expect(res.out.every(Number.isFinite)).toBe(true);
      expect(res.grads[3]).toBeNull();
    }
  });
});

describe('attention (flash rung: workgroups of 8 to 64 rows, the other side staged 16 rows at a time)', () => {
  // Barriers are slow on SwiftShader: the four cases took 63 s to over 120 s here, by the machine's load.
  it(
    'matches float64 in all three tiers: T across partial tiles and blocks, head sizes 8 and 16',
    { timeout: 300_000 },
    async () => {
      // Tq 67 spans two query blocks of 64 (the second one 3 rows deep) and Tk 19 two key tiles of 16 (the second 3
      // deep; dk/dv blocks of 32 keys); Tk 70 spans two key blocks for dk/dv, Tq 5 one block of 8.
      await check({ B: 1, H: 2, Tq: 67, Tk: 19, Dh: 8, kernel: 'flash' });
      await check({ B: 2, H: 1, Tq: 5, Tk: 70, Dh: 16, kernel: 'flash', mask: 'allMaskedFirst' });
    },
  );

  it('matches float64 in all three tiers: head sizes 64 and 20, T of 1', { timeout: 300_000 }, async () => {
    // Tq 1 and Tk 1 leave every tile nearly empty.
    await check({ B: 1, H: 1, Tq: 3, Tk: 17, Dh: 64, kernel: 'flash', layout: 'bthd', scale: 0.3 });
    await check({ B: 2, H: 3, Tq: 1, Tk: 1, Dh: 20, kernel: 'flash', mask: 'random' });
  });
});

describe('attention (composite rung: the reference composition from generic ops)', () => {
  it('matches float64 in all three tiers, with masks and both layouts', async () => {
    await check({ B: 2, H: 3, Tq: 3, Tk: 17, Dh: 16, kernel: 'composite' });
    await check({ B: 2, H: 1, Tq: 17, Tk: 3, Dh: 3, kernel: 'composite', layout: 'bthd', mask: 'allMaskedFirst' });
  });
});

describe('attention at T = 500', () => {
  it('matches float64 forward and backward (self, Tq = Tk = 500, and cross, Tq = 9 / Tk = 500 and Tq = 500 / Tk = 9)', async () => {
    for (const [Tq, Tk, Dh, kernel] of [
      [500, 500, 16, 'tiled'],
      [500, 500, 16, 'naive'],
      [9, 500, 64, 'tiled'],
      [500, 9, 3, 'naive'],
    ] as const) {
      await longCase(Tq, Tk, Dh, kernel, 2, 2);
    }
  });

  it('on the flash rung too (B 1, H 2: its backward passes are slow on SwiftShader)', async () => {
    await longCase(500, 500, 16, 'flash', 1, 2);
    await longCase(9, 500, 64, 'flash', 1, 2);
    await longCase(500, 9, 8, 'flash', 1, 2);
  });
});

/** Attention at (B, H, Tq, Tk, Dh) on one rung against float64, forward and backward, without finite differences. */
async function longCase(Tq: number, Tk: number, Dh: number, kernel: AttentionKernel, B: number, H: number) {
  const qShape = [B, H, Tq, Dh];
  const kShape = [B, H, Tk, Dh];
  const r = rngFor(`T500 ${Tq} ${Tk} ${Dh}`);
  // float32-representable inputs, so the reference sees exactly what the GPU sees; scores of a few units.
  const q = r.uniform(B * H * Tq * Dh, -2, 2).map(Math.fround);
  const k = r.uniform(B * H * Tk * Dh, -2, 2).map(Math.fround);
  const v = r.uniform(B * H * Tk * Dh).map(Math.fround);
  const go = r.uniform(B * H * Tq * Dh).map(Math.fround);
  const res = await gradcase(page, {
    op: 'attention',
    attrs: { kernel },
    inputs: [
      { shape: qShape, data: Array.from(q) },
      { shape: kShape, data: Array.from(k) },
      { shape: kShape, data: Array.from(v) },
    ],
    weights: Array.from(go),
    fdIndices: [[], [], []],
    fdEps: 1e-2,
  });
  const want = attentionRef(q, qShape, k, v, kShape).data;
  const grads = attentionBackwardRef(q, qShape, k, v, kShape, go);
  const relErr = (got: number[], ref: Float64Array) => {
    let e = 0,
      s = 0;
    for (let i = 0; i < ref.length; i++) {
      e = Math.max(e, Math.abs(got[i] - ref[i]));
      s = Math.max(s, Math.abs(ref[i]));
    }
    return e / s;
  };
  expect(relErr(res.out, want), `forward Tq=${Tq} Tk=${Tk}`).toBeLessThan(1e-5);
  expect(relErr(res.grads[0]!, grads.dq), `dq Tq=${Tq} Tk=${Tk}`).toBeLessThan(1e-4);
  expect(relErr(res.grads[1]!, grads.dk), `dk Tq=${Tq} Tk=${Tk}`).toBeLessThan(1e-4);
  expect(relErr(res.grads[2]!, grads.dv), `dv Tq=${Tq} Tk=${Tk}`).toBeLessThan(1e-4);
}

describe('attention at large scores', () => {
  it('keeps float32 accuracy with scores near ±8192, forward and gradient, on every rung', async () => {
    // Integer q and k with scale 1: every score q·k is an exact float32 integer near ±8192, where a float32 step is
    // 1e-3, a few units from the others of its row. The backward's P must come from (s − m) − log Σ; recomputing it
    // as s − lse with lse = m + log Σ stored rounded puts the rounding of lse in every P (issue #17, fault 1). The
    // rows are chosen so that each lse is ≥ 2e-4 from a float32 value (5e-4 in the first two).
    const q = [
      [64, 64, 1, 0],
      [64, 64, 1, 0],
      [-64, -64, -2, -2],
    ].flat();
    const k = [
      [64, 64, 2, 2],
      [64, 64, -2, 0],
      [64, 64, -2, 2],
      [64, 64, -1, -2],
      [64, 64, 1, 1],
    ].flat();
    const v = rngFor('attention at large scores').uniform(5 * 4, -1, 1);
    const qShape = [1, 1, 3, 4];
    const kShape = [1, 1, 5, 4];
    for (const kernel of ['tiled', 'flash', 'naive', 'composite'] as const) {
      await gradcheck(page, {
        op: 'attention',
        attrs: { kernel, scale: 1 },
        inputs: [{ shape: qShape }, { shape: kShape }, { shape: kShape }],
        data: [Float64Array.from(q), Float64Array.from(k), v],
        ref: ([qs, ks, vs]) => attentionRef(qs, qShape, ks, vs, kShape, { scale: 1 }),
        // Tiers 1 and 2 only: a float32 finite difference of a score near 8192 resolves nothing. The absolute part
        // covers dq's first two entries, 64·Σ_j dS_ij = 0 exactly, which float32 leaves at up to ~1e-4 of the largest
        // dq (9e-6 against 0.09 with WEBGRAD_SEED=633702882, which failed at 1e-4); the fault this test guards
        // against moves every entry by ~5e-4 relative, above the 2.5e-4 + 1e-4 allowed here.
        tol: { fdCount: 0, fwdRtol: 1e-5, fwdAtol: 1e-6, gradRtol: 1e-4, gradAtol: 2.5e-4 },
      });
    }
  });
});

describe('the float64 backward reference', () => {
  it('agrees with finite differences of the forward reference (masked, bthd)', () => {
    const r = rngFor('backward reference');
    const qShape = [2, 3, 2, 5];
    const kShape = [2, 4, 2, 5];
    const opts = { keepMask: [1, 0, 1, 1, 0, 0, 0, 0], layout: 'bthd' as const, scale: 0.7 };
    const xs = [r.uniform(60), r.uniform(80), r.uniform(80)];
    const go = r.uniform(60);
    const g = attentionBackwardRef(xs[0], qShape, xs[1], xs[2], kShape, go, opts);
    const loss = (ys: Float64Array[]) =>
      attentionRef(ys[0], qShape, ys[1], ys[2], kShape, opts).data.reduce((s, y, i) => s + y * go[i], 0);
    [g.dq, g.dk, g.dv].forEach((gi, i) => {
      for (let j = 0; j < xs[i].length; j++) {
        const p = xs.map((x) => x.slice());
        const m = xs.map((x) => x.slice());
        p[i][j] += 1e-6;
        m[i][j] -= 1e-6;
        expect(gi[j]).toBeCloseTo((loss(p) - loss(m)) / 2e-6, 7);
      }
    });
  });
});

describe('bad input', () => {
  it('rejects wrong ranks, mismatched batch / heads / head size / key lengths, and bad options', async () => {
    await expectShapeError(
      page,
      'attention',
      [
        [2, 3, 4],
        [2, 3, 4, 8],
        [2, 3, 4, 8],
      ],
      {},
      'q must be 4-D',
    );
    await expectShapeError(
      page,
      'attention',
      [
        [2, 3, 4, 8],
        [1, 3, 5, 8],
        [1, 3, 5, 8],
      ],
      {},
      'batch sizes',
    );
    await expectShapeError(
      page,
      'attention',
      [
        [2, 3, 4, 8],
        [2, 2, 5, 8],
        [2, 2, 5, 8],
      ],
      {},
      'heads',
    );
    await expectShapeError(
      page,
      'attention',
      [
        [2, 3, 4, 8],
        [2, 3, 5, 7],
        [2, 3, 5, 7],
      ],
      {},
      'head sizes',
    );
    await expectShapeError(
      page,
      'attention',
      [
        [2, 3, 4, 8],
        [2, 3, 5, 8],
        [2, 3, 6, 8],
      ],
      {},
      'same shape',
    );
    await expectShapeError(
      page,
      'attention',
      [
        [2, 4, 3, 8],
        [2, 5, 2, 8],
        [2, 5, 2, 8],
      ],
      { layout: 'bthd' },
      'heads',
    );
    await expectShapeError(
      page,
      'attention',
      [
        [2, 3, 4, 8],
        [2, 3, 5, 8],
        [2, 3, 5, 8],
      ],
      untyped({ layout: 'tbhd' }),
      'layout',
    );
    await expectShapeError(
      page,
      'attention',
      [
        [2, 3, 4, 3],
        [2, 3, 5, 3],
        [2, 3, 5, 3],
      ],
      { kernel: 'tiled' },
      'divisible by 4',
    );
    await expectShapeError(
      page,
      'attention',
      [
        [2, 3, 4, 68],
        [2, 3, 5, 68],
        [2, 3, 5, 68],
      ],
      { kernel: 'tiled' },
      'at most 64',
    );
    await expectShapeError(
      page,
      'attention',
      [
        [2, 3, 4, 8],
        [2, 3, 5, 8],
        [2, 3, 5, 8],
      ],
      untyped({ kernel: 'fast' }),
      'kernel must be',
    );
    await expectShapeError(
      page,
      'attention',
      [
        [2, 3, 4, 8],
        [2, 3, 5, 8],
        [2, 3, 5, 8],
      ],
      untyped({ scale: 'big' }),
      'scale',
    );
    await expectShapeError(
      page,
      'attention',
      [
        [2, 3, 0, 8],
        [2, 3, 5, 8],
        [2, 3, 5, 8],
      ],
      {},
      'at least 1',
    );
  });

  it('rejects a mask of the wrong shape or length, or with values other than 0/1', async () => {
    const qkv: [number[], number[], number[]] = [
      [2, 3, 4, 8],
      [2, 3, 5, 8],
      [2, 3, 5, 8],
    ];
    await expectShapeError(page, 'attention', [...qkv, [2, 4]], { masked: true }, 'keepMask must be (B, Tk) = (2, 5)');
    await expectShapeError(
      page,
      'attention',
      [...qkv, [1, 5]],
      { masked: true, maskAs: 'keyPadding' },
      'keyPaddingMask must be',
    );
    await expectShapeError(page, 'attention', [...qkv, [10]], { masked: true }, 'keepMask must be');
    await expectShapeError(
      page,
      'attention',
      qkv,
      { maskArray: [1, 0, 1, 1, 1, 1, 1, 1, 1] },
      'keepMask has 9 entries',
    );
    await expectShapeError(
      page,
      'attention',
      qkv,
      { maskArray: [1, 0, 1, 1, 1, 1, 1, 1, 1, 2], maskAs: 'keyPadding' },
      'booleans or 0/1',
    );
  });

  it("refuses the removed option 'mask' (1 = keep, the opposite of PyTorch's) and says what to pass", async () => {
    const qkv: [number[], number[], number[]] = [
      [2, 3, 4, 8],
      [2, 3, 5, 8],
      [2, 3, 5, 8],
    ];
    const say = "option 'mask' was removed (it meant 1 = keep, the opposite of PyTorch's key_padding_mask)";
    await expectShapeError(page, 'attention', [...qkv, [2, 5]], { masked: true, maskAs: 'old' }, say);
    await expectShapeError(
      page,
      'attention',
      qkv,
      { maskArray: [1, 0, 1, 1, 1, 1, 1, 1, 1, 1], maskAs: 'old' },
      'pass keyPaddingMask',
    );
  });
});
