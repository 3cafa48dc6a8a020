// conv1d on every rung (naive, tiled, the default choice; window where stride and dilation are 1; matmul where the
// conv is pointwise): three-tier gradchecks on odd shapes
// (B 1/3, C 1/3/5, T 1/3/17/33, K 1/3/5 and even K with 'same', stride 2/3, dilation 2/3, grouped and depthwise, with
// and without bias), shapes that cross the kernels' tile and chunk edges, DAR's time-axis use (kernel 1 over
// (B, T_m, d_m)), the Conv1d module, and bad input.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from '../page';
import { expectShapeError, gradcase, gradcheck, untyped, type Tolerances, type Untyped } from '../gradcheck';
import type { AttrsOf } from './pages';
import type { Conv1dKernel } from '../../src/engine/ops/conv1d';
import { conv1dRef, type Conv1dRefOptions } from '../../src/engine/ops/conv1d.reference';
import { rngFor } from '../rng';

// The rungs that take any convolution (src/engine/ops/conv1d.ts CONV1D_KERNELS; that module imports WGSL, so Node names
// them here). 'default' passes no kernel option: the op picks the window kernel for each pass where it applies.
const KERNELS = ['naive', 'tiled', 'gemm', 'default'] as const;

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

interface Case extends Conv1dRefOptions {
  B: number;
  Cin: number;
  T: number;
  Cout: number;
  K: number;
  bias?: boolean;
}

async function check(kernel: Conv1dKernel | 'default', c: Case, tol?: Partial<Tolerances>): Promise<void> {
  const { B, Cin, T, Cout, K, bias = true, stride, padding, dilation, groups = 1 } = c;
  const xShape = [B, Cin, T];
  const wShape = [Cout, Cin / groups, K];
  const opts: Conv1dRefOptions = { stride, padding, dilation, groups };
  await gradcheck(page, {
    op: 'conv1d',
    attrs: kernel === 'default' ? opts : { ...opts, kernel },
    inputs: [{ shape: xShape }, { shape: wShape }, ...(bias ? [{ shape: [Cout] }] : [])],
    ref: (xs) => conv1dRef(xs[0], xShape, xs[1], wShape, bias ? xs[2] : null, opts),
    tol,
  });
}

describe.each(KERNELS.map((k) => [k]))('conv1d, %s kernel', (kernel) => {
  it('plain, padded, strided and dilated convolutions of odd sizes', async () => {
    await check(kernel, { B: 1, Cin: 1, T: 1, Cout: 1, K: 1 });
    await check(kernel, { B: 3, Cin: 3, T: 17, Cout: 5, K: 3 });
    await check(kernel, { B: 1, Cin: 5, T: 33, Cout: 3, K: 5, padding: 2, bias: false });
    await check(kernel, { B: 3, Cin: 3, T: 17, Cout: 5, K: 3, stride: 2 });
    await check(kernel, { B: 3, Cin: 3, T: 33, Cout: 5, K: 3, dilation: 2, padding: 2 });
    await check(kernel, { B: 3, Cin: 5, T: 17, Cout: 1, K: 5, stride: 3, padding: 1, bias: false }); // dx skips 2 of 3 taps
    await check(kernel, { B: 3, Cin: 3, T: 3, Cout: 5, K: 3 }); // T_out = 1
    await check(kernel, { B: 1, Cin: 3, T: 17, Cout: 5, K: 5, stride: 2, dilation: 3, padding: 'valid' });
  });

  it("padding 'same' with odd and even effective kernels (PyTorch's left = total // 2)", async () => {
    await check(kernel, { B: 3, Cin: 3, T: 17, Cout: 5, K: 3, padding: 'same' });
    await check(kernel, { B: 3, Cin: 3, T: 17, Cout: 5, K: 4, padding: 'same' }); // pads 1 left, 2 right
    await check(kernel, { B: 1, Cin: 5, T: 33, Cout: 3, K: 2, dilation: 3, padding: 'same', bias: false }); // 1 + 2
    await check(kernel, { B: 3, Cin: 3, T: 33, Cout: 5, K: 5, dilation: 2, padding: 'same' });
    await check(kernel, { B: 3, Cin: 3, T: 1, Cout: 5, K: 3, padding: 'same' }); // every tap but one reads padding
  });

  it('grouped and depthwise convolutions', async () => {
    await check(kernel, { B: 3, Cin: 6, T: 17, Cout: 9, K: 3, groups: 3, stride: 2, dilation: 2, padding: 2 });
    await check(kernel, { B: 3, Cin: 5, T: 17, Cout: 5, K: 3, groups: 5, padding: 'same', bias: false });
    await check(kernel, { B: 1, Cin: 4, T: 17, Cout: 34, K: 3, groups: 2, padding: 1 }); // 17 channels per group
  });

  it('shapes across tile edges: many output and input channels, sums split into chunks', async () => {
    await check(kernel, { B: 3, Cin: 3, T: 17, Cout: 33, K: 3, padding: 1 }, { refFdMax: 120 });
    await check(kernel, { B: 3, Cin: 17, T: 17, Cout: 3, K: 3 }, { refFdMax: 120 });
    // B·T_out = 381 outputs: the weight gradient sums them in chunks that cross sequence boundaries.
    await check(kernel, { B: 3, Cin: 3, T: 129, Cout: 5, K: 3, dilation: 2 }, { refFdMax: 120 });
    await check(kernel, { B: 3, Cin: 3, T: 129, Cout: 5, K: 3, bias: false }, { refFdMax: 120 });
  });
});

describe('conv1d, window kernel (stride 1, dilation 1, K ≤ 7)', () => {
  it('odd sizes, padding, even kernels, sequences shorter and longer than a tile, many channels, groups', async () => {
    await check('window', { B: 3, Cin: 3, T: 17, Cout: 5, K: 3 }); // T_out = 15: one partial tile
    await check('window', { B: 1, Cin: 5, T: 33, Cout: 3, K: 5, padding: 2, bias: false });
    await check('window', { B: 3, Cin: 3, T: 17, Cout: 5, K: 4, padding: 'same' });
    await check('window', { B: 3, Cin: 3, T: 1, Cout: 5, K: 3, padding: 'same' });
    await check('window', { B: 3, Cin: 3, T: 3, Cout: 5, K: 3 });
    await check('window', { B: 2, Cin: 5, T: 37, Cout: 16, K: 5, padding: 'same' }, { refFdMax: 120 }); // DAR-like
    await check('window', { B: 3, Cin: 3, T: 17, Cout: 33, K: 3, padding: 1 }, { refFdMax: 120 });
    await check('window', { B: 3, Cin: 17, T: 17, Cout: 3, K: 3 }, { refFdMax: 120 });
    await check('window', { B: 3, Cin: 6, T: 17, Cout: 9, K: 3, groups: 3, padding: 2 });
    await check('window', { B: 3, Cin: 5, T: 17, Cout: 5, K: 3, groups: 5, padding: 'same', bias: false });
    // Every tap count the kernel has a block for, 1 .. 7, over a sequence of two tiles plus a ragged one.
    for (const K of [1, 2, 6, 7]) await check('window', { B: 2, Cin: 3, T: 37, Cout: 5, K, padding: 'same' });
  });
});

describe('conv1d, pointwise (kernel size 1) on every rung, including window and matmul', () => {
  it.each(([...KERNELS, 'window', 'matmul'] as const).map((k) => [k]))(
    '%s: plain and DAR time-axis resampling (B, T_m, d_m) → (B, t, d_m)',
    async (kernel) => {
      await check(kernel, { B: 3, Cin: 5, T: 17, Cout: 3, K: 1 });
      await check(kernel, { B: 3, Cin: 5, T: 17, Cout: 3, K: 1, bias: false });
      // Conv1d(T_m → t, kernel 1) on a (B, T_m, d_m) sequence: the T_m steps are the channels (docs/models.md §6.2).
      await check(kernel, { B: 3, Cin: 37, T: 5, Cout: 8, K: 1 });
    },
  );
});

describe('conv1d, gemm kernel (GPU profile) against the tiled rung on larger random shapes', () => {
  it('forward, dx, dweight (split over B·T_out) and dbias agree', async () => {
    const cases: Case[] = [
      { B: 3, Cin: 12, T: 200, Cout: 40, K: 5, padding: 'same' }, // dW: B·T_out = 600 in 4 slices
      { B: 3, Cin: 37, T: 50, Cout: 8, K: 1 }, // DAR's resampling (pointwise); R = 37: scalar weight loads
      { B: 2, Cin: 34, T: 97, Cout: 66, K: 4, groups: 2, stride: 2, dilation: 2, padding: 3 }, // R = 68: vec4
    ];
    for (const c of cases) {
      const { B, Cin, T, Cout, K, stride, padding, dilation, groups = 1 } = c;
      const shapes = [[B, Cin, T], [Cout, Cin / groups, K], [Cout]];
      const rng = rngFor(`conv1d gemm vs tiled ${JSON.stringify(c)}`);
      const inputs = shapes.map((shape) => ({ shape, data: Array.from(rng.uniform(shape.reduce((x, y) => x * y))) }));
      const opts = { stride, padding, dilation, groups };
      const outSize = conv1dRef(
        new Float64Array(B * Cin * T),
        shapes[0],
        new Float64Array(Cout * (Cin / groups) * K),
        shapes[1],
        null,
        opts,
      ).data.length;
      const weights = Array.from(rng.uniform(outSize));
      const run = (kernel: Conv1dKernel) =>
        gradcase(page, {
          op: 'conv1d',
          attrs: { ...opts, kernel },
          inputs,
          weights,
          fdIndices: [[], [], []],
          fdEps: 0,
        });
      const [gemm, tiled] = [await run('gemm'), await run('tiled')];
      const label = JSON.stringify(c);
      expect(gemm.out.length, label).toBe(outSize);
      // Both sum in float32 in different orders: allow a few ulps per term of the longest sum (B·T_out for dweight).
      const terms = Math.max((Cin / groups) * K, (Cout / groups) * K, B * T);
      for (const [what, got, want] of [
        ['y', gemm.out, tiled.out],
        ['dx', gemm.grads[0]!, tiled.grads[0]!],
        ['dweight', gemm.grads[1]!, tiled.grads[1]!],
        ['dbias', gemm.grads[2]!, tiled.grads[2]!],
      ] as const) {
        expect(got.length, `${label} ${what}`).toBe(want.length);
        const scale = Math.max(1, ...want.map(Math.abs));
        let worst = 0;
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
        expect(worst, `${label} ${what}`).toBeLessThanOrEqual(2.4e-7 * terms * scale);
      }
    }
  });
});

describe('Conv1d module', () => {
  /** Runs the module page op; checks forward against the reference from its own parameters, and their init range. */
  async function probe(
    inChannels: number,
    outChannels: number,
    kernelSize: number,
    xShape: number[],
    options: Record<string, unknown> = {},
  ) {
    const groups = (options.groups as number | undefined) ?? 1;
    const wShape = [outChannels, inChannels / groups, kernelSize];
    const hasBias = options.bias !== false;
    const x = rngFor(`Conv1d ${JSON.stringify([inChannels, outChannels, kernelSize, xShape, options])}`).uniform(
      xShape.reduce((a, b) => a * b, 1),
    );
    const refOpts = {
      stride: options.stride as number,
      padding: options.padding as number,
      dilation: options.dilation as number,
      groups,
    };
    // Output size: forward, then the weight and bias the module returns after it.
    const nY = conv1dRef(
      new Float64Array(x.length),
      xShape,
      new Float64Array(wShape[0] * wShape[1] * wShape[2]),
      wShape,
      null,
      refOpts,
    ).data.length;
    const nW = wShape[0] * wShape[1] * wShape[2];
    const total = nY + nW + (hasBias ? outChannels : 0);
    const res = await gradcase(page, {
      op: 'conv1dModule',
      attrs: { inChannels, outChannels, kernelSize, options },
      inputs: [{ shape: xShape, data: Array.from(x), grad: false }],
      weights: new Array(total).fill(1),
      fdIndices: [[]],
      fdEps: 0,
    });
    expect(res.out.length).toBe(total);
    const w = Float64Array.from(res.out.slice(nY, nY + nW));
    const b = hasBias ? Float64Array.from(res.out.slice(nY + nW)) : null;
    const want = conv1dRef(Float32Array.from(x), xShape, w, wShape, b, refOpts).data;
    const scale = Math.max(1, ...want.map(Math.abs));
    for (let i = 0; i < nY; i++)
      expect(Math.abs(res.out[i] - want[i]), `forward[${i}]`).toBeLessThanOrEqual(
        1e-5 * scale + 1e-4 * Math.abs(want[i]),
      );
    // kaiming-uniform(a = √5) = U(−1/√fan_in, 1/√fan_in) for weight and bias, fan_in = C_in/groups·K.
    const bound = 1 / Math.sqrt((inChannels / groups) * kernelSize);
    for (const [name, vals] of [
      ['weight', w],
      ['bias', b],
    ] as const) {
      if (!vals) continue;
      const lo = Math.min(...vals);
      const hi = Math.max(...vals);
      expect(lo, `${name} min`).toBeGreaterThanOrEqual(-bound);
      expect(hi, `${name} max`).toBeLessThanOrEqual(bound);
      if (vals.length >= 32) {
        // Uniform over the whole range, not a narrower one: the extremes of 32+ draws lie near the bounds.
        expect(lo, `${name} min`).toBeLessThan(-0.7 * bound);
        expect(hi, `${name} max`).toBeGreaterThan(0.7 * bound);
      }
    }
  }

  it("initialises like torch.nn.Conv1d and forwards like conv1d (DAR's time-axis resampling and 'same' conv)", async () => {
    await probe(37, 8, 1, [3, 37, 5]); // Conv1d(T_m → t, 1) on (B, T_m, d_m)
    await probe(5, 16, 3, [3, 5, 17], { padding: 'same' });
    await probe(6, 4, 3, [2, 6, 17], { groups: 2, stride: 2, dilation: 2, bias: false });
  });

  it('rejects bad sizes and options at construction', async () => {
    const bad = (attrs: AttrsOf<'conv1dModule'>, mentions: string) =>
      expectShapeError(page, 'conv1dModule', [[1, 6, 17]], attrs, mentions);
    await bad({ inChannels: 6, outChannels: 4, kernelSize: 0 }, 'kernelSize must be a positive integer');
    await bad({ inChannels: 6, outChannels: 4, kernelSize: 3, options: { groups: 4 } }, 'not divisible by groups');
    await bad(
      { inChannels: 6, outChannels: 4, kernelSize: 3, options: { stride: 2, padding: 'same' } },
      "padding 'same' needs stride 1",
    );
    await bad({ inChannels: 6, outChannels: 4, kernelSize: 3, options: { dilation: 0 } }, 'dilation');
  });
});

describe('conv1d errors', () => {
  it('rejects bad ranks, channel counts, groups, kernel sizes and options before any GPU work', async () => {
    const e = (shapes: [number[], number[], ...number[][]], attrs: AttrsOf<'conv1d'> | Untyped, mentions: string) =>
      expectShapeError(page, 'conv1d', shapes, attrs, mentions);
    await e(
      [
        [3, 17],
        [5, 3, 3],
      ],
      undefined,
      'x must be 3-D (B, C_in, T), got rank 2',
    );
    await e(
      [
        [1, 3, 17, 1],
        [5, 3, 3],
      ],
      undefined,
      'rank 4',
    );
    await e(
      [
        [1, 3, 17],
        [5, 3],
      ],
      undefined,
      'weight must be 3-D',
    );
    await e(
      [
        [1, 4, 17],
        [5, 3, 3],
      ],
      undefined,
      'C_in/groups = 4/1 = 4, got 3',
    );
    await e(
      [
        [1, 4, 17],
        [6, 2, 3],
      ],
      { groups: 3 },
      'C_in = 4 is not divisible by groups = 3',
    );
    await e(
      [
        [1, 4, 17],
        [5, 2, 3],
      ],
      { groups: 2 },
      'C_out = 5 is not divisible by groups = 2',
    );
    await e(
      [
        [1, 4, 17],
        [6, 4, 3],
      ],
      { groups: 2 },
      'C_in/groups = 4/2 = 2, got 4',
    );
    await e([[1, 3, 17], [5, 3, 3], [4]], undefined, 'bias must be (C_out) = (5)');
    await e(
      [
        [1, 3, 17],
        [5, 3, 3],
        [5, 1],
      ],
      undefined,
      'bias must be',
    );
    await e(
      [
        [1, 3, 4],
        [5, 3, 7],
      ],
      { padding: 1 },
      'larger than the padded input',
    );
    await e(
      [
        [1, 3, 5],
        [5, 3, 3],
      ],
      { dilation: 3 },
      'spans 7',
    );
    await e(
      [
        [1, 3, 17],
        [5, 3, 3],
      ],
      { stride: 0 },
      'stride must be an integer ≥ 1, got 0',
    );
    await e(
      [
        [1, 3, 17],
        [5, 3, 3],
      ],
      { stride: 1.5 },
      'stride',
    );
    await e(
      [
        [1, 3, 17],
        [5, 3, 3],
      ],
      { dilation: 0 },
      'dilation must be an integer ≥ 1',
    );
    await e(
      [
        [1, 3, 17],
        [5, 3, 3],
      ],
      { groups: 0 },
      'groups must be an integer ≥ 1',
    );
    await e(
      [
        [1, 3, 17],
        [5, 3, 3],
      ],
      { padding: -1 },
      'padding must be',
    );
    await e(
      [
        [1, 3, 17],
        [5, 3, 3],
      ],
      untyped({ padding: 'full' }),
      'padding must be',
    );
    await e(
      [
        [1, 3, 17],
        [5, 3, 3],
      ],
      { padding: 'same', stride: 2 },
      "padding 'same' needs stride 1",
    );
    await e(
      [
        [1, 3, 17],
        [5, 3, 3],
      ],
      untyped({ dilatation: 2 }),
      'unknown option dilatation',
    );
    await e(
      [
        [1, 3, 17],
        [5, 3, 3],
      ],
      untyped({ kernel: 'fast' }),
      'kernel must be one of',
    );
    await e(
      [
        [1, 3, 17],
        [5, 3, 3],
      ],
      { kernel: 'matmul' },
      "kernel 'matmul' needs a pointwise conv",
    );
    await e(
      [
        [1, 3, 17],
        [5, 3, 3],
      ],
      { kernel: 'window', stride: 2 },
      "kernel 'window' needs stride 1, dilation 1",
    );
    await e(
      [
        [1, 3, 17],
        [5, 3, 8],
      ],
      { kernel: 'window' },
      'at most 7 taps',
    );
    await e(
      [
        [0, 3, 17],
        [5, 3, 3],
      ],
      undefined,
      'nonzero',
    );
  });
});
