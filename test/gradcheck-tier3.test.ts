// Tier 3's acceptance rule (test/gradcheck.ts, fdAgrees): a gradient against float32 central differences at steps h
// and h/2. The rule widens by the two differences' disagreement, so it must still reject wrong gradients where the
// differences agree, and accept right ones where curvature or rounding throws the difference at h off. Node only.

import { describe, expect, it } from 'vitest';
import { DEFAULT_TOL, fdAgrees } from './gradcheck';

const central = (f: (x: number) => number, x: number, h: number) => (f(x + h) - f(x - h)) / (2 * h);
const tol = DEFAULT_TOL; // fdEps 1e-2: the step h at |x| ≤ 1
const h = tol.fdEps;

describe('tier 3 acceptance (fdAgrees)', () => {
  it('a smooth function: accepts the true gradient, rejects one 10% off', () => {
    const f = (x: number) => x ** 3;
    const x0 = 0.3;
    const [d, dHalf] = [central(f, x0, h), central(f, x0, h / 2)];
    expect(fdAgrees(3 * x0 ** 2, d, dHalf, tol, 1)).toBe(true);
    expect(fdAgrees(1.1 * 3 * x0 ** 2, d, dHalf, tol, 1)).toBe(false);
  });

  it('sharp curvature (1/x at x = 0.02, where D(h) is 33% off): accepts the true gradient, rejects half of it', () => {
    const f = (x: number) => 1 / x;
    const x0 = 0.02;
    const [d, dHalf] = [central(f, x0, h), central(f, x0, h / 2)];
    const truth = -1 / x0 ** 2; // −2500; D(h) = −3333, D(h/2) = −2667
    expect(fdAgrees(truth, d, dHalf, tol, Math.abs(truth))).toBe(true);
    expect(fdAgrees(truth / 2, d, dHalf, tol, Math.abs(truth))).toBe(false);
    // Without the h/2 estimate (as if both differences agreed), the true gradient would be rejected.
    expect(fdAgrees(truth, d, d, tol, Math.abs(truth))).toBe(false);
  });

  it('rounding noise: two noisy differences widen the allowance by their disagreement only', () => {
    // A zero gradient seen through noise of ±0.05 at both steps.
    expect(fdAgrees(0, 0.05, -0.03, tol, 1)).toBe(true);
    expect(fdAgrees(0.3, 0.05, -0.03, tol, 1)).toBe(false);
  });
});
