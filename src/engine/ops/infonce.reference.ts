// float64 CPU reference for the cosine-similarity InfoNCE loss (tests and benchmarks). Plain loops, no tricks beyond
// the max shift in the log-sum-exp.

export interface InfoNCERefOptions {
  temperature: number;
  /** Count every row's positive p_j (j ≠ i) as a negative of anchor i too (default true). */
  inBatchNegatives?: boolean;
  /** Norm floor of the row normalisation, x / max(‖x‖, eps) (default 1e-8). */
  eps?: number;
}

function normalizeRows(x: ArrayLike<number>, rows: number, d: number, eps: number): Float64Array {
  const out = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let k = 0; k < d; k++) ss += x[r * d + k] ** 2;
    const inv = 1 / Math.max(Math.sqrt(ss), eps);
    for (let k = 0; k < d; k++) out[r * d + k] = x[r * d + k] * inv;
  }
  return out;
}

function dot(a: Float64Array, i: number, b: Float64Array, j: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) s += a[i * d + k] * b[j * d + k];
  return s;
}

/**
 * mean_i [ logsumexp(logits_i) − logits_i[pos] ] with logits_i = [â_i·p̂_j for the candidates j] ++ [â_i·n̂_k] / τ,
 * where the candidates are every j (positive at j = i) with inBatchNegatives, else only j = i.
 * anchors, positives: (n, d); negatives: (m, d), m ≥ 0.
 */
export function infoNCERef(
  anchors: ArrayLike<number>,
  positives: ArrayLike<number>,
  negatives: ArrayLike<number> | null,
  n: number,
  d: number,
  m: number,
  opts: InfoNCERefOptions,
): number {
  const eps = opts.eps ?? 1e-8;
  const inBatch = opts.inBatchNegatives ?? true;
  const a = normalizeRows(anchors, n, d, eps);
  const p = normalizeRows(positives, n, d, eps);
  const neg = normalizeRows(negatives ?? [], m, d, eps);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const logits: number[] = [];
    if (inBatch) for (let j = 0; j < n; j++) logits.push(dot(a, i, p, j, d) / opts.temperature);
    else logits.push(dot(a, i, p, i, d) / opts.temperature);
    for (let k = 0; k < m; k++) logits.push(dot(a, i, neg, k, d) / opts.temperature);
    const mx = Math.max(...logits);
    let s = 0;
    for (const l of logits) s += Math.exp(l - mx);
    total += mx + Math.log(s) - logits[inBatch ? i : 0];
  }
  return total / n;
}
