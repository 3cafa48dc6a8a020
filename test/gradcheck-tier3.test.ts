// Tier 3's acceptance rule (test/gradcheck.ts, fdAgrees): a gradient against float32 central differences at steps h
// and h/2. The rule widens by the two differences' disagreement, so it must still reject wrong gradients where the
// differences agree, and accept right ones where curvature or rounding throws the difference at h off. Node only.

import { describe, expect, it } from 'vitest';
import { DEFAULT_TOL, fdAgrees, tier3CanJudge } from './gradcheck';

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

  // The elements tier 3 perturbs are screened through the float64 reference first (tier3CanJudge): where even exact
  // differences at h and h/2 fail the rule, a kink lies inside the step and the element is redrawn. Before the
  // screening, WEBGRAD_SEED=667670895 failed club.test.ts's estimator check that way (GPU 0.00302, float32 differences
  // 0.00650 at h and 0.00492 at h/2, a ReLU of the estimator's heads crossing 0 inside the step).
  it('screening: a kink inside the step cannot be judged, one outside it or a smooth function can', () => {
    const at = (f: (x: number) => number) => (xs: Float64Array[]) => f(xs[0][0]);
    const relu = (c: number) => at((x) => Math.max(0, x - c));
    const x = (v: number) => [Float64Array.of(v)];
    // relu(x − 0.002) at 0: truth 0, D(h) = 0.4, D(h/2) = 0.3 — their disagreement (0.1) cannot explain 0.4.
    expect(tier3CanJudge(relu(0.002), x(0), 0, 0, tol)).toBe(false);
    expect(fdAgrees(0, 0.4, 0.3, tol, 1)).toBe(false); // so a right gradient would have failed tier 3 there
    expect(tier3CanJudge(relu(0.02), x(0), 0, 0, tol)).toBe(true); // the kink is beyond x ± h
    expect(
      tier3CanJudge(
        at((v) => v ** 3),
        x(0.3),
        0,
        0,
        tol,
      ),
    ).toBe(true);
    expect(
      tier3CanJudge(
        at((v) => 1 / v),
        x(0.02),
        0,
        0,
        tol,
      ),
    ).toBe(true); // sharp, but smooth
  });
});
