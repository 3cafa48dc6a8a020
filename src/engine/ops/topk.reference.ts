// float64 CPU reference for topkSoftmax (src/engine/ops/topk.ts): softmax over the k largest entries of each last-axis row,
// 0 elsewhere, ties to the lower index.

import type { RefResult } from './reduce.reference';

export function refTopkSoftmax(x: ArrayLike<number>, shape: number[], k: number): RefResult {
  const c = shape[shape.length - 1];
  const rows = c === 0 ? 0 : shape.reduce((a, b) => a * b, 1) / c;
  const data = new Float64Array(rows * c);
  for (let r = 0; r < rows; r++) {
    const at = r * c;
    // Indices sorted by value, descending; a stable sort keeps the lower index first among equal values.
    const order = Array.from({ length: c }, (_, j) => j).sort((a, b) => x[at + b] - x[at + a]);
    const keep = order.slice(0, Math.min(k, c));
    const m = x[at + keep[0]];
    let s = 0;
    for (const j of keep) s += Math.exp(x[at + j] - m);
    for (const j of keep) data[at + j] = Math.exp(x[at + j] - m) / s;
  }
  return { data, shape: [...shape] };
}
