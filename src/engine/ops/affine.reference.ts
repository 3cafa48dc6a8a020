// float64 CPU reference for affine (src/engine/ops/affine.ts), used by the tests.

import type { Ref } from './shape.reference';

/** y[g, …, j] = x[g, …, j]·weight[g, j] + bias[g, j] for x of `shape` (G, …, D), weight and bias (G, D). */
export function affineRef(x: Float64Array, weight: Float64Array, bias: Float64Array, shape: number[]): Ref {
  const G = shape[0];
  const D = shape[shape.length - 1];
  const per = x.length / G; // elements per group
  const data = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const gj = Math.floor(i / per) * D + (i % D);
    data[i] = x[i] * weight[gj] + bias[gj];
  }
  return { data, shape };
}
