// conv1d's 'gemm' rung, the GPU profile's default: forward, dL/dx and dL/dweight as implicit GEMMs on the 64×64
// workgroup tile of matmul's 'shared' rung (kernels/common/gemm64.wgsl); the im2col matrix is never stored, the tile
// loaders compute (channel, tap) from the reduction index. dL/dweight reduces over B·T_out, long next to its small
// output, so it splits K as matmul does (splitk.ts) and sums the slices with matmul_splitk_sum.
// Design and timings: docs/decisions/conv1d.md.

import { runtime } from '../engine';
import { kernel } from '../runtime';
import { empty, type Tensor } from '../tensor';
import { sumSlices } from './gemm64';
import { splitK, TILE } from './splitk';
import type { Conv1dGeometry } from './conv1d';
import forwardSrc from '../../../kernels/conv1d/conv1d_gemm.wgsl';
import gradXSrc from '../../../kernels/conv1d/conv1d_gemm_grad_x.wgsl';
import gradWSrc from '../../../kernels/conv1d/conv1d_gemm_grad_w.wgsl';

// The three kernels share their uniforms: the geometry, then the GEMM's M, N, R (its K) and the K slice length.
const PARAMS = {
  B: 'u32',
  Cin: 'u32',
  T: 'u32',
  Cout: 'u32',
  Tout: 'u32',
  CinG: 'u32',
  CoutG: 'u32',
  K: 'u32',
  stride: 'u32',
  dil: 'u32',
  padLeft: 'u32',
  groups: 'u32',
  M: 'u32',
  N: 'u32',
  R: 'u32',
  kLen: 'u32',
} as const;
const FORWARD = kernel('conv1d_gemm', forwardSrc, {
  params: PARAMS,
  buffers: { x: 'read', w: 'read', bias: 'read', y: 'read_write' },
});
const GRAD_X = kernel('conv1d_gemm_grad_x', gradXSrc, {
  params: PARAMS,
  buffers: { gy: 'read', w: 'read', dx: 'read_write' },
});
const GRAD_W = kernel('conv1d_gemm_grad_w', gradWSrc, {
  params: PARAMS,
  buffers: { x: 'read', gy: 'read', part: 'read_write' },
});

type GemmDims = { M: number; N: number; R: number; kLen: number };

function params(g: Conv1dGeometry, d: GemmDims): Record<keyof typeof PARAMS, number> {
  const { B, Cin, T, Cout, Tout, K, stride, dilation, padLeft, groups } = g;
  const [CinG, CoutG] = [Cin / groups, Cout / groups];
  return { B, Cin, T, Cout, Tout, CinG, CoutG, K, stride, dil: dilation, padLeft, groups, ...d };
}

/** y (B, Cout, Tout) = conv1d(x, weight) + bias: per group, weight (CoutG × CinG·K) · im2col(x) (CinG·K × B·Tout). */
export function gemmForward(g: Conv1dGeometry, x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const y = empty([g.B, g.Cout, g.Tout], 'conv1d');
  const [M, N, R] = [g.Cout / g.groups, g.B * g.Tout, (g.Cin / g.groups) * g.K];
  runtime().dispatch({
    kernel: FORWARD,
    constants: { HAS_BIAS: bias ? 1 : 0, VEC_A: R % 4 === 0 ? 1 : 0 },
    params: params(g, { M, N, R, kLen: R }),
    buffers: { x: x.buffer, w: weight.buffer, bias: (bias ?? x).buffer, y: y.buffer }, // x stands in: never read
    groups: [Math.ceil(N / TILE), Math.ceil(M / TILE), g.groups],
  });
  return y;
}

/** dx (B, Cin, T): per group, weightᵀ (CinG × CoutG·K) · the transposed convolution's im2col of gy (CoutG·K × B·T). */
export function gemmDx(g: Conv1dGeometry, gy: Tensor, weight: Tensor): Tensor {
  const dx = empty([g.B, g.Cin, g.T], 'conv1d');
  const [M, N, R] = [g.Cin / g.groups, g.B * g.T, (g.Cout / g.groups) * g.K];
  runtime().dispatch({
    kernel: GRAD_X,
    params: params(g, { M, N, R, kLen: R }),
    buffers: { gy: gy.buffer, w: weight.buffer, dx: dx.buffer },
    groups: [Math.ceil(N / TILE), Math.ceil(M / TILE), g.groups],
  });
  return dx;
}

/** dweight (Cout, CinG, K): per group, gy (CoutG × B·Tout) · im2col(x)ᵀ (B·Tout × CinG·K), split over B·Tout. */
export function gemmDw(g: Conv1dGeometry, x: Tensor, gy: Tensor): Tensor {
  const dw = empty([g.Cout, g.Cin / g.groups, g.K], 'conv1d');
  const [M, N, R] = [g.Cout / g.groups, (g.Cin / g.groups) * g.K, g.B * g.Tout];
  const { slices, kLen } = splitK(M, N, R, g.groups);
  const part = slices > 1 ? empty([slices, dw.size], 'conv1d') : dw;
  runtime().dispatch({
    kernel: GRAD_W,
    params: params(g, { M, N, R, kLen }),
    buffers: { x: x.buffer, gy: gy.buffer, part: part.buffer },
    groups: [Math.ceil(N / TILE), Math.ceil(M / TILE), g.groups * slices],
  });
  if (part === dw) return dw;
  sumSlices(part, slices, dw);
  part.dispose();
  return dw;
}
