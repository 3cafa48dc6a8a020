// The PCA behind the demo's 3D view (src/app/eval/pca.ts), computed on the GPU with webgrad's ops, against a float64
// eigen-decomposition of the same covariance (cyclic Jacobi, below): directions, variances and projections, on fresh
// random data with planted, well-separated principal variances.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from './page';
import { RUN_SEED, rngFor } from './rng';
import { scenario } from './scenario';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

/** Eigenvalues and eigenvectors (columns of v, row-major d×d) of a symmetric matrix, by cyclic Jacobi rotations. */
function jacobiEigen(a: Float64Array, d: number): { values: number[]; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += m[p * d + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        if (Math.abs(m[p * d + q]) < 1e-300) continue;
        // The rotation in the (p, q) plane that zeroes m[p][q].
        const theta = (m[q * d + q] - m[p * d + p]) / (2 * m[p * d + q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const mkp = m[k * d + p];
          const mkq = m[k * d + q];
          m[k * d + p] = c * mkp - s * mkq;
          m[k * d + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < d; k++) {
          const mpk = m[p * d + k];
          const mqk = m[q * d + k];
          m[p * d + k] = c * mpk - s * mqk;
          m[q * d + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p];
          const vkq = v[k * d + q];
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Array.from({ length: d }, (_, i) => m[i * d + i]), vectors: v };
}

describe('PCA on the GPU (the 3D view of the decoupled spaces)', () => {
  it('finds the top principal directions, variances and projections of a float64 eigen-decomposition', async () => {
    const rng = rngFor('pca');
    const [n, d, k] = [157, 13, 3];
    // Rows: mean + Σ_j z_j σ_j q_j + small isotropic noise, with q a random orthonormal basis (Gram–Schmidt).
    const q: Float64Array[] = [];
    for (let j = 0; j < d; j++) {
      const c = rng.normal(d);
      for (const p of q) {
        const dot = p.reduce((s, v, i) => s + v * c[i], 0);
        for (let i = 0; i < d; i++) c[i] -= dot * p[i];
      }
      const norm = Math.hypot(...c);
      q.push(c.map((v) => v / norm));
    }
    const sigma = [4, 2.5, 1.5, ...Array(d - 3).fill(0.4)];
    const mu = rng.uniform(d, -3, 3);
    const x = new Float64Array(n * d);
    for (let r = 0; r < n; r++) {
      const z = rng.normal(d);
      for (let i = 0; i < d; i++) {
        let s = mu[i];
        for (let j = 0; j < d; j++) s += z[j] * sigma[j] * q[j][i];
        x[r * d + i] = Math.fround(s);
      }
    }
    const out = await scenario(page, 'pcaFit', { x: Array.from(x), n, d, k });

    // The float64 reference on the same (float32-rounded) rows.
    const mean = new Float64Array(d);
    for (let r = 0; r < n; r++) for (let i = 0; i < d; i++) mean[i] += x[r * d + i] / n;
    const cov = new Float64Array(d * d);
    for (let r = 0; r < n; r++)
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) cov[i * d + j] += ((x[r * d + i] - mean[i]) * (x[r * d + j] - mean[j])) / (n - 1);
    const { values, vectors } = jacobiEigen(cov, d);
    const order = values.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]);
    const what = `(WEBGRAD_SEED=${RUN_SEED})`;
    for (let j = 0; j < k; j++) {
      const [lambda, col] = order[j];
      expect(Math.abs(out.variances[j] - lambda) / lambda, `variance ${j} ${what}`).toBeLessThan(1e-4);
      const ref = Array.from({ length: d }, (_, i) => vectors[i * d + col]);
      const got = Array.from({ length: d }, (_, i) => out.basis[i * k + j]);
      // The sign convention: the largest entry of each direction is positive.
      const big = got.reduce((b, v) => (Math.abs(v) > Math.abs(b) ? v : b), 0);
      expect(big, `sign of direction ${j} ${what}`).toBeGreaterThan(0);
      const sign = Math.sign(ref.reduce((b, v) => (Math.abs(v) > Math.abs(b) ? v : b), 0));
      for (let i = 0; i < d; i++)
        expect(Math.abs(got[i] - sign * ref[i]), `basis[${i}][${j}] ${what}`).toBeLessThan(1e-4);
      for (let r = 0; r < n; r++) {
        let p = 0;
        for (let i = 0; i < d; i++) p += (x[r * d + i] - mean[i]) * sign * ref[i];
        expect(Math.abs(out.projection[r * k + j] - p), `projection[${r}][${j}] ${what}`).toBeLessThan(1e-3 * sigma[0]);
      }
    }
    expect(out.leaked, 'buffers left alive by fit + project + dispose').toBe(0);
    expect(out.badInput).toMatch(/^WebgradError: .*fitPca.*x must be \(N, d\)/);
  });
});
