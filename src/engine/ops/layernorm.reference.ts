// float64 CPU reference for layer norm over the last k axes (k = 1 by default; gamma and beta flattened to their
// product C): (x − mean) / sqrt(var + eps) · gamma + beta, with the biased variance, per row of C.

import type { RefResult } from './reduce.reference';

export function refLayerNorm(
  x: ArrayLike<number>,
  shape: number[],
  gamma?: ArrayLike<number> | null,
  beta?: ArrayLike<number> | null,
  eps = 1e-5,
  k = 1,
): RefResult {
  if (shape.length < k || k < 1) throw new Error(`rank ${shape.length}, k = ${k}`);
  const c = shape.slice(shape.length - k).reduce((a, b) => a * b, 1);
  const rows = c === 0 ? 0 : x.length / c;
  const data = new Float64Array(x.length);
  for (let i = 0; i < rows; i++) {
    let m = 0;
    for (let j = 0; j < c; j++) m += x[i * c + j];
    m /= c;
    let v = 0;
    for (let j = 0; j < c; j++) v += (x[i * c + j] - m) ** 2;
    const rstd = 1 / Math.sqrt(v / c + eps);
    for (let j = 0; j < c; j++) {
      data[i * c + j] = (x[i * c + j] - m) * rstd * (gamma ? gamma[j] : 1) + (beta ? beta[j] : 0);
    }
  }
  return { data, shape: [...shape] };
}
