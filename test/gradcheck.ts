// The three-tier gradient check (docs/ARCHITECTURE.md, "How to add an op"):
//   1. GPU forward            vs the float64 CPU reference;
//   2. GPU gradient           vs central finite differences of the float64 reference (h = 1e-6);
//   3. GPU gradient           vs float32 finite differences on the GPU, end to end.
// Every tier reduces the output with random weights, L = Σ w ⊙ f(x), so errors cannot cancel the way they can under sum().

import { expect } from 'vitest';
import type { TestPage } from './page';
import { RUN_SEED, rngFor, type Rng } from './rng';
import type { CaseSpec } from './page/gradcase';
import type { AttrsOf, InputsOf, OpName } from './ops/pages';

/**
 * One entry per input of op K: as many as its page entry declares ([Tensor, Tensor] → [T, T]); where inputs are
 * optional or variadic, at least the required ones ([Tensor, Tensor, Tensor?] → [T, T, ...T[]]), so that a test may
 * build them with a conditional spread.
 */
type PerInput<K extends OpName, T> = Each<InputsOf<K>, T>;
type Each<Tuple, T> = Tuple extends [] ? [] : Tuple extends [unknown, ...infer Rest] ? [T, ...Each<Rest, T>] : T[];

/** A float64 reference: the op's output (flat, row-major) and its shape. */
export type Reference<K extends OpName> = (xs: PerInput<K, Float64Array>, attrs: AttrsOf<K>) => RefOutput;
export interface RefOutput {
  data: Float64Array;
  shape: number[];
}

/** The `attrs` field op K takes: none, optional, or required, as its page entry declares (or Also, where allowed). */
type AttrsField<A, Also = never> = [A] extends [never]
  ? { attrs?: Also }
  : undefined extends A
    ? { attrs?: A | Also }
    : { attrs: A | Also };

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

/** An op and the attrs it takes, one alternative per op of K: a table of cases over several ops has this type. */
export type OpWithAttrs<K extends OpName> = { [P in K]: { op: P } & AttrsField<AttrsOf<P>> }[K];

/** One gradient check of op K: a misspelt op, attrs it does not take or the wrong number of inputs fail to compile. */
export type GradCheck<K extends OpName> = AttrsField<AttrsOf<K>> & {
  op: K;
  inputs: PerInput<K, InputSpec>;
  ref: Reference<K>;
  tol?: Partial<Tolerances>;
  /** Fixed input data instead of generated (e.g. integer indices). */
  data?: (Float64Array | undefined)[];
};

/** What the body below works with: the same check with its op's types erased (each was checked at the call). */
interface ErasedCheck {
  op: OpName;
  attrs?: unknown;
  inputs: InputSpec[];
  ref: (xs: Float64Array[], attrs: unknown) => RefOutput;
  tol?: Partial<Tolerances>;
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

/**
 * Whether tier 3 can judge element j of input i at all. In exact arithmetic through the reference, the central
 * differences at the page's steps h and h/2 must pass tier 3's own rule against the true derivative (a 1e-6 step).
 * Smooth functions always do (the h/2 difference estimates the truncation); where they do not, the step straddles a
 * kink — a ReLU's pre-activation crossing 0 between x − h and x + h — and no float32 difference at those steps can
 * agree with a right gradient. Decided from the reference alone, before any GPU work, so a wrong GPU gradient cannot
 * make its element drop out.
 */
export function tier3CanJudge(
  lossAt: (xs: Float64Array[]) => number,
  xs: Float64Array[],
  i: number,
  j: number,
  tol: Tolerances,
): boolean {
  // The page holds every input in float32: a tie there (maximum(x, x)) is a tie here only with the same rounding.
  const base = xs.map((x) => x.map(Math.fround));
  const x0 = base[i][j];
  const central = (h: number) => {
    const p = base.map((x) => x.slice());
    const m = base.map((x) => x.slice());
    p[i][j] = x0 + h;
    m[i][j] = x0 - h;
    return (lossAt(p) - lossAt(m)) / (2 * h);
  };
  const scale = Math.max(1, Math.abs(x0));
  const truth = central(1e-6 * scale);
  const h = tol.fdEps * scale;
  return fdAgrees(truth, central(h), central(h / 2), tol, Math.max(1e-3, Math.abs(truth)));
}

/** Runs all three tiers for one op on one set of shapes; fails the calling test with the seed and the worst element. */
export async function gradcheck<K extends OpName>(page: TestPage, check: GradCheck<K>): Promise<void> {
  // The types tie the op, its inputs, attrs and reference together at the call; the body needs none of that.
  const c = check as unknown as ErasedCheck;
  const tol = { ...DEFAULT_TOL, ...c.tol };
  const label = `${c.op}${c.attrs ? ` ${JSON.stringify(c.attrs)}` : ''} on ${c.inputs.map((x) => `[${x.shape}]`).join(' ')} (WEBGRAD_SEED=${RUN_SEED})`;
  const rng = rngFor(label);
  const xs = c.inputs.map(
    (x, i) =>
      c.data?.[i] ??
      (x.gen ?? ((r: Rng, n: number) => r.uniform(n)))(
        rng,
        x.shape.reduce((a, b) => a * b, 1),
      ),
  );
  const ref = c.ref(xs, c.attrs);
  const w = rng.uniform(ref.data.length, -1, 1);
  const wantsGrad = c.inputs.map((x) => x.grad !== false);
  // L(x) in float64 through the reference.
  const lossAt = (inputs: Float64Array[]): number => {
    const y = c.ref(inputs, c.attrs).data;
    let l = 0;
    for (let i = 0; i < y.length; i++) l += w[i] * y[i];
    return l;
  };
  // Tier 3's elements: a fresh sample, minus those the reference shows it cannot judge (a kink inside the step),
  // redrawn from a generator of their own so that a seed without such an element draws what it always drew.
  const redraw = rngFor(`${label} tier 3 redraw`);
  const fdIndices = xs.map((x, i) => {
    if (!wantsGrad[i]) return [];
    const drawn = rng.sample(x.length, tol.fdCount);
    const picked = drawn.filter((j) => tier3CanJudge(lossAt, xs, i, j, tol));
    for (let tries = 0; picked.length < Math.min(tol.fdCount, x.length) && tries < 8 * tol.fdCount; tries++) {
      const j = redraw.int(x.length);
      if (!picked.includes(j) && tier3CanJudge(lossAt, xs, i, j, tol)) picked.push(j);
    }
    // Where the screen finds nothing (inputs built to sit on kinks, such as ties), tier 3 checks what it drew.
    return picked.length > 0 ? picked : drawn;
  });

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
        expect.fail(
          `${label}: d/dx${i}[${j}] = ${g[j]} on the GPU, float32 GPU finite difference ${fd} (${fdHalf} at half the step)`,
        );
      }
    }
  }
}

/** A gradcase of op K as test/page/gradcase.ts runs it; attrs as gradcheck takes them, or untyped(). */
export type Case<K extends OpName> = Omit<CaseSpec, 'op' | 'attrs'> & { op: K } & AttrsField<AttrsOf<K>, Untyped>;

/** One gradcase in the page, for tests that check its outputs or gradients themselves (no tiers). */
export function gradcase<K extends OpName>(page: TestPage, spec: Case<K>) {
  return page.call('gradcase', spec);
}

/**
 * gradcase, with the outputs as strings: NaN and ±Infinity do not survive the JSON trip out of the page (they arrive as
 * null), so tests of non-finite results read them as text. Gradients come back as their lengths.
 */
export async function gradcaseAsText<K extends OpName>(
  page: TestPage,
  spec: Case<K>,
): Promise<{ out: string[]; gradLengths: (number | null)[] }> {
  return page.page.evaluate<
    [],
    () => { out: string[]; gradLengths: (number | null)[] }
  >(`globalThis.harness.gradcase(${JSON.stringify(spec)})
    .then((r) => ({ out: Array.from(r.out, String), gradLengths: r.grads.map((g) => (g === null ? null : g.length)) }))`);
}

/** Input shapes for op K, one per input, and then its attrs and the text the error must mention. */
export type ShapeErrorArgs<K extends OpName> = [
  shapes: PerInput<K, number[]>,
  ...rest: [AttrsOf<K>] extends [never]
    ? [attrs?: undefined, mentions?: string]
    : undefined extends AttrsOf<K>
      ? [attrs?: AttrsOf<K> | Untyped, mentions?: string]
      : [attrs: AttrsOf<K> | Untyped, mentions?: string],
];

/**
 * Attrs the compiler cannot check: of the wrong type on purpose, for a test that a JavaScript caller (who has no type
 * checker) is refused (`untyped({ transA: 'yes' })`), or read from a fixture file. expectShapeError, tryOp, gradcase
 * and gradcaseAsText take them; gradcheck does not.
 */
declare const untypedBrand: unique symbol;
export type Untyped = { readonly [untypedBrand]: true };
export const untyped = (attrs: object): Untyped => attrs as Untyped;

/** Calls op K on zero tensors of these shapes in the page; reports whether it threw, what, and the GPU work before. */
export function tryOp<K extends OpName>(page: TestPage, op: K, ...args: ShapeErrorArgs<K>) {
  const [shapes, attrs] = args as unknown as [number[][], unknown?]; // checked at the call; the page takes plain JSON
  return page.call('tryOp', op, shapes, attrs ?? null);
}

/** Asserts that calling `op` on these shapes throws a WebgradError naming the op, before any GPU work. */
export async function expectShapeError<K extends OpName>(
  page: TestPage,
  op: K,
  ...args: ShapeErrorArgs<K>
): Promise<void> {
  const [, , mentions] = args;
  const r = await tryOp(page, op, ...args);
  expect(r.threw, `${op} on ${JSON.stringify(args[0])} should throw`).toBe(true);
  expect(r.name, `${op}: error class (message: ${r.message})`).toBe('WebgradError');
  expect(r.message).toContain(mentions ?? op);
  expect(r.dispatches, `${op}: GPU work recorded before the error`).toBe(0);
}
