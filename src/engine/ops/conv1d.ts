// conv1d: 1-D convolution (cross-correlation, as in PyTorch) over the last axis.
//
//   x (B, C_in, T), weight (C_out, C_in/groups, K), bias (C_out) → y (B, C_out, T_out)
//   y[b, co, to] = bias[co] + Σ_{ci, k} weight[co, ci, k] · x[b, g·C_in/groups + ci, to·stride + k·dilation − padLeft]
//   T_out = ⌊(T + padLeft + padRight − dilation·(K − 1) − 1) / stride⌋ + 1
// with zero padding, g = co / (C_out/groups). padding 'valid' is 0; 'same' (stride 1 only) pads dilation·(K − 1) in
// total, the smaller half on the left (left = total // 2), exactly as PyTorch does for an even effective kernel.
//
// Kernels (rungs, slowest first; tests and benchmarks compare them):
//   'naive'  one output element per invocation, forward and both gradients (conv1d_naive*.wgsl);
//   'tiled'  register-tiled implicit GEMM (conv1d_tiled.wgsl) for the forward pass and for dL/dx, which is the same
//            sum with the channels' roles swapped and the taps reversed; its columns are the flattened (b, t), so short
//            sequences fill the tiles too. dL/dweight and dL/dbias come from one gather kernel over chunks of the
//            B·T_out outputs (conv1d_grad_w_tiled.wgsl) plus a combine pass, on this rung and the next;
//   'window' stride 1, dilation 1 and K ≤ 7 only: 'tiled' with a tile's columns 16 steps of one sequence, so the
//            inputs of the K taps are one sliding window (conv1d_window.wgsl), 16 + K − 1 loads per channel, not 16·K;
//   'matmul' a pointwise conv (K = 1, stride 1, no padding, one group) as the batched matmul weight·x_b, bias added
//            by broadcasting; matmul and add record their own gradients;
//   'gemm'   the GPU profile's: forward, dL/dx and dL/dweight as implicit GEMMs on matmul's 64×64 workgroup-memory
//            tile, dL/dweight split over B·T_out (conv1d_gemm*.wgsl, src/engine/ops/conv1d-gemm.ts).
// On the GPU profile the default is 'gemm'. On the CPU profile it runs 'window' for each of the forward pass and dL/dx where it applies, K > 1 and the pass's output is
// at least 16 steps long, and 'tiled' otherwise. 'matmul' is never the default: at DAR's pointwise shapes (8 output
// channels, sequences of 5 or 20) most of its 16×16 tiles are empty and it measured 3–16× slower than 'tiled'
// (bench/ops/conv1d.ts times the rungs).

import { runtime } from '../engine';
import { check, type Shape } from '../errors';
import { grid1d, kernel } from '../runtime';
import { assertLive, empty, record, Tensor } from '../tensor';
import { pickRung } from '../tuning';
import { gemmDw, gemmDx, gemmForward } from './conv1d-gemm';
import { add } from './elementwise';
import { matmul } from './matmul';
import { sum } from './reduce';
import { reshape } from './shape';
import tiledSrc from '../../../kernels/conv1d/conv1d_tiled.wgsl';
import windowSrc from '../../../kernels/conv1d/conv1d_window.wgsl';
import gradWSrc from '../../../kernels/conv1d/conv1d_grad_w_tiled.wgsl';
import combineSrc from '../../../kernels/conv1d/conv1d_grad_w_combine.wgsl';
import naiveSrc from '../../../kernels/conv1d/conv1d_naive.wgsl';
import naiveGradXSrc from '../../../kernels/conv1d/conv1d_grad_x_naive.wgsl';
import naiveGradWSrc from '../../../kernels/conv1d/conv1d_grad_w_naive.wgsl';

const CONV_BUFFERS = { inp: 'read', w: 'read', bias: 'read', out: 'read_write' } as const;
const TILED = kernel('conv1d_tiled', tiledSrc, {
  params: {
    N: 'u32',
    Tout: 'u32',
    Tin: 'u32',
    CoutTot: 'u32',
    CoutG: 'u32',
    CinG: 'u32',
    CinTot: 'u32',
    K: 'u32',
    wG: 'u32',
    wC: 'u32',
    wR: 'u32',
    A: 'i32',
    Dk: 'i32',
    off: 'i32',
    tilesPerGroup: 'u32',
    hasBias: 'u32',
  },
  buffers: CONV_BUFFERS,
});
const WINDOW = kernel('conv1d_window', windowSrc, {
  params: {
    B: 'u32',
    Tout: 'u32',
    Tin: 'u32',
    CoutTot: 'u32',
    CoutG: 'u32',
    CinG: 'u32',
    CinTot: 'u32',
    K: 'u32',
    wG: 'u32',
    wC: 'u32',
    wR: 'u32',
    off: 'i32',
    kw0: 'u32',
    kwStep: 'u32',
    tilesT: 'u32',
    tilesPerGroup: 'u32',
    hasBias: 'u32',
  },
  buffers: CONV_BUFFERS,
});
const GRAD_W = kernel('conv1d_grad_w_tiled', gradWSrc, {
  params: {
    N: 'u32',
    Tout: 'u32',
    T: 'u32',
    Cout: 'u32',
    CoutG: 'u32',
    CinG: 'u32',
    Cin: 'u32',
    K: 'u32',
    J1: 'u32',
    stride: 'u32',
    dil: 'u32',
    padLeft: 'u32',
    chunk: 'u32',
    tilesPerGroup: 'u32',
    hasBias: 'u32',
    colTiles: 'u32',
    tiles: 'u32',
  },
  buffers: { x: 'read', gy: 'read', part: 'read_write' },
});
const COMBINE = kernel('conv1d_grad_w_combine', combineSrc, {
  params: { n: 'u32', J1: 'u32', Z: 'u32', hasBias: 'u32' },
  buffers: { part: 'read', dw: 'read_write', db: 'read_write' },
});
// The naive rungs share their geometry params (naiveParams).
const NAIVE_GEOMETRY = {
  T: 'u32',
  Tout: 'u32',
  Cin: 'u32',
  Cout: 'u32',
  CinG: 'u32',
  CoutG: 'u32',
  K: 'u32',
  stride: 'u32',
  dil: 'u32',
  padLeft: 'u32',
} as const;
const NAIVE = kernel('conv1d_naive', naiveSrc, {
  params: { total: 'u32', ...NAIVE_GEOMETRY, hasBias: 'u32' },
  buffers: { x: 'read', w: 'read', bias: 'read', y: 'read_write' },
});
const NAIVE_GRAD_X = kernel('conv1d_grad_x_naive', naiveGradXSrc, {
  params: { total: 'u32', ...NAIVE_GEOMETRY },
  buffers: { gy: 'read', w: 'read', dx: 'read_write' },
});
const NAIVE_GRAD_W = kernel('conv1d_grad_w_naive', naiveGradWSrc, {
  params: { total: 'u32', B: 'u32', ...NAIVE_GEOMETRY },
  buffers: { x: 'read', gy: 'read', dw: 'read_write' },
});

export type Conv1dKernel = 'naive' | 'tiled' | 'window' | 'matmul' | 'gemm';
export const CONV1D_KERNELS: readonly Conv1dKernel[] = ['naive', 'tiled', 'window', 'matmul', 'gemm'];

export interface Conv1dOptions {
  stride?: number;
  /** Zero padding on both sides, 'valid' (= 0), or 'same' (output length = input length; stride 1 only). */
  padding?: number | 'same' | 'valid';
  dilation?: number;
  groups?: number;
  /**
   * Which kernel runs, forward and backward (default: 'gemm' on the 'gpu' tuning profile, chosen by shape on 'cpu').
   * 'window' needs stride 1, dilation 1 and K ≤ 7, 'matmul' a pointwise conv.
   */
  kernel?: Conv1dKernel;
}

const OPTION_KEYS = ['stride', 'padding', 'dilation', 'groups', 'kernel'];

/** Columns (outputs or weight columns) per invocation, and invocations per workgroup, of the tiled kernels. */
const TILE_COLS = 16;
const WG = 4;
/** The weight-gradient kernel splits the B·T_out sum into chunks until about this many invocations run... */
const WGRAD_TARGET_INVOCATIONS = 256;
/** ...but no chunk shorter than this (the partial sums cost a combine pass). */
const WGRAD_MIN_CHUNK = 64;
const MAX_GROUPS = 65535;

/** Everything the kernels need to know about one convolution; validated. */
export interface Conv1dGeometry {
  B: number;
  Cin: number;
  T: number;
  Cout: number;
  K: number;
  groups: number;
  stride: number;
  dilation: number;
  padLeft: number;
  padRight: number;
  Tout: number;
}

const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;

/**
 * Validates a convolution's shapes and options and works out its padding and output length. Throws a WebgradError
 * naming `op` and the shapes otherwise. Exported for the Conv1d module and for callers that size buffers.
 */
export function conv1dGeometry(
  xShape: Shape,
  wShape: Shape,
  bShape: Shape | null,
  opts: Conv1dOptions = {},
  op = 'conv1d',
): Conv1dGeometry {
  const shapes: Shape[] = bShape ? [xShape, wShape, bShape] : [xShape, wShape];
  check(opts !== null && typeof opts === 'object', op, `options must be an object, got ${String(opts)}`, shapes);
  for (const key of Object.keys(opts)) {
    check(OPTION_KEYS.includes(key), op, `unknown option ${key} (options are ${OPTION_KEYS.join(', ')})`, shapes);
  }
  const { stride = 1, padding = 0, dilation = 1, groups = 1 } = opts;
  check(xShape.length === 3, op, `x must be 3-D (B, C_in, T), got rank ${xShape.length}`, shapes);
  check(wShape.length === 3, op, `weight must be 3-D (C_out, C_in/groups, K), got rank ${wShape.length}`, shapes);
  check(isPosInt(stride), op, `stride must be an integer ≥ 1, got ${String(stride)}`, shapes);
  check(isPosInt(dilation), op, `dilation must be an integer ≥ 1, got ${String(dilation)}`, shapes);
  check(isPosInt(groups), op, `groups must be an integer ≥ 1, got ${String(groups)}`, shapes);
  check(
    padding === 'same' ||
      padding === 'valid' ||
      (typeof padding === 'number' && Number.isInteger(padding) && padding >= 0),
    op,
    `padding must be an integer ≥ 0, 'same' or 'valid', got ${String(padding)}`,
    shapes,
  );
  const [B, Cin, T] = xShape;
  const [Cout, CinG, K] = wShape;
  check(B >= 1 && Cin >= 1 && T >= 1, op, 'x must have a nonzero batch, channel count and length', shapes);
  check(Cout >= 1 && CinG >= 1 && K >= 1, op, 'weight must have nonzero sizes', shapes);
  check(Cin % groups === 0, op, `C_in = ${Cin} is not divisible by groups = ${groups}`, shapes);
  check(Cout % groups === 0, op, `C_out = ${Cout} is not divisible by groups = ${groups}`, shapes);
  check(
    CinG === Cin / groups,
    op,
    `weight's second dimension must be C_in/groups = ${Cin}/${groups} = ${Cin / groups}, got ${CinG}`,
    shapes,
  );
  check(!bShape || (bShape.length === 1 && bShape[0] === Cout), op, `bias must be (C_out) = (${Cout})`, shapes);
  const span = dilation * (K - 1) + 1; // input steps one output covers
  let padLeft: number, padRight: number;
  if (padding === 'same') {
    check(stride === 1, op, `padding 'same' needs stride 1, got stride ${stride}`, shapes);
    padLeft = Math.floor((span - 1) / 2);
    padRight = span - 1 - padLeft;
  } else {
    padLeft = padRight = padding === 'valid' ? 0 : padding;
  }
  check(
    T + padLeft + padRight >= span,
    op,
    `kernel (size ${K}, dilation ${dilation}: spans ${span}) is larger than the padded input (length ${T} + ${padLeft + padRight})`,
    shapes,
  );
  const Tout = Math.floor((T + padLeft + padRight - span) / stride) + 1;
  // Dispatch limits of the forward and dx kernels: column tiles along x (the window kernel's per-sequence tiles need
  // the most), channel tiles along y. The weight gradient's flat grid folds into y by itself.
  check(
    Math.ceil((B * Math.ceil(Math.max(T, Tout) / TILE_COLS)) / WG) <= MAX_GROUPS && Math.max(Cin, Cout) <= MAX_GROUPS,
    op,
    'sizes beyond the dispatch limits',
    shapes,
  );
  return { B, Cin, T, Cout, K, groups, stride, dilation, padLeft, padRight, Tout };
}

/** Whether a convolution is pointwise: a batched matmul of the weight (C_out, C_in) with each x_b (C_in, T). */
export function isPointwise(g: Conv1dGeometry): boolean {
  return g.K === 1 && g.stride === 1 && g.padLeft === 0 && g.padRight === 0 && g.groups === 1;
}

/** Taps the window kernel has blocks for (conv1d_window.wgsl's override KS). */
const WINDOW_MAX_K = 7;

/** Whether the sliding-window kernel applies: taps one step apart, outputs one step apart, at most 7 taps. */
export const windowFits = (g: Conv1dGeometry): boolean => g.stride === 1 && g.dilation === 1 && g.K <= WINDOW_MAX_K;

/** Sequences at least this long (outputs of the pass in question) go to the window kernel by default. */
const WINDOW_MIN_STEPS = 16;

// ------------------------------------------------------------------------------------------------- dispatches

/** Tile rows for ROWS channels per group: 8 when a group has at most 8 (DAR resamples to 8 steps), else 16. */
const rowsFor = (perGroup: number): number => (perGroup <= 8 ? 8 : 16);

/**
 * One conv1d_tiled dispatch: the forward pass (transposed = false) or dL/dx (transposed = true); see the kernel's
 * header for the index algebra.
 */
function tiledConv(g: Conv1dGeometry, inp: Tensor, weight: Tensor, bias: Tensor | null, transposed: boolean): Tensor {
  const { B, Cin, Cout, K, groups, stride, dilation, padLeft } = g;
  const CinG = Cin / groups;
  const CoutG = Cout / groups;
  // Output and reduction sides: forward y (Cout, Tout) from x (Cin, T); transposed dx (Cin, T) from gy (Cout, Tout).
  const [outC, outG, outT, inC, inG, inT] = transposed
    ? [Cin, CinG, g.T, Cout, CoutG, g.Tout]
    : [Cout, CoutG, g.Tout, Cin, CinG, g.T];
  const out = empty([B, outC, outT], 'conv1d');
  const N = B * outT;
  const rows = rowsFor(outG);
  const tilesPerGroup = Math.ceil(outG / rows);
  const wG = CoutG * CinG * K;
  const [wC, wR] = transposed ? [K, CinG * K] : [CinG * K, K];
  const [A, Dk, off] = transposed ? [1, -dilation, padLeft] : [stride, dilation, -padLeft];
  runtime().dispatch({
    kernel: TILED,
    constants: { ROWS: rows, DIV: transposed ? stride : 1 },
    params: {
      N,
      Tout: outT,
      Tin: inT,
      CoutTot: outC,
      CoutG: outG,
      CinG: inG,
      CinTot: inC,
      K,
      wG,
      wC,
      wR,
      A,
      Dk,
      off,
      tilesPerGroup,
      hasBias: bias ? 1 : 0,
    },
    buffers: { inp: inp.buffer, w: weight.buffer, bias: (bias ?? weight).buffer, out: out.buffer },
    groups: [Math.ceil(N / (TILE_COLS * WG)), groups * tilesPerGroup],
  });
  return out;
}

/** As tiledConv, on conv1d_window (stride 1, dilation 1, K ≤ 7 only). */
function windowConv(g: Conv1dGeometry, inp: Tensor, weight: Tensor, bias: Tensor | null, transposed: boolean): Tensor {
  const { B, Cin, Cout, K, groups, padLeft } = g;
  const CinG = Cin / groups;
  const CoutG = Cout / groups;
  const [outC, outG, outT, inC, inG, inT] = transposed
    ? [Cin, CinG, g.T, Cout, CoutG, g.Tout]
    : [Cout, CoutG, g.Tout, Cin, CinG, g.T];
  const out = empty([B, outC, outT], 'conv1d');
  const rows = rowsFor(outG);
  const tilesPerGroup = Math.ceil(outG / rows);
  const tilesT = Math.ceil(outT / TILE_COLS);
  const wG = CoutG * CinG * K;
  const [wC, wR] = transposed ? [K, CinG * K] : [CinG * K, K];
  // Tap s of output step t reads step t + off + s, with weight tap kw0 + s·kwStep (reversed for dL/dx).
  const [off, kw0, kwStep] = transposed ? [padLeft - (K - 1), K - 1, -1] : [-padLeft, 0, 1];
  runtime().dispatch({
    kernel: WINDOW,
    constants: { ROWS: rows, KS: K },
    params: {
      B,
      Tout: outT,
      Tin: inT,
      CoutTot: outC,
      CoutG: outG,
      CinG: inG,
      CinTot: inC,
      K,
      wG,
      wC,
      wR,
      off,
      kw0,
      kwStep: kwStep >>> 0, // a u32 in the kernel: −1 wraps, and so does its index arithmetic
      tilesT,
      tilesPerGroup,
      hasBias: bias ? 1 : 0,
    },
    buffers: { inp: inp.buffer, w: weight.buffer, bias: (bias ?? weight).buffer, out: out.buffer },
    groups: [Math.ceil((B * tilesT) / WG), groups * tilesPerGroup],
  });
  return out;
}

/** dL/dweight (Cout, CinG, K) and, with `withBias`, dL/dbias (Cout), from conv1d_grad_w_tiled (+ combine). */
function tiledWeightGrad(g: Conv1dGeometry, x: Tensor, gy: Tensor, withBias: boolean): [Tensor, Tensor | null] {
  const { B, Cin, Cout, K, groups, stride, dilation, padLeft, T, Tout } = g;
  const CinG = Cin / groups;
  const CoutG = Cout / groups;
  const J = CinG * K;
  const J1 = J + (withBias ? 1 : 0);
  const N = B * Tout;
  const rows = rowsFor(CoutG);
  const tilesPerGroup = Math.ceil(CoutG / rows);
  const colTiles = Math.ceil(J1 / TILE_COLS);
  const tiles = colTiles * groups * tilesPerGroup;
  // Chunks of the B·Tout sum: enough invocations to fill the machine, none of them trivially short.
  const want = Math.min(Math.ceil(WGRAD_TARGET_INVOCATIONS / tiles), Math.ceil(N / WGRAD_MIN_CHUNK));
  const chunk = Math.ceil(N / Math.max(1, want));
  const Z = Math.ceil(N / chunk);
  const dw = empty([Cout, CinG, K], 'conv1d');
  const direct = Z === 1 && !withBias; // the one partial is dw itself
  const part = direct ? dw : empty([Z, Cout, J1], 'conv1d');
  const rt = runtime();
  rt.dispatch({
    kernel: GRAD_W,
    constants: { ROWS: rows },
    params: {
      N,
      Tout,
      T,
      Cout,
      CoutG,
      CinG,
      Cin,
      K,
      J1,
      stride,
      dil: dilation,
      padLeft,
      chunk,
      tilesPerGroup,
      hasBias: withBias ? 1 : 0,
      colTiles,
      tiles: tiles * Z,
    },
    buffers: { x: x.buffer, gy: gy.buffer, part: part.buffer },
    groups: grid1d(tiles * Z, WG),
  });
  if (direct) return [dw, null];
  const db = empty(withBias ? [Cout] : [1], 'conv1d'); // without a bias, a scratch target for the unused binding
  rt.dispatch({
    kernel: COMBINE,
    params: { n: Cout * J1, J1, Z, hasBias: withBias ? 1 : 0 },
    buffers: { part: part.buffer, dw: dw.buffer, db: db.buffer },
    groups: grid1d(Cout * J1, 64),
  });
  part.dispose();
  if (withBias) return [dw, db];
  db.dispose();
  return [dw, null];
}

function naiveParams(g: Conv1dGeometry): Record<keyof typeof NAIVE_GEOMETRY, number> {
  const { T, Tout, Cin, Cout, groups, K, stride, dilation, padLeft } = g;
  return { T, Tout, Cin, Cout, CinG: Cin / groups, CoutG: Cout / groups, K, stride, dil: dilation, padLeft };
}

function naiveForward(g: Conv1dGeometry, x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const y = empty([g.B, g.Cout, g.Tout], 'conv1d');
  runtime().dispatch({
    kernel: NAIVE,
    params: { total: y.size, ...naiveParams(g), hasBias: bias ? 1 : 0 },
    buffers: { x: x.buffer, w: weight.buffer, bias: (bias ?? weight).buffer, y: y.buffer },
    groups: grid1d(y.size, 64),
  });
  return y;
}

function naiveDx(g: Conv1dGeometry, gy: Tensor, weight: Tensor): Tensor {
  const dx = empty([g.B, g.Cin, g.T], 'conv1d');
  runtime().dispatch({
    kernel: NAIVE_GRAD_X,
    params: { total: dx.size, ...naiveParams(g) },
    buffers: { gy: gy.buffer, w: weight.buffer, dx: dx.buffer },
    groups: grid1d(dx.size, 64),
  });
  return dx;
}

function naiveDw(g: Conv1dGeometry, x: Tensor, gy: Tensor): Tensor {
  const dw = empty([g.Cout, g.Cin / g.groups, g.K], 'conv1d');
  runtime().dispatch({
    kernel: NAIVE_GRAD_W,
    params: { total: dw.size, B: g.B, ...naiveParams(g) },
    buffers: { x: x.buffer, gy: gy.buffer, dw: dw.buffer },
    groups: grid1d(dw.size, 64),
  });
  return dw;
}

// ---------------------------------------------------------------------------------------------------- the op

/**
 * 1-D convolution with PyTorch's semantics (F.conv1d): x (B, C_in, T), weight (C_out, C_in/groups, K), optional bias
 * (C_out) → (B, C_out, T_out). Options: stride, padding (an integer or 'same'), dilation, groups. Gradients flow to
 * x, weight and bias. Throws a WebgradError naming the shapes for bad ranks, channel counts that do not fit the
 * groups, a kernel larger than the padded input, or bad options, before any GPU work.
 */
export function conv1d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv1dOptions = {}): Tensor {
  assertLive('conv1d', x, weight, ...(bias ? [bias] : []));
  const g = conv1dGeometry(x.shape, weight.shape, bias ? bias.shape : null, opts);
  const shapes: Shape[] = bias ? [x.shape, weight.shape, bias.shape] : [x.shape, weight.shape];
  // The tuning profile's rung unless the caller names one; on the CPU profile, undefined = chosen by shape below.
  const profileRung = pickRung(runtime().tuning, { cpu: 'by shape', gpu: 'gemm' });
  const rung = opts.kernel !== undefined ? opts.kernel : profileRung === 'gemm' ? 'gemm' : undefined;
  check(
    rung === undefined || CONV1D_KERNELS.includes(rung),
    'conv1d',
    `kernel must be one of ${CONV1D_KERNELS.join(', ')}, got ${String(rung)}`,
    shapes,
  );
  check(
    rung !== 'matmul' || isPointwise(g),
    'conv1d',
    "kernel 'matmul' needs a pointwise conv (K = 1, stride 1, no padding, groups 1)",
    shapes,
  );
  check(
    rung !== 'window' || windowFits(g),
    'conv1d',
    `kernel 'window' needs stride 1, dilation 1 and at most ${WINDOW_MAX_K} taps`,
    shapes,
  );
  check(
    rung !== 'gemm' || (g.Cin / g.groups) * g.K <= MAX_GROUPS * 64,
    'conv1d',
    "kernel 'gemm' needs C_in/groups·K ≤ 65535·64 (its weight gradient's columns)",
    shapes,
  );

  if (rung === 'matmul') {
    // y_b = W·x_b with W (Cout, Cin) shared by every batch; matmul, reshape and add record the gradients.
    const y = matmul(reshape(weight, [g.Cout, g.Cin]), x); // (B, Cout, T)
    return bias ? add(y, reshape(bias, [g.Cout, 1])) : y;
  }

  /** The forward pass (transposed = false) or dL/dx, on the chosen rung or by default the one that fits. */
  const pass = (inp: Tensor, b: Tensor | null, transposed: boolean): Tensor => {
    if (rung === 'gemm') return transposed ? gemmDx(g, inp, weight) : gemmForward(g, inp, weight, b);
    if (rung === 'naive') return transposed ? naiveDx(g, inp, weight) : naiveForward(g, inp, weight, b);
    const steps = transposed ? g.T : g.Tout;
    // The window pays where taps share loads (K > 1) and tiles of 16 steps are mostly full.
    const window = rung === 'window' || (rung === undefined && windowFits(g) && g.K > 1 && steps >= WINDOW_MIN_STEPS);
    return (window ? windowConv : tiledConv)(g, inp, weight, b, transposed);
  };

  const y = pass(x, bias, false); // (B, Cout, Tout)
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(y, 'conv1d', inputs, (gy, needs) => {
    const gx = needs[0] ? pass(gy, null, true) : null; // (B, Cin, T)
    const wantB = !!bias && needs[2];
    let gw: Tensor | null = null;
    let gb: Tensor | null = null;
    if (rung === 'naive' || rung === 'gemm') {
      if (needs[1]) gw = rung === 'naive' ? naiveDw(g, x, gy) : gemmDw(g, x, gy);
      if (wantB) gb = sum(gy, [0, 2]);
    } else if (needs[1]) {
      [gw, gb] = tiledWeightGrad(g, x, gy, wantB);
    } else if (wantB) {
      gb = sum(gy, [0, 2]);
    }
    return bias ? [gx, gw, gb] : [gx, gw];
  });
}
