// The probes' arithmetic (./probes.ts), on the CPU in float64: cross-modal top-1 retrieval, ridge-regression probes
// with held-out R², and a held-out Gaussian mutual-information estimate. Features are row-major (n, d) arrays.

/** Cross-modal top-1 accuracy by cosine similarity among blocks of `block` consecutive samples, over ordered pairs. */
export function topOne(feats: Float64Array[], n: number, d: number, block: number): number {
  const unit = feats.map((x) => {
    const u = new Float64Array(x.length);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let q = 0; q < d; q++) s += x[i * d + q] ** 2;
      const r = 1 / Math.max(Math.sqrt(s), 1e-8);
      for (let q = 0; q < d; q++) u[i * d + q] = x[i * d + q] * r;
    }
    return u;
  });
  let hits = 0;
  let total = 0;
  for (let a = 0; a < unit.length; a++)
    for (let b = 0; b < unit.length; b++) {
      if (a === b) continue;
      for (let s = 0; s < n; s += block) {
        const e = Math.min(n, s + block);
        for (let i = s; i < e; i++) {
          let best = -Infinity;
          let arg = -1;
          for (let j = s; j < e; j++) {
            let dot = 0;
            for (let q = 0; q < d; q++) dot += unit[a][i * d + q] * unit[b][j * d + q];
            if (dot > best) [best, arg] = [dot, j];
          }
          hits += arg === i ? 1 : 0;
          total++;
        }
      }
    }
  return hits / total;
}

/** Columns standardised with the mean and std of rows [0, fit): (n, p) row-major. */
function standardise(x: Float64Array, n: number, p: number, fit: number): Float64Array {
  const out = new Float64Array(n * p);
  for (let q = 0; q < p; q++) {
    let m = 0;
    for (let i = 0; i < fit; i++) m += x[i * p + q];
    m /= fit;
    let v = 0;
    for (let i = 0; i < fit; i++) v += (x[i * p + q] - m) ** 2;
    const s = Math.sqrt(v / fit) || 1;
    for (let i = 0; i < n; i++) out[i * p + q] = (x[i * p + q] - m) / s;
  }
  return out;
}

/** Solves (A + λI) W = B for symmetric positive definite A (p, p) and B (p, k) by Cholesky; W (p, k). */
function ridgeSolve(A: Float64Array, B: Float64Array, p: number, k: number, lambda: number): Float64Array {
  const L = new Float64Array(p * p);
  for (let i = 0; i < p; i++)
    for (let j = 0; j <= i; j++) {
      let s = A[i * p + j] + (i === j ? lambda : 0);
      for (let q = 0; q < j; q++) s -= L[i * p + q] * L[j * p + q];
      L[i * p + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / L[j * p + j];
    }
  const W = new Float64Array(p * k);
  for (let c = 0; c < k; c++) {
    const y = new Float64Array(p); //  L y = b, then Lᵀ w = y
    for (let i = 0; i < p; i++) {
      let s = B[i * k + c];
      for (let q = 0; q < i; q++) s -= L[i * p + q] * y[q];
      y[i] = s / L[i * p + i];
    }
    for (let i = p - 1; i >= 0; i--) {
      let s = y[i];
      for (let q = i + 1; q < p; q++) s -= L[q * p + i] * W[q * k + c];
      W[i * k + c] = s / L[i * p + i];
    }
  }
  return W;
}

/** Ridge regression of y (n, k) on x (n, p), both standardised on rows [0, fit); the held-out residuals (n − fit, k). */
function heldOutResiduals(x: Float64Array, y: Float64Array, n: number, p: number, k: number, fit: number) {
  const xs = standardise(x, n, p, fit);
  const ys = standardise(y, n, k, fit);
  const A = new Float64Array(p * p);
  const B = new Float64Array(p * k);
  for (let i = 0; i < fit; i++)
    for (let a = 0; a < p; a++) {
      const xa = xs[i * p + a];
      for (let b = 0; b < p; b++) A[a * p + b] += xa * xs[i * p + b];
      for (let c = 0; c < k; c++) B[a * k + c] += xa * ys[i * k + c];
    }
  const W = ridgeSolve(A, B, p, k, 1); // λ = 1 on standardised features: mild, keeps 32 features on ~115 rows stable
  const m = n - fit;
  const res = new Float64Array(m * k);
  const held = ys.subarray(fit * k);
  for (let i = 0; i < m; i++)
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let a = 0; a < p; a++) s += xs[(fit + i) * p + a] * W[a * k + c];
      res[i * k + c] = held[i * k + c] - s;
    }
  return { res, held, m };
}

/** R² on rows [fit, n) of a ridge regression of y (n) on x (n, p) fitted on rows [0, fit). */
export function heldOutR2(x: Float64Array, y: Float64Array, n: number, p: number, fit: number): number {
  const { res, held, m } = heldOutResiduals(x, y, n, p, 1, fit);
  const mu = held.reduce((a, b) => a + b, 0) / m;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < m; i++) {
    ssRes += res[i] ** 2;
    ssTot += (held[i] - mu) ** 2;
  }
  return 1 - ssRes / ssTot;
}

/**
 * Variance of the independent noise added to every standardised feature before the MI is measured. Features that are
 * nearly collapsed (all samples' vectors almost parallel) have nearly singular covariances, whose log-determinants
 * differ without bound; with the noise the MI is finite (≤ ½·k·ln(1 + 1/MI_NOISE) nats for k features) and measures
 * only structure above that floor.
 */
export const MI_NOISE = 0.1;

/** log det of (the covariance of rows (m, k) + MI_NOISE·I), by Cholesky. */
function logDetCov(x: Float64Array, m: number, k: number): number {
  const mu = new Float64Array(k);
  for (let i = 0; i < m; i++) for (let c = 0; c < k; c++) mu[c] += x[i * k + c] / m;
  const C = new Float64Array(k * k);
  for (let i = 0; i < m; i++)
    for (let a = 0; a < k; a++)
      for (let b = 0; b < k; b++) C[a * k + b] += ((x[i * k + a] - mu[a]) * (x[i * k + b] - mu[b])) / m;
  let logDet = 0;
  const L = new Float64Array(k * k);
  for (let i = 0; i < k; i++)
    for (let j = 0; j <= i; j++) {
      let s = C[i * k + j] + (i === j ? MI_NOISE : 0);
      for (let q = 0; q < j; q++) s -= L[i * k + q] * L[j * k + q];
      if (i === j) {
        L[i * k + i] = Math.sqrt(Math.max(s, 1e-12));
        logDet += 2 * Math.log(L[i * k + i]);
      } else L[i * k + j] = s / L[j * k + j];
    }
  return logDet;
}

/**
 * Held-out Gaussian I(x; y) in nats, y standardised and with MI_NOISE added: ½ log det (Σ(y) + εI) − ½ log det
 * (Σ(y − ŷ(x)) + εI) on rows [fit, n), ŷ the ridge regression fitted on rows [0, fit); x, y (n, d).
 */
export function heldOutGaussianMi(x: Float64Array, y: Float64Array, n: number, d: number, fit: number): number {
  const { res, held, m } = heldOutResiduals(x, y, n, d, d, fit);
  return 0.5 * (logDetCov(held, m, d) - logDetCov(res, m, d));
}
