// Page-side entry for affine (test/ops/affine.test.ts).

import type { Tensor } from '../../src/index';
import type { OpTable } from '../page/registry';

export const OPS = {
  affine: ([x, w, b]: [Tensor, Tensor, Tensor], _a, wg) => wg.affine(x, w, b),
  // GroupedLayerNorm's affine without the fusion: the broadcast mul and add it replaces (compared bit for bit).
  affineComposite: ([x, w, b]: [Tensor, Tensor, Tensor], _a, wg) => {
    const [G, D] = w.shape;
    const n = x.size / (G * D);
    const y = wg.add(wg.mul(wg.reshape(x, [G, n, D]), wg.reshape(w, [G, 1, D])), wg.reshape(b, [G, 1, D]));
    return wg.reshape(y, x.shape);
  },
} satisfies OpTable;

// Gradients added into the one an input already has (autograd's `into`): x reaches the loss twice, so the second
// backward to reach it adds in its own kernel (slice and concat's ACCUMULATE, layernorm_grad_x's).
export const INTO_OPS = {
  // slice(x, 1, 0, 2) ‖ slice(x, 1, 1, 3) ‖ x along axis 1: the slices' backward adds into x's gradient window
  sliceTwiceConcat: ([x]: [Tensor], _a, wg) => wg.concat([wg.slice(x, 1, 0, 2), wg.slice(x, 1, 1, 3), x], 1),
  // layerNorm(x) + x: the residual stream's gradient reaches x first, then layerNorm's is added into it
  layerNormResidual: ([x]: [Tensor], _a, wg) => wg.add(wg.layerNorm(x, null, null), x),
  // two affines of one x (GroupedLayerNorm's shared normalisation): the first one's backward adds into x's gradient
  affineTwice: ([x, w1, b1, w2, b2]: [Tensor, Tensor, Tensor, Tensor, Tensor], _a, wg) =>
    wg.add(wg.affine(x, w1, b1), wg.affine(x, w2, b2)),
  // gatherRows(x) ‖ x along rows: the gather's backward adds into x's gradient (its acc), scalar or vec4 rows
  gatherRowsTwice: ([x]: [Tensor], _a, wg) => wg.concat([wg.gatherRows(x, [2, 0, 2, 1]), x], 0),
  gatherRowsTwiceUnfused: ([x]: [Tensor], _a, wg) => {
    wg.setLaunchFusions(false);
    try {
      return wg.concat([wg.gatherRows(x, [2, 0, 2, 1]), x], 0);
    } finally {
      wg.setLaunchFusions(true);
    }
  },
  // the same with the launch fusions off: a separate accumulate (compared bit for bit)
  affineTwiceUnfused: ([x, w1, b1, w2, b2]: [Tensor, Tensor, Tensor, Tensor, Tensor], _a, wg) => {
    wg.setLaunchFusions(false);
    try {
      return wg.add(wg.affine(x, w1, b1), wg.affine(x, w2, b2));
    } finally {
      wg.setLaunchFusions(true);
    }
  },
} satisfies OpTable;
