// G affine maps side by side over the last axis: y[g, …, j] = x[g, …, j] · weight[g, j] + bias[g, j]. This is
// GroupedLayerNorm's affine after its one shared normalisation, as one kernel each way instead of a broadcast mul and
// a broadcast add forward and two products and two sums backward (same roundings and summation order: the same
// numbers; docs/decisions/optim.md).

import { runtime } from '../engine';
import { check } from '../errors';
import { launchFusions } from '../fusion';
import { grid1d, kernel } from '../runtime';
import { assertLive, empty, record, Tensor } from '../tensor';
import { sumChunks } from './reduce';
import affineSrc from '../../../kernels/affine/affine.wgsl';
import affineGradSrc from '../../../kernels/affine/affine_grad.wgsl';
import affineVec4Src from '../../../kernels/affine/affine_vec4.wgsl';
import affineGradVec4Src from '../../../kernels/affine/affine_grad_vec4.wgsl';

const AFFINE = kernel('affine', affineSrc, {
  params: { n: 'u32', rd: 'u32', d: 'u32' },
  buffers: { x: 'read', weight: 'read', bias: 'read', y: 'read_write' },
});
const GRAD_BUFFERS = {
  x: 'read',
  weight: 'read',
  gy: 'read',
  dx: 'read_write',
  dweight: 'read_write',
  dbias: 'read_write',
} as const;
const AFFINE_GRAD = kernel('affine_grad', affineGradSrc, {
  params: { g: 'u32', r: 'u32', d: 'u32', chunk: 'u32', nchunks: 'u32', acc: 'u32' },
  buffers: GRAD_BUFFERS,
});
// D a multiple of 4: four columns per invocation, the same numbers (kernels/affine/affine_vec4.wgsl says why).
const AFFINE_VEC4 = kernel('affine_vec4', affineVec4Src, {
  params: { n4: 'u32', rd4: 'u32', d4: 'u32' },
  buffers: { x: 'read', weight: 'read', bias: 'read', y: 'read_write' },
});
const AFFINE_GRAD_VEC4 = kernel('affine_grad_vec4', affineGradVec4Src, {
  params: { g4: 'u32', r: 'u32', d4: 'u32', chunk: 'u32', nchunks: 'u32', acc: 'u32' },
  buffers: GRAD_BUFFERS,
});

/**
 * Per-group affine map over the last axis: x (G, …, D), weight and bias (G, D) → y (G, …, D) with
 * y[g, …, j] = x[g, …, j]·weight[g, j] + bias[g, j]. Differentiable in all three. Throws a WebgradError naming the
 * shapes when weight and bias are not (G, D) for x's first and last axes.
 */
export function affine(x: Tensor, weight: Tensor, bias: Tensor): Tensor {
  assertLive('affine', x, weight, bias);
  const shapes = [x.shape, weight.shape, bias.shape];
  check(x.rank >= 2, 'affine', `x must be (G, …, D), got rank ${x.rank}`, shapes);
  const G = x.shape[0];
  const D = x.shape[x.rank - 1];
  const fits = (t: Tensor) => t.rank === 2 && t.shape[0] === G && t.shape[1] === D;
  check(fits(weight) && fits(bias), 'affine', `weight and bias must be (${G}, ${D}) for x (G, …, D)`, shapes);
  const R = G * D === 0 ? 0 : x.size / (G * D); // rows per group
  const y = empty(x.shape, 'affine');
  if (y.size === 0) return y;
  const rt = runtime();
  const v4 = D % 4 === 0 ? 4 : 1; // elements (columns) per invocation
  rt.dispatch({
    kernel: v4 === 4 ? AFFINE_VEC4 : AFFINE,
    params: v4 === 4 ? { n4: x.size / 4, rd4: (R * D) / 4, d4: D / 4 } : { n: x.size, rd: R * D, d: D },
    buffers: { x: x.buffer, weight: weight.buffer, bias: bias.buffer, y: y.buffer },
    groups: grid1d(x.size / v4, 64),
  });
  const fuse = launchFusions(); // decided when recorded, as the other launch fusions are
  return record(y, 'affine', [x, weight, bias], (gy, needs, into) => {
    // dx = gy·weight; dweight, dbias: column sums over each group's rows, cut as sum() would cut them. Added into the
    // gradient x already has, when it has one (and is not also the weight or bias).
    const prev = fuse && into[0] && into.indexOf(into[0]) === 0 && into.lastIndexOf(into[0]) === 0 ? into[0] : null;
    const dx = prev ?? empty(x.shape, 'affine');
    const dweight = empty(weight.shape, 'affine');
    const dbias = empty(bias.shape, 'affine');
    const { chunk, parts } = sumChunks(G, R, D);
    const sums = { r: R, chunk, nchunks: parts, acc: prev ? 1 : 0 };
    rt.dispatch({
      kernel: v4 === 4 ? AFFINE_GRAD_VEC4 : AFFINE_GRAD,
      params: v4 === 4 ? { g4: (G * D) / 4, d4: D / 4, ...sums } : { g: G, d: D, ...sums },
      buffers: {
        x: x.buffer,
        weight: weight.buffer,
        gy: gy.buffer,
        dx: dx.buffer,
        dweight: dweight.buffer,
        dbias: dbias.buffer,
      },
      groups: v4 === 4 ? grid1d((G * D) / 4, 16) : grid1d(G * D, 64),
    });
    return [dx, dweight, dbias].map((t, i) => {
      if (needs[i]) return t;
      t.dispose();
      return null;
    });
  });
}
