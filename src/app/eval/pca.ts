// Principal components on the GPU, with webgrad's own ops: the covariance is one matmul, its top-k eigenvectors come
// from subspace iteration (V ← C·V, then Gram–Schmidt), and projecting is a second matmul. Only the k×d basis and k
// variances are read back. The demo uses it to draw DAR's decoupled spaces in 3D (src/app/demo/space-view.ts).
//
// Why subspace iteration: C is small (d×d, d = the model width) and only 3 components are wanted, so a few dozen
// products C·V (d×d · d×k) converge to the top eigenvectors at the rate (λ_{k+1}/λ_k)^iters, with nothing but ops the
// engine has. Gram–Schmidt keeps the k columns orthonormal after each product, so they do not all collapse onto the
// first eigenvector.

import { noGrad, tidy, type Tensor } from '../../engine/tensor';
import { matmul } from '../../engine/ops/matmul';
import { div, mul, mulScalar, sqrt, sub } from '../../engine/ops/elementwise';
import { mean, sum } from '../../engine/ops/reduce';
import { concat, slice } from '../../engine/ops/shape';
import { randn, tensor } from '../../engine/creation';
import { check } from '../../engine/errors';

/** A fitted PCA: x ↦ (x − mean)·basis. Dispose it when done (it holds two GPU tensors). */
export interface PcaFit {
  /** The mean of the rows it was fitted on, (1, d). */
  readonly mean: Tensor;
  /** The top-k principal directions as columns, (d, k), orthonormal; each column's largest entry is positive. */
  readonly basis: Tensor;
  /** The variance along each direction (the eigenvalues of the covariance), largest first. */
  readonly variances: number[];
  dispose(): void;
}

/** Orthonormal columns spanning the same leading subspace as v's (modified Gram–Schmidt). v: (d, k). */
function orthonormalize(v: Tensor): Tensor {
  const k = v.shape[1];
  const qs: Tensor[] = [];
  for (let j = 0; j < k; j++) {
    let c = slice(v, 1, j, j + 1); // (d, 1)
    for (const q of qs) c = sub(c, mul(q, sum(mul(q, c)))); // remove its part along each earlier column
    qs.push(div(c, sqrt(sum(mul(c, c)))));
  }
  return concat(qs, 1);
}

/**
 * Fits a k-component PCA to the rows of x (N, d) on the GPU. `iters` subspace iterations (default 60) from a fixed
 * random start, so the same x gives the same basis every time.
 */
export async function fitPca(x: Tensor, k = 3, iters = 60): Promise<PcaFit> {
  check(x.rank === 2, 'fitPca', `x must be (N, d), got rank ${x.rank}`, [x.shape]);
  const [n, d] = x.shape;
  check(n >= 2 && k >= 1 && k <= d, 'fitPca', `needs N ≥ 2 rows and 1 ≤ k ≤ d, got N=${n}, d=${d}, k=${k}`, [x.shape]);
  const { mu, basis, lambda } = noGrad(() =>
    tidy(() => {
      const mu = mean(x, 0, true); //                                                  (1, d)
      const xc = sub(x, mu); //                                                         (N, d)
      const cov = mulScalar(matmul(xc, xc, { transA: true }), 1 / (n - 1)); //          (d, d)
      let v = orthonormalize(randn([d, k], { seed: 20261207 })); //                     (d, k)
      for (let i = 0; i < iters; i++) v = tidy(() => orthonormalize(matmul(cov, v)));
      const lambda = sum(mul(v, matmul(cov, v)), 0); //                                 (k): vᵀCv per column
      return { mu, basis: v, lambda };
    }),
  );
  const [vals, vecs] = await Promise.all([lambda.toArray(), basis.toArray()]);
  lambda.dispose();
  // Subspace iteration returns the columns in order of their eigenvalues already; fix each column's sign so that its
  // largest entry is positive, so a refit of the same data draws the same picture.
  const signs = Array.from({ length: k }, (_, j) => {
    let best = 0;
    for (let i = 0; i < d; i++) if (Math.abs(vecs[i * k + j]) > Math.abs(best)) best = vecs[i * k + j];
    return best < 0 ? -1 : 1;
  });
  const signed = noGrad(() => tidy(() => mul(basis, tensor(signs, [1, k]))));
  basis.dispose();
  return {
    mean: mu,
    basis: signed,
    variances: Array.from(vals),
    dispose() {
      mu.dispose();
      signed.dispose();
    },
  };
}

/** The rows of x (N, d) in the fitted components' coordinates: (N, k). */
export function projectPca(fit: PcaFit, x: Tensor): Tensor {
  check(
    x.rank === 2 && x.shape[1] === fit.mean.shape[1],
    'projectPca',
    `x must be (N, ${fit.mean.shape[1]}), the width the PCA was fitted on`,
    [x.shape, fit.mean.shape],
  );
  return noGrad(() => tidy(() => matmul(sub(x, fit.mean), fit.basis)));
}
