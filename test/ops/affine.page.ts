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
