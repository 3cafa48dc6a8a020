// The GPU profile's GEMM: 64×64 tiles of C per workgroup through workgroup memory (kernels/common/gemm64.wgsl),
// shared by matmul's 'shared' rung (matmul_shared.wgsl) and conv1d's 'gemm' rung (conv1d_gemm*.wgsl), with the
// pass that sums split-K slices (matmul_splitk_sum.wgsl; the plan is splitk.ts). Design: docs/decisions/matmul.md.

import { runtime } from '../engine';
import { grid1d, kernel } from '../runtime';
import { empty, type Tensor } from '../tensor';
import { splitK, TILE } from './splitk';
import sharedSrc from '../../../kernels/matmul/matmul_shared.wgsl';
import sumSrc from '../../../kernels/matmul/matmul_splitk_sum.wgsl';

const SHARED = kernel('matmul_shared', sharedSrc, {
  params: {
    M: 'u32',
    N: 'u32',
    K: 'u32',
    S: 'u32',
    sAm: 'u32',
    sAk: 'u32',
    sBk: 'u32',
    sBn: 'u32',
    batchA: 'u32',
    batchB: 'u32',
    Z: 'u32',
    biasZ: 'u32',
    kLen: 'u32',
  },
  buffers: { a: 'read', b: 'read', c: 'read_write', bias: 'read' },
});
const SPLITK_SUM = kernel('matmul_splitk_sum', sumSrc, {
  params: { n: 'u32', slices: 'u32', N: 'u32', MN: 'u32', biasZ: 'u32' },
  buffers: { part: 'read', bias: 'read', out: 'read_write' },
});

/**
 * out = Σ over `slices` partial results of out.size elements each, stored one after another in part (+ bias, as
 * matmul's: bias[z·biasZ + n] for element (z, m, n) of Z (M×N) matrices).
 */
export function sumSlices(part: Tensor, slices: number, out: Tensor, bias: Tensor | null = null, N = 1, MN = 1): void {
  runtime().dispatch({
    kernel: SPLITK_SUM,
    constants: { HAS_BIAS: bias ? 1 : 0 },
    params: { n: out.size, slices, N, MN, biasZ: bias?.rank === 2 ? N : 0 },
    buffers: { part: part.buffer, bias: (bias ?? part).buffer, out: out.buffer }, // part stands in for no bias
    groups: grid1d(out.size, 64),
  });
}

/** How a vec4 can load an operand: 0 not at all, 1 along its first-named axis, 2 along its second (the kernel's VEC_A/B). */
function vecMode(unitFirst: boolean, firstLen: number, unitSecond: boolean, secondLen: number): number {
  if (unitFirst && firstLen % 4 === 0) return 1;
  if (unitSecond && secondLen % 4 === 0) return 2;
  return 0;
}

/** matmul's product on the shared rung; the uniforms as matmul_tiled takes them (src/engine/ops/matmul.ts gemm). */
export interface SharedProduct {
  M: number;
  N: number;
  K: number;
  S: number;
  sAm: number;
  sAk: number;
  sBk: number;
  sBn: number;
  batchA: number;
  batchB: number;
  Z: number;
}

/** Records c = Σ_s op(A_g)·op(B_g) (+ bias) on matmul_shared, split over K where splitK says so. */
export function sharedGemm(a: Tensor, b: Tensor, c: Tensor, bias: Tensor | null, u: SharedProduct): void {
  const { M, N, K, Z } = u;
  const { slices, kLen } = splitK(M, N, K, Z);
  // One slice writes C (with its bias); several write partials to a scratch that sumSlices adds up into C.
  const part = slices > 1 ? empty([slices, c.size], 'matmul') : c;
  runtime().dispatch({
    kernel: SHARED,
    constants: {
      HAS_BIAS: bias && slices === 1 ? 1 : 0,
      VEC_A: vecMode(u.sAk === 1, K, u.sAm === 1, M),
      VEC_B: vecMode(u.sBn === 1, N, u.sBk === 1, K),
    },
    params: { ...u, biasZ: bias?.rank === 2 ? N : 0, kLen },
    buffers: { a: a.buffer, b: b.buffer, c: part.buffer, bias: (bias ?? a).buffer }, // a stands in: never read
    groups: [Math.ceil(N / TILE), Math.ceil(M / TILE), Z * slices],
  });
  if (part === c) return;
  sumSlices(part, slices, c, bias, N, M * N);
  part.dispose();
}
