// CLUB (Cheng et al. 2020, "CLUB: A Contrastive Log-ratio Upper Bound of Mutual Information"), the two losses DAR's
// L_diff needs (docs/models.md §6.4), fused: two launches forward (per-column partial sums over the batch, then their
// total) and one elementwise launch backward that writes the gradients to mu, logvar and y together. When T·D is
// divisible by 4 (DAR's 8·128) the kernels take four columns per invocation with vec4 loads (1.7-1.9× faster on
// SwiftShader).
//
// mu and logvar come from the variational network q(y|x) = N(μ(x), exp(logvar(x))); y is the other variable. All three
// are (N, D), or (N, T, D) for sequences, where everything is averaged over time as well as over the batch.
//
//   clubLogLikelihood = (1/(N·T)) Σ_{i,t} Σ_d [ −(μ − y)² / exp(logvar) − logvar ]
//     what the estimator maximises. This is CLUB's `loglikeli` convention: the Gaussian log-density times 2, without
//     log 2π. CMG's CLUBSample_group (the pattern we follow) divides the same expression by 2; the factor moves
//     neither the maximiser nor (under Adam) the training, so it is left to the caller (mulScalar(ll, 0.5)).
//   clubUpperBound = (1/N) Σ_i [ ℓ(i,i) − (1/N) Σ_j ℓ(i,j) ],  ℓ(i,j) = mean_t Σ_d −(y_j − μ_i)² / (2·exp(logvar_i))
//     (docs/models.md §6.4; CLUB's `mi_est`; the logvar term cancels in the difference). The all-pairs term is never
//     formed, as (1/N) Σ_j (y_j − μ_i)² = Var_j[y] + (E_j[y] − μ_i)² per (t, d): O(N·T·D) work (club.wgsl).
//
// `kernel: 'composite'` computes the same losses from generic ops, the upper bound by materialising the (N, N, T·D)
// tensor of pairs: slow and obviously right, for the tests and the benchmarks.

import { runtime } from '../engine';
import { check, type Shape } from '../errors';
import { grid1d, kernel, type ContractDecl } from '../runtime';
import { assertLive, empty, isGradEnabled, record, sameShape, Tensor } from '../tensor';
import { exp, mul, mulScalar, neg, sub } from './elementwise';
import { mean, sum } from './reduce';
import { reshape } from './shape';
import clubSrc from '../../../kernels/club/club.wgsl';
import clubVec4Src from '../../../kernels/club/club_vec4.wgsl';
import sumSrc from '../../../kernels/club/club_sum.wgsl';
import gradSrc from '../../../kernels/club/club_grad.wgsl';
import gradVec4Src from '../../../kernels/club/club_grad_vec4.wgsl';

// Each vec4 rung keeps its scalar rung's contract.
const FORWARD: ContractDecl = {
  params: { n: 'u32', cols: 'u32' },
  buffers: { mu: 'read', logvar: 'read', y: 'read', part: 'read_write', stats: 'read_write' },
};
const BACKWARD: ContractDecl = {
  params: { total: 'u32', cols: 'u32', scale: 'f32' },
  buffers: {
    mu: 'read',
    logvar: 'read',
    y: 'read',
    stats: 'read',
    gy: 'read',
    dmu: 'read_write',
    dlogvar: 'read_write',
    dy: 'read_write',
  },
};
const CLUB = kernel('club', clubSrc, FORWARD);
const CLUB_VEC4 = kernel('club_vec4', clubVec4Src, FORWARD);
const CLUB_SUM = kernel('club_sum', sumSrc, {
  params: { cols: 'u32', scale: 'f32' },
  buffers: { part: 'read', y: 'read_write' },
});
const CLUB_GRAD = kernel('club_grad', gradSrc, BACKWARD);
const CLUB_GRAD_VEC4 = kernel('club_grad_vec4', gradVec4Src, BACKWARD);

/**
 * 'fused': this file's kernels, four columns per invocation when T·D is divisible by 4; 'scalar': the same kernels
 * one column per invocation (what the vec4 ones reproduce bit for bit; every shape takes it); 'composite': the same
 * maths from generic ops, all pairs materialised (slow, for checks).
 */
export type ClubKernel = 'fused' | 'scalar' | 'composite';
export const CLUB_KERNELS: readonly ClubKernel[] = ['fused', 'scalar', 'composite'];

export interface ClubOptions {
  /** Which rung runs (default 'fused'). */
  kernel?: ClubKernel;
}

const enum Mode {
  LogLikelihood = 0,
  UpperBound = 1,
}

/** The estimator's log-likelihood of y under N(μ, exp(logvar)), averaged over samples and time; see the file top. */
export function clubLogLikelihood(mu: Tensor, logvar: Tensor, y: Tensor, opts: ClubOptions = {}): Tensor {
  return club('clubLogLikelihood', Mode.LogLikelihood, mu, logvar, y, opts);
}

/** CLUB's mutual-information upper bound (positive-pair minus all-pairs log-likelihood); see the file top. */
export function clubUpperBound(mu: Tensor, logvar: Tensor, y: Tensor, opts: ClubOptions = {}): Tensor {
  return club('clubUpperBound', Mode.UpperBound, mu, logvar, y, opts);
}

function club(op: string, mode: Mode, mu: Tensor, logvar: Tensor, y: Tensor, opts: ClubOptions): Tensor {
  assertLive(op, mu, logvar, y);
  const shapes: Shape[] = [mu.shape, logvar.shape, y.shape];
  check(opts !== null && typeof opts === 'object', op, `options must be an object, got ${String(opts)}`, shapes);
  for (const key of Object.keys(opts))
    check(key === 'kernel', op, `unknown option ${key} (the only option is kernel)`, shapes);
  const rung = opts.kernel ?? 'fused';
  check(
    CLUB_KERNELS.includes(rung),
    op,
    `kernel must be one of ${CLUB_KERNELS.join(', ')}, got ${String(rung)}`,
    shapes,
  );
  check(mu.rank === 2 || mu.rank === 3, op, `mu must be (N, D) or (N, T, D), got rank ${mu.rank}`, shapes);
  check(sameShape(logvar.shape, mu.shape), op, 'logvar must have the shape of mu', shapes);
  check(sameShape(y.shape, mu.shape), op, 'y must have the shape of mu (same N, T and D)', shapes);
  check(mu.size > 0, op, 'needs at least one sample, time step and dimension', shapes);
  const n = mu.shape[0];
  const t = mu.rank === 3 ? mu.shape[1] : 1;
  if (rung === 'composite') return composite(mode, mu, logvar, y, n, t);
  return fused(op, mode, mu, logvar, y, n, t, rung === 'fused' && (mu.size / n) % 4 === 0);
}

function fused(
  op: string,
  mode: Mode,
  mu: Tensor,
  logvar: Tensor,
  y: Tensor,
  n: number,
  t: number,
  vec4: boolean,
): Tensor {
  const rt = runtime();
  const cols = mu.size / n; //                                       (N, T, D) viewed as (N, cols)
  const scale = 1 / (n * t);
  const save = mode === Mode.UpperBound && isGradEnabled() && [mu, logvar, y].some((x) => x.requiresGrad);
  const part = empty([cols], op);
  const stats = empty(save ? [4, cols] : [4], op); //                     [E y; Var y; E w; E wμ] per column, or a spare
  rt.dispatch({
    kernel: vec4 ? CLUB_VEC4 : CLUB,
    constants: { MODE: mode, SAVE: save ? 1 : 0 },
    params: { n, cols },
    buffers: { mu: mu.buffer, logvar: logvar.buffer, y: y.buffer, part: part.buffer, stats: stats.buffer },
    groups: vec4 ? grid1d(cols / 4, 16) : grid1d(cols, 64),
  });
  const out = empty([], op);
  rt.dispatch({
    kernel: CLUB_SUM,
    params: { cols, scale },
    buffers: { part: part.buffer, y: out.buffer },
    groups: [1],
  });
  part.dispose();

  record(out, op, [mu, logvar, y], (gy, needs) => {
    const grads = [mu, logvar, y].map((x) => empty(x.shape, op)); //     dmu, dlogvar, dy: one pass writes all three
    const [dmu, dlogvar, dy] = grads;
    rt.dispatch({
      kernel: vec4 ? CLUB_GRAD_VEC4 : CLUB_GRAD,
      constants: { MODE: mode },
      params: { total: mu.size, cols, scale },
      buffers: {
        mu: mu.buffer,
        logvar: logvar.buffer,
        y: y.buffer,
        stats: stats.buffer,
        gy: gy.buffer,
        dmu: dmu.buffer,
        dlogvar: dlogvar.buffer,
        dy: dy.buffer,
      },
      groups: grid1d(vec4 ? mu.size / 4 : mu.size, 64),
    });
    return grads.map((g, i) => {
      if (needs[i]) return g;
      g.dispose();
      return null;
    });
  });
  if (!out.node) stats.dispose();
  return out;
}

/** The same losses from generic ops; the upper bound materialises every (i, j) pair. */
function composite(mode: Mode, mu: Tensor, logvar: Tensor, y: Tensor, n: number, t: number): Tensor {
  const k = mu.size / n;
  const [m2, lv2, y2] = [mu, logvar, y].map((x) => reshape(x, [n, k])); // (N, T·D)
  const r = sub(m2, y2);
  if (mode === Mode.LogLikelihood) {
    return mulScalar(sum(sub(neg(mul(mul(r, r), exp(neg(lv2)))), lv2)), 1 / (n * t));
  }
  const w = mulScalar(exp(neg(lv2)), 0.5); //                                       1 / (2 exp(logvar))   (N, T·D)
  const positive = neg(mul(mul(r, r), w)); //                                        ℓ(i,i) terms          (N, T·D)
  const diff = sub(reshape(y2, [1, n, k]), reshape(m2, [n, 1, k])); //              y_j − μ_i             (N, N, T·D)
  const pairs = neg(mul(mul(diff, diff), reshape(w, [n, 1, k])));
  const negative = mean(pairs, 1); //                                                (1/N) Σ_j ℓ(i,j) terms (N, T·D)
  return mulScalar(sum(sub(positive, negative)), 1 / (n * t));
}
