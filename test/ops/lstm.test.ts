// lstm / LSTM / BiLSTM: three-tier gradient checks of output, h and c together (gradients of x, h0, c0 and every
// weight and bias) on every recurrence kernel, uni- and bidirectional, one and two layers, with and without initial
// states; the PyTorch fixtures on every kernel; the modules' names, shapes and initialisation; and bad input.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openPage, type TestPage } from '../page';
import { expectShapeError, gradcase, gradcheck, tryOp, untyped, type Tolerances } from '../gradcheck';
import { FIXTURE_DIR, relErr, type TorchFamily } from '../torch';
import { refLstm } from '../../src/engine/ops/lstm.reference';
import type { LstmKernel } from '../../src/engine/ops/lstm';
import type { Rng } from '../rng';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

const KERNELS: LstmKernel[] = ['naive', 'tiled', 'looped', 'gemm'];

interface Cfg {
  B: number;
  T: number;
  I: number;
  H: number;
  L?: number;
  bi?: boolean;
  bias?: boolean;
  h0?: boolean;
  c0?: boolean;
  use?: 'all' | 'output';
}

/** PyTorch's parameter names in flat order (written out here independently of the engine's list). */
function lstmWeightNames(L: number, bi: boolean, bias: boolean): string[] {
  const out: string[] = [];
  for (let l = 0; l < L; l++) {
    for (const sfx of bi ? ['', '_reverse'] : ['']) {
      out.push(`weight_ih_l${l}${sfx}`, `weight_hh_l${l}${sfx}`);
      if (bias) out.push(`bias_ih_l${l}${sfx}`, `bias_hh_l${l}${sfx}`);
    }
  }
  return out;
}

/** Shapes of the weights in PyTorch's flat order. */
function weightShapes({ I, H, L = 1, bi = false, bias = true }: Cfg): number[][] {
  const D = bi ? 2 : 1;
  return lstmWeightNames(L, bi, bias).map((n) => {
    const layer = Number(/_l(\d+)/.exec(n)![1]);
    return n.startsWith('weight_ih')
      ? [4 * H, layer === 0 ? I : D * H]
      : n.startsWith('weight_hh')
        ? [4 * H, H]
        : [4 * H];
  });
}

/** Output, h and c of the float64 reference, flattened and concatenated like the page's `lstm` op. */
function reference(cfg: Cfg, xs: Float64Array[]) {
  const { B, T, I, H, L = 1, bi = false } = cfg;
  let k = 0;
  const x = xs[k++];
  const h0 = cfg.h0 ? xs[k++] : null;
  const c0 = cfg.c0 ? xs[k++] : null;
  const r = refLstm(x, [B, T, I], xs.slice(k), { hidden: H, numLayers: L, bidirectional: bi, h0, c0 });
  if (cfg.use === 'output') return r.output;
  const data = new Float64Array([...r.output.data, ...r.h.data, ...r.c.data]);
  return { data, shape: [data.length] };
}

/** w: weights drawn from U(−w, w) (default 1). */
function check(cfg: Cfg, kernel: LstmKernel, tol?: Partial<Tolerances>, w = 1) {
  const { B, T, I, H, L = 1, bi = false } = cfg;
  const state = [L * (bi ? 2 : 1), B, H];
  return gradcheck(page, {
    op: 'lstm',
    attrs: { numLayers: L, bidirectional: bi, h0: !!cfg.h0, c0: !!cfg.c0, kernel, use: cfg.use ?? 'all' },
    inputs: [
      { shape: [B, T, I] },
      ...(cfg.h0 ? [{ shape: state }] : []),
      ...(cfg.c0 ? [{ shape: state }] : []),
      ...weightShapes(cfg).map((shape) => ({ shape, gen: (r: Rng, n: number) => r.uniform(n, -w, w) })),
    ],
    ref: (xs) => reference(cfg, xs),
    tol,
  });
}

describe('lstm gradients (three tiers: output, h and c; x, h0, c0, every weight and bias)', () => {
  it.each(KERNELS)('%s: B 1, T 1, uni, no initial state; B 3, T 3, bidirectional with h0 and c0', async (kernel) => {
    await check({ B: 1, T: 1, I: 3, H: 3 }, kernel);
    await check({ B: 3, T: 3, I: 5, H: 4, bi: true, h0: true, c0: true }, kernel);
  });

  it.each(KERNELS)('%s: T 17 (gemm: T 6), two bidirectional layers with h0 and c0', async (kernel) => {
    // gemm runs 4 dispatches per step and layer, two of them 256-invocation workgroups with barriers: slow on
    // SwiftShader, so a shorter sequence keeps it inside the test timeout (several steps and layers all the same).
    await check({ B: 3, T: kernel === 'gemm' ? 6 : 17, I: 3, H: 3, L: 2, bi: true, h0: true, c0: true }, kernel);
  });

  it.each(KERNELS)(
    '%s: two layers without biases, only h0; only c0; B 5 and H 5 (partial row and unit tiles)',
    async (kernel) => {
      await check({ B: 3, T: 3, I: 5, H: 4, L: 2, bias: false, h0: true }, kernel);
      await check({ B: 1, T: 17, I: 5, H: 4, c0: true }, kernel);
      await check({ B: 5, T: 3, I: 3, H: 5, bi: true, h0: true, c0: true }, kernel);
    },
  );

  it.each(KERNELS)('%s: B 17 (a second, partial block of 16 rows), bidirectional', async (kernel) => {
    await check({ B: 17, T: 3, I: 3, H: 5, bi: true, h0: true, c0: true }, kernel);
  });

  it.each(['tiled', 'looped', 'gemm'] as const)(
    '%s: H 20 and 33 (2 and 3 unit blocks in the 4-rows-per-invocation backward, H ≤ 48)',
    async (kernel) => {
      await check({ B: 17, T: 3, I: 3, H: 20, bi: true, h0: true, c0: true }, kernel, { refFdMax: 40 }, 0.3);
      await check({ B: 5, T: 2, I: 3, H: 33, h0: true, c0: true }, kernel, { refFdMax: 40 }, 0.3);
    },
  );

  it.each(['tiled', 'looped'] as const)(
    '%s: H 257 (more unit blocks than invocations per workgroup)',
    async (kernel) => {
      // Weights U(−0.1, 0.1) keep 257-term sums out of saturation; tier 2 samples 20 elements per input.
      await check({ B: 2, T: 2, I: 3, H: 257, h0: true, c0: true }, kernel, { refFdMax: 20 }, 0.1);
    },
  );

  it('gemm: H 65, K = 4H = 260 in dh = dG·W_hh over two 64-unit tiles, so that GEMM splits K (matmul_splitk_sum)', async () => {
    await check({ B: 2, T: 2, I: 2, H: 65, h0: true, c0: true }, 'gemm', { refFdMax: 40 }, 0.3);
  });

  it('looped: T 40 runs as several dispatches of at most 32 steps, forward and backward', async () => {
    await check({ B: 2, T: 40, I: 2, H: 3, bi: true, h0: true, c0: true }, 'looped');
  });

  it('only the output used (h and c get no gradient), bidirectional', async () => {
    await check({ B: 3, T: 3, I: 5, H: 4, bi: true, h0: true, c0: true, use: 'output' }, 'looped');
  });
});

describe('default rung by tuning profile', () => {
  /** lstm with no kernel option on a fresh page of `profile`, at B·H = B·16: throws unless it ran `want`. */
  async function probe(profile: 'cpu' | 'gpu', cases: [number, 'looped' | 'gemm'][]) {
    const before = process.env.WEBGRAD_TUNING;
    process.env.WEBGRAD_TUNING = profile;
    const p = await openPage().finally(() => {
      if (before === undefined) delete process.env.WEBGRAD_TUNING;
      else process.env.WEBGRAD_TUNING = before;
    });
    try {
      for (const [B, want] of cases) {
        const H = 16;
        const shapes = [[B, 2, 3], ...weightShapes({ B, T: 2, I: 3, H, bi: true })];
        const r = await tryOp(p, 'lstmDefaultRungProbe', shapes, { want });
        expect(r.message, `${profile}, B·H = ${B * H}`).toBe('');
      }
    } finally {
      await p.close();
    }
  }
  it('gpu: looped below B·H = 4096 (GEMM_MIN_ROWS_UNITS), gemm from it on; cpu: looped at any size', async () => {
    await probe('gpu', [
      [255, 'looped'],
      [256, 'gemm'],
    ]);
    await probe('cpu', [[256, 'looped']]);
  });
});

describe('memory', () => {
  it.each(KERNELS)('%s: forward + backward and inference leave no GPU buffer behind', async (kernel) => {
    for (const [cfg, attrs] of [
      [
        { B: 3, T: 4, I: 5, H: 4, bi: true, L: 2 },
        { bidirectional: true, numLayers: 2 },
      ],
      [{ B: 2, T: 3, I: 3, H: 5, bias: false }, {}],
    ] as const) {
      const r = await tryOp(page, 'lstmLeakProbe', [[cfg.B, cfg.T, cfg.I], ...weightShapes(cfg)], { ...attrs, kernel });
      expect(r.message).toBe('');
      expect(r.threw).toBe(false);
    }
  });
});

// ------------------------------------------------------------------------------------------------ PyTorch

describe('PyTorch nn.LSTM fixtures on every kernel', () => {
  const fam = JSON.parse(readFileSync(join(FIXTURE_DIR, 'lstm.json'), 'utf8')) as TorchFamily;

  it('has cases for uni/bi, one and two layers, with and without h0/c0 and biases', () => {
    expect(fam.cases.length).toBeGreaterThanOrEqual(5);
    const attrs = fam.cases.map((c) => c.attrs as Record<string, unknown>);
    expect(attrs.some((a) => a.bidirectional)).toBe(true);
    expect(attrs.some((a) => !a.bidirectional)).toBe(true);
    expect(attrs.some((a) => a.numLayers === 2)).toBe(true);
    expect(attrs.some((a) => a.h0 && a.c0)).toBe(true);
  });

  it.each(KERNELS)('%s matches torch to 1e-4 (forward) and 1e-3 (gradients)', async (kernel) => {
    for (const c of fam.cases) {
      const r = await gradcase(page, {
        op: c.op,
        attrs: untyped({ ...c.attrs, kernel }), // a fixture's, read from JSON
        inputs: c.inputs,
        weights: c.weights,
        fdIndices: [],
        fdEps: 0,
      });
      expect(r.outShape, c.name).toEqual(c.out.shape);
      const fwd = relErr(r.out, c.out.data);
      expect(fwd.err, `${c.name}: forward`).toBeLessThanOrEqual(1e-4);
      c.grads.forEach((want, i) => {
        const e = relErr(r.grads[i]!, want!);
        expect(e.err, `${c.name}: gradient of input ${i}`).toBeLessThanOrEqual(1e-3);
      });
    }
  });
});

// ------------------------------------------------------------------------------------------------ modules

describe('LSTM and BiLSTM modules', () => {
  const mod = async (o: {
    I: number;
    H: number;
    L?: number;
    bi?: boolean;
    bias?: boolean;
    biClass?: boolean;
    B: number;
    T: number;
    h0?: boolean;
  }) => {
    const { I, H, L = 1, bias = true, B, T } = o;
    const bi = o.bi ?? o.biClass ?? false;
    const D = bi ? 2 : 1;
    const cfg: Cfg = { B, T, I, H, L, bi, bias };
    const shapes = weightShapes(cfg);
    const names = lstmWeightNames(L, bi, bias)
      .map((n, i) => `${n}${JSON.stringify(shapes[i])}`)
      .join(' ');
    const x = Array.from({ length: B * T * I }, (_, i) => Math.sin(i * 0.7));
    const state = Array.from({ length: L * D * B * H }, (_, i) => Math.cos(i * 0.3) * 0.5);
    const nOut = B * T * D * H + 2 * L * D * B * H;
    const r = await gradcase(page, {
      op: 'lstmModule',
      attrs: {
        inputSize: I,
        hiddenSize: H,
        names,
        bi: !!o.biClass,
        h0: !!o.h0,
        c0: !!o.h0,
        options: { numLayers: L, bias, seed: 7, ...(o.biClass ? {} : { bidirectional: bi }) },
      },
      inputs: [
        { shape: [B, T, I], data: x, grad: false },
        ...(o.h0 ? [0, 1].map(() => ({ shape: [L * D, B, H], data: state, grad: false })) : []),
      ],
      weights: Array.from({ length: nOut + shapes.reduce((s, sh) => s + sh.reduce((a, b) => a * b, 1), 0) }, () => 1),
      fdIndices: [],
      fdEps: 0,
    });
    // The parameters follow output, h and c; recompute those from them in float64.
    const params: Float64Array[] = [];
    let at = nOut;
    const bound = 1 / Math.sqrt(H);
    for (const sh of shapes) {
      const n = sh.reduce((a, b) => a * b, 1);
      const p = Float64Array.from(r.out.slice(at, at + n));
      at += n;
      expect(Math.max(...p)).toBeLessThanOrEqual(bound);
      expect(Math.min(...p)).toBeGreaterThanOrEqual(-bound);
      if (n >= 16)
        expect(Math.max(...p) - Math.min(...p), 'parameters spread over the init range').toBeGreaterThan(bound);
      params.push(p);
    }
    expect(new Set(params.map((p) => p[0])).size, 'each parameter draws its own values').toBe(params.length);
    const s = o.h0 ? state : null;
    const ref = refLstm(x, [B, T, I], params, { hidden: H, numLayers: L, bidirectional: bi, h0: s, c0: s });
    const want = [...ref.output.data, ...ref.h.data, ...ref.c.data];
    const e = relErr(r.out.slice(0, nOut), want);
    expect(e.err, 'module forward vs float64 reference').toBeLessThanOrEqual(1e-4);
  };

  it('LSTM: PyTorch names and shapes, U(−1/√H, 1/√H) init, forward = reference (1 and 2 layers, bias, h0/c0)', async () => {
    await mod({ I: 5, H: 4, B: 3, T: 3 });
    await mod({ I: 5, H: 6, L: 2, bi: true, B: 2, T: 4, h0: true });
    await mod({ I: 3, H: 4, L: 2, bias: false, B: 2, T: 2 });
  });

  it('the op and the module take the same { h0, c0 } state object and give the same numbers from it', async () => {
    const [B, T, I, H, L] = [2, 3, 4, 5, 2];
    const n = L * 2 * B * H;
    const state = (phase: number) => ({
      shape: [L * 2, B, H],
      data: Array.from({ length: n }, (_, i) => Math.sin(i * 0.9 + phase)),
      grad: false,
    });
    const r = await gradcase(page, {
      op: 'lstmOpVsModule',
      attrs: { inputSize: I, hiddenSize: H, options: { numLayers: L, bidirectional: true, seed: 3 } },
      inputs: [
        { shape: [B, T, I], data: Array.from({ length: B * T * I }, (_, i) => Math.cos(i * 0.4)), grad: false },
        state(0),
        state(1),
      ],
      weights: Array.from({ length: 2 * (B * T * 2 * H + 2 * n) }, () => 1),
      fdIndices: [],
      fdEps: 0,
    });
    const half = r.out.length / 2;
    expect(r.out.slice(half)).toEqual(r.out.slice(0, half));
    // And the state was used: a zero state gives other numbers (checked against the reference above, in 'mod').
    expect(r.out.slice(0, half).some((v: number) => v !== 0)).toBe(true);
  });

  it('BiLSTM is LSTM with bidirectional: true (names with _reverse)', async () => {
    await mod({ I: 7, H: 5, biClass: true, B: 3, T: 5 });
  });
});

// ------------------------------------------------------------------------------------------------ bad input

describe('bad input', () => {
  const uni = weightShapes({ B: 2, T: 3, I: 5, H: 4 }); // [16,5] [16,4] [16] [16]
  const bi = weightShapes({ B: 2, T: 3, I: 5, H: 4, bi: true });

  it('rejects wrong ranks, input sizes and weight shapes, naming the op and shapes', async () => {
    await expectShapeError(page, 'lstm', [[3, 5], ...uni], {}, 'rank');
    await expectShapeError(
      page,
      'lstm',
      [[2, 3, 6], ...uni],
      {},
      'weight_ih_l0 must be [16, 6] (x has 6 input features)',
    );
    await expectShapeError(page, 'lstm', [[2, 3, 5], [16, 5], [16, 3], [16], [16]], {}, 'weight_hh_l0');
    await expectShapeError(page, 'lstm', [[2, 3, 5], [16, 5], [16, 4], [16], [12]], {}, 'bias_hh_l0');
    await expectShapeError(page, 'lstm', [[2, 3, 5], ...uni.slice(0, 3)], {}, 'expected 4 weights');
    await expectShapeError(
      page,
      'lstm',
      [[2, 3, 5], ...uni],
      { bidirectional: true, numLayers: 2 },
      'expected 16 weights',
    );
    await expectShapeError(
      page,
      'lstm',
      [[2, 3, 5], ...bi, ...bi],
      { bidirectional: true, numLayers: 2 },
      'weight_ih_l1 must be [16, 8] (layer 0 gives 8 features)',
    );
    await expectShapeError(page, 'lstm', [[2, 0, 5], ...uni], {}, 'non-empty');
  });

  it('takes the initial state as its own { h0, c0 } argument, as the LSTM module does, and says so when given in the options', async () => {
    await expectShapeError(
      page,
      'lstm',
      [[2, 3, 5], [1, 2, 4], ...uni],
      { h0: true, stateIn: 'options' },
      'h0 is part of the initial state, not an option: pass lstm(x, weights, opts, { h0, c0 }), as LSTM.forward(x, { h0, c0 })',
    );
    await expectShapeError(
      page,
      'lstm',
      [[2, 3, 5], [1, 2, 4], ...uni],
      { c0: true, stateIn: 'options' },
      'c0 is part of the initial state',
    );
  });

  it('rejects h0 / c0 of the wrong shape', async () => {
    await expectShapeError(page, 'lstm', [[2, 3, 5], [1, 3, 4], ...uni], { h0: true }, 'h0 must be');
    await expectShapeError(page, 'lstm', [[2, 3, 5], [1, 3, 4], ...uni], { c0: true }, 'c0 must be');
    await expectShapeError(
      page,
      'lstm',
      [[2, 3, 5], [2, 2, 4], [1, 2, 4], ...bi],
      { h0: true, c0: true, bidirectional: true },
      'c0 must be',
    );
    await expectShapeError(
      page,
      'lstm',
      [[2, 3, 5], [2, 2, 5], ...bi],
      { h0: true, bidirectional: true },
      'h0 must be',
    );
  });
});
