// float64 CPU references for the CLUB losses (tests and benchmarks). The upper bound is written the obvious way,
// every (i, j) pair explicitly, O(N²·T·D), so it checks the kernels' batch-moment expansion rather than repeating it.
//
// Shapes: mu, logvar, y all (N, D), or (N, T, D) for sequences; (N, D) is treated as T = 1.

function dims(shape: readonly number[]): { n: number; t: number; d: number } {
  if (shape.length === 2) return { n: shape[0], t: 1, d: shape[1] };
  if (shape.length === 3) return { n: shape[0], t: shape[1], d: shape[2] };
  throw new Error(`CLUB reference: rank ${shape.length}, expected (N, D) or (N, T, D)`);
}

/** (1/(N·T)) Σ_{i,t} Σ_d [ −(μ − y)² / exp(logvar) − logvar ]: the estimator's (unnormalised) log-likelihood. */
export function clubLogLikelihoodRef(
  mu: ArrayLike<number>,
  logvar: ArrayLike<number>,
  y: ArrayLike<number>,
  shape: readonly number[],
): number {
  const { n, t } = dims(shape);
  let s = 0;
  for (let e = 0; e < mu.length; e++) s += -((mu[e] - y[e]) ** 2) / Math.exp(logvar[e]) - logvar[e];
  return s / (n * t);
}

/**
 * (1/N) Σ_i [ ℓ(i,i) − (1/N) Σ_j ℓ(i,j) ], ℓ(i,j) = mean_t Σ_d −(y_{j,t,d} − μ_{i,t,d})² / (2·exp(logvar_{i,t,d})).
 */
export function clubUpperBoundRef(
  mu: ArrayLike<number>,
  logvar: ArrayLike<number>,
  y: ArrayLike<number>,
  shape: readonly number[],
): number {
  const { n, t, d } = dims(shape);
  const row = t * d;
  const ell = (i: number, j: number): number => {
    let s = 0;
    for (let c = 0; c < row; c++) s -= (y[j * row + c] - mu[i * row + c]) ** 2 / (2 * Math.exp(logvar[i * row + c]));
    return s / t;
  };
  let total = 0;
  for (let i = 0; i < n; i++) {
    let neg = 0;
    for (let j = 0; j < n; j++) neg += ell(i, j);
    total += ell(i, i) - neg / n;
  }
  return total / n;
}
