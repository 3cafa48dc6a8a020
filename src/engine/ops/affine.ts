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

const AFFINE = kernel('affine', affineSrc, {
  params: { n: 'u32', rd: 'u32', d: 'u32' },
  buffers: { x: 'read', weight: 'read', bias: 'read', y: 'read_write' },
});
const AFFINE_GRAD = kernel('affine_grad', affineGradSrc, {
  params: { g: 'u32', r: 'u32', d: 'u32', chunk: 'u32', nchunks: 'u32', acc: 'u32' },
  buffers: {
    x: 'read',
    weight: 'read',
    gy: 'read',
    dx: 'read_write',
    dweight: 'read_write',
    dbias: 'read_write',
  },
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
  rt.dispatch({
    kernel: AFFINE,
    params: { n: x.size, rd: R * D, d: D },
    buffers: { x: x.buffer, weight: weight.buffer, bias: bias.buffer, y: y.buffer },
    groups: grid1d(x.size, 64),
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
    rt.dispatch({
      kernel: AFFINE_GRAD,
      params: { g: G, r: R, d: D, chunk, nchunks: parts, acc: prev ? 1 : 0 },
      buffers: {
        x: x.buffer,
        weight: weight.buffer,
        gy: gy.buffer,
        dx: dx.buffer,
        dweight: dweight.buffer,
        dbias: dbias.buffer,
      },
      groups: grid1d(G * D, 64),
    });
    return [dx, dweight, dbias].map((t, i) => {
      if (needs[i]) return t;
      t.dispose();
      return null;
    });
  });
}
