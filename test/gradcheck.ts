// The three-tier gradient check (docs/ARCHITECTURE.md, "How to add an op"):
//   1. GPU forward            vs the float64 CPU reference;
//   2. GPU gradient           vs central finite differences of the float64 reference (h = 1e-6);
//   3. GPU gradient           vs float32 finite differences on the GPU, end to end.
// Every tier reduces the output with random weights, L = Σ w ⊙ f(x), so errors cannot cancel the way they can under sum().

import { expect } from 'vitest';
import type { TestPage } from './page';
import { RUN_SEED, rngFor, type Rng } from './rng';
import type { CaseSpec } from './page/gradcase';

/** A float64 reference: the op's output (flat, row-major) and its shape. */
export type Reference = (xs: Float64Array[], attrs: any) => { data: Float64Array; shape: number[] };

export interface InputSpec {
  shape: number[];
  /** How to draw values (default uniform in [-1, 1]). */
  gen?: (rng: Rng, n: number) => Float64Array;
  /** Set false for inputs that are not differentiable (indices, masks). */
  grad?: boolean;
}

export interface Tolerances {
  /** Forward: |gpu − ref| ≤ atol·scale + rtol·|ref|, scale = max |ref| (at least 1). */
  fwdRtol: number;
  fwdAtol: number;
  /** Tier 2: GPU gradient vs float64 finite differences. */
  gradRtol: number;
  gradAtol: number;
  /** Tier 3: GPU gradient vs float32 finite differences. */
  fdRtol: number;
  fdAtol: number;
  /** Relative step of the float32 finite differences. */
  fdEps: number;
  /** How many elements per input tier 3 perturbs; tier 2 checks every element up to `refFdMax`, else a sample. */
  fdCount: number;
  refFdMax: number;
}

export const DEFAULT_TOL: Tolerances = {
  fwdRtol: 1e-4,
  fwdAtol: 1e-5,
  gradRtol: 1e-3,
  gradAtol: 1e-4,
  fdRtol: 2e-2,
  fdAtol: 2e-3,
  fdEps: 1e-2,
  fdCount: 3,
  refFdMax: 300,
};

export interface GradCheck {
  op: string;
  attrs?: unknown;
  inputs: InputSpec[];
  ref: Reference;
  tol?: Partial<Tolerances>;
  /** Fixed input data instead of generated (e.g. integer indices). */
  data?: (Float64Array | undefined)[];
}

function closeEnough(got: number, want: number, rtol: number, atol: number): boolean {
  return Math.abs(got - want) <= atol + rtol * Math.abs(want);
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/**
 * Tier 3's acceptance of one gradient element g against the float32 central differences at step h (fd) and h/2
 * (fdHalf): within fdRtol·|fd| + fdAtol·fdScale, plus h² (the truncation floor) and 1.5·|fd − fdHalf| (the
 * difference's own error, estimated from the two steps; see gradcheck).
 */
export function fdAgrees(g: number, fd: number, fdHalf: number, tol: Tolerances, fdScale: number): boolean {
  return closeEnough(g, fd, tol.fdRtol, tol.fdAtol * fdScale + tol.fdEps ** 2 + 1.5 * Math.abs(fd - fdHalf));
}

/** Runs all three tiers for one op on one set of shapes; fails the calling test with the seed and the worst element. */
export async function gradcheck(page: TestPage, c: GradCheck): Promise<void> {
  const tol = { ...DEFAULT_TOL, ...c.tol };
  const label = `${c.op}${c.attrs ? ` ${JSON.stringify(c.attrs)}` : ''} on ${c.inputs.map((x) => `[${x.shape}]`).join(' ')} (WEBGRAD_SEED=${RUN_SEED})`;
  const rng = rngFor(label);
  const xs = c.inputs.map((x, i) => c.data?.[i] ?? (x.gen ?? ((r: Rng, n: number) => r.uniform(n)))(rng, x.shape.reduce((a, b) => a * b, 1)));
  const ref = c.ref(xs, c.attrs);
  const w = rng.uniform(ref.data.length, -1, 1);
  const wantsGrad = c.inputs.map((x) => x.grad !== false);
  const fdIndices = xs.map((x, i) => (wantsGrad[i] ? rng.sample(x.length, tol.fdCount) : []));

  const res = await page.call('gradcase', {
    op: c.op,
    attrs: c.attrs,
    inputs: c.inputs.map((x, i) => ({ shape: x.shape, data: Array.from(xs[i]), grad: wantsGrad[i] })),
    weights: Array.from(w),
    fdIndices,
    fdEps: tol.fdEps,
  });

  // Tier 1: forward.
  expect(res.outShape, `${label}: output shape`).toEqual(ref.shape);
  const scale = Math.max(1, maxAbs(ref.data));
  for (let i = 0; i < ref.data.length; i++) {
    if (!closeEnough(res.out[i], ref.data[i], tol.fwdRtol, tol.fwdAtol * scale)) {
      expect.fail(`${label}: forward[${i}] = ${res.out[i]}, reference ${ref.data[i]}`);
    }
  }

  // L(x) in float64 through the reference.
  const lossAt = (inputs: Float64Array[]): number => {
    const y = c.ref(inputs, c.attrs).data;
    let l = 0;
    for (let i = 0; i < y.length; i++) l += w[i] * y[i];
    return l;
  };

  // Float32 finite-difference noise is set by the loss's rounding, not by one input's gradient, so tier 3 measures
  // errors against the largest gradient of any input; tier 2 (float64) keeps each input's own, tighter scale.
  const fdScale = Math.max(1e-3, ...res.grads.map((g) => (g ? maxAbs(g) : 0)));

  for (let i = 0; i < xs.length; i++) {
    if (!wantsGrad[i]) continue;
    const g = res.grads[i]!;
    expect(g.length, `${label}: gradient length of input ${i}`).toBe(xs[i].length);
    const gscale = Math.max(1e-3, maxAbs(g));

    // Tier 2: float64 finite differences of the reference.
    const idx = xs[i].length <= tol.refFdMax ? [...xs[i].keys()] : rng.sample(xs[i].length, tol.refFdMax);
    for (const j of idx) {
      const h = 1e-6 * Math.max(1, Math.abs(xs[i][j]));
      const p = xs.map((x) => x.slice());
      const m = xs.map((x) => x.slice());
      p[i][j] += h;
      m[i][j] -= h;
      const want = (lossAt(p) - lossAt(m)) / (p[i][j] - m[i][j]);
      if (!closeEnough(g[j], want, tol.gradRtol, tol.gradAtol * gscale)) {
        expect.fail(`${label}: d/dx${i}[${j}] = ${g[j]} on the GPU, float64 finite difference ${want}`);
      }
    }

    // Tier 3: float32 finite differences on the GPU. Besides rounding, a central difference with step h is off by
    // about h²·|f'''|/6 whatever the gradient's size (x³ near 0: gradient 3x² ≈ 0, difference 3x² + h²), so the
    // allowance also has an absolute h² term; it is negligible next to gradients of ordinary size. Where the function
    // is sharply curved at the sample (a LayerNorm row of nearly equal values) or the loss's rounding is large next
    // to the step (inputs far from zero), the difference itself is off by more: its error is estimated from the same
    // difference at h/2 (truncation shrinks 4×, rounding noise doubles, so 1.5·|D(h) − D(h/2)| bounds D(h)'s error).
    // A wrong gradient still fails: there D(h) and D(h/2) agree with each other and not with it.
    for (const [j, fd, fdHalf] of res.fd[i]) {
      if (!fdAgrees(g[j], fd, fdHalf, tol, fdScale)) {
        expect.fail(`${label}: d/dx${i}[${j}] = ${g[j]} on the GPU, float32 GPU finite difference ${fd} (${fdHalf} at half the step)`);
      }
    }
  }
}

/**
 * gradcase, with the outputs as strings: NaN and ±Infinity do not survive the JSON trip out of the page (they arrive as
 * null), so tests of non-finite results read them as text. Gradients come back as their lengths.
 */
export async function gradcaseAsText(page: TestPage, spec: CaseSpec): Promise<{ out: string[]; gradLengths: (number | null)[] }> {
  return page.page.evaluate(`globalThis.harness.gradcase(${JSON.stringify(spec)})
    .then((r) => ({ out: Array.from(r.out, String), gradLengths: r.grads.map((g) => (g === null ? null : g.length)) }))`) as never;
}

/** Asserts that calling `op` on these shapes throws a WebgradError naming the op, before any GPU work. */
export async function expectShapeError(page: TestPage, op: string, shapes: number[][], attrs?: unknown, mentions?: string): Promise<void> {
  const r = await page.call('tryOp', op, shapes, attrs ?? null);
  expect(r.threw, `${op} on ${JSON.stringify(shapes)} should throw`).toBe(true);
  expect(r.name, `${op}: error class (message: ${r.message})`).toBe('WebgradError');
  expect(r.message).toContain(mentions ?? op);
  expect(r.dispatches, `${op}: GPU work recorded before the error`).toBe(0);
}
