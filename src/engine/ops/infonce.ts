// Cosine-similarity InfoNCE, fused: four launches forward (normalise every row; the similarity logits as register
// tiles; per anchor row the log-sum-exp, the loss and, when the tape records, the softmax − onehot matrix the backward
// needs; the mean — in the rows' launch with the launch fusions on, src/engine/fusion.ts) and two backward (both gradient products, G·Ĉ for the anchors and Gᵀ·Â for the candidates, in one
// tiled launch; then back through the normalisation). The normalisation and its backward have vec4 variants, taken
// when D is divisible by 4.
//
// The loss, for anchors a (N, D), positives p (N, D) and optional extra negatives neg (M, D):
//   x̂ = x / max(‖x‖, eps) per row (eps = 1e-8, as in torch.nn.functional.cosine_similarity / F.normalize);
//   logits_i = [â_i·p̂_j for every j] ++ [â_i·n̂_k for every k]  / τ         (inBatchNegatives: true, the default)
//            = [â_i·p̂_i]            ++ [â_i·n̂_k for every k]  / τ         (inBatchNegatives: false)
//   loss = mean_i [ logsumexp(logits_i) − logits_i[positive] ]
// i.e. cross-entropy over [positive, negatives]: the positive is in the denominator (standard InfoNCE; the DAR paper's
// Eq. 6 prints only negatives there, see docs/models.md §6.4).
//
// DAR's two uses (docs/models.md §6.4), with z = mean over time of the encoder output, one call per ordered
// modality pair:
//   L_sim^com:  infoNCE(zcom_m, zcom_m′, { temperature })
//               anchor sample i of modality m, positive the same sample of modality m′, negatives the other samples
//               of m′: exactly the in-batch negatives, no extra ones.
//   L_sim^spec: infoNCE(zspec_m[first half], zspec_m[second half], { negatives: concat(zspec_m′, zspec_m″),
//               inBatchNegatives: false, temperature })
//               the positive is another sample of the same modality (paired by the caller), the negatives are the
//               specific vectors of the other modalities. inBatchNegatives is off because the other rows' positives
//               are samples of the *same* modality, which L_sim^spec wants close, not apart.
//
// Batched (issue 14's dispatch floor): anchors and positives (P, N, D) and negatives (P, M, D) are P independent
// problems of the same sizes in the same launches (the problem is the grid's z), and the loss is their means added in
// order, times 1/P (`reduction: 'mean'`) or 1 ('sum'): what P calls added by weightedSum give, the same numbers. DAR's
// six L_sim^com pairs are one call, its three L_sim^spec terms another.
//
// A slow, obviously-right version built from the engine's generic ops (`kernel: 'composite'`) sits beside the fused one;
// the tests check one against the other and the benchmarks time both.

import { runtime } from '../engine';
import { launchFusions } from '../fusion';
import { check, type Shape } from '../errors';
import { grid1d, kernel } from '../runtime';
import { full } from '../creation';
import { assertLive, empty, isGradEnabled, record, Tensor } from '../tensor';
import { add, div, maximum, mul, mulScalar, sqrt, sub } from './elementwise';
import { mean, sum } from './reduce';
import { logsumexp } from './softmax';
import { matmul } from './matmul';
import { concat, reshape, slice } from './shape';
import normalizeSrc from '../../../kernels/infonce/infonce_normalize.wgsl';
import normalizeVec4Src from '../../../kernels/infonce/infonce_normalize_vec4.wgsl';
import logitsSrc from '../../../kernels/infonce/infonce_logits.wgsl';
import rowsSrc from '../../../kernels/infonce/infonce_rows.wgsl';
import meanSrc from '../../../kernels/infonce/infonce_mean.wgsl';
import gradSrc from '../../../kernels/infonce/infonce_grad.wgsl';
import renormSrc from '../../../kernels/infonce/infonce_renorm.wgsl';
import renormVec4Src from '../../../kernels/infonce/infonce_renorm_vec4.wgsl';

// The row kernels' params: counts in floats, or in vec4s (d4, ds4) for the vec4 rungs.
const ROW_PARAMS = { n: 'u32', m: 'u32', d: 'u32', ds: 'u32', eps: 'f32' } as const;
const ROW_PARAMS_VEC4 = { n: 'u32', m: 'u32', d4: 'u32', ds4: 'u32', eps: 'f32' } as const;
const NORMALIZE_BUFFERS = { a: 'read', pos: 'read', neg: 'read', xhat: 'read_write', norm: 'read_write' } as const;
const RENORM_BUFFERS = {
  xhat: 'read',
  norm: 'read',
  dxhat: 'read',
  da: 'read_write',
  dp: 'read_write',
  dneg: 'read_write',
} as const;
const INFONCE_NORMALIZE = kernel('infonce_normalize', normalizeSrc, { params: ROW_PARAMS, buffers: NORMALIZE_BUFFERS });
const INFONCE_NORMALIZE_VEC4 = kernel('infonce_normalize_vec4', normalizeVec4Src, {
  params: ROW_PARAMS_VEC4,
  buffers: NORMALIZE_BUFFERS,
});
const INFONCE_LOGITS = kernel('infonce_logits', logitsSrc, {
  params: {
    n: 'u32',
    q: 'u32',
    c: 'u32',
    ds: 'u32',
    d: 'u32',
    cbase: 'u32',
    off: 'u32',
    tilesQ: 'u32',
    rows: 'u32',
    inv_tau: 'f32',
  },
  buffers: { xhat: 'read', logits: 'read_write' },
});
const INFONCE_ROWS = kernel('infonce_rows', rowsSrc, {
  params: {
    n: 'u32',
    c: 'u32',
    ds4: 'u32',
    rows: 'u32',
    np: 'u32',
    inv_tau: 'f32',
    gscale: 'f32',
    scale: 'f32',
    pscale: 'f32',
  },
  buffers: { xhat: 'read', logits: 'read_write', rowloss: 'read_write', y: 'read_write' },
});
/** Rows (of all problems) up to which infonce_rows also takes the mean (MEAN, a launch fusion): one workgroup walks them. */
const MEAN_ROWS = 4096;
const INFONCE_MEAN = kernel('infonce_mean', meanSrc, {
  params: { n: 'u32', np: 'u32', scale: 'f32', pscale: 'f32' },
  buffers: { rowloss: 'read', y: 'read_write' },
});
const INFONCE_GRAD = kernel('infonce_grad', gradSrc, {
  params: {
    n: 'u32',
    q: 'u32',
    c: 'u32',
    ds4: 'u32',
    cbase: 'u32',
    off: 'u32',
    chunks: 'u32',
    tilesN: 'u32',
    tilesQ: 'u32',
    rows: 'u32',
    pscale: 'f32',
  },
  buffers: { xhat: 'read', g: 'read', gy: 'read', dxhat: 'read_write' },
});
const INFONCE_RENORM = kernel('infonce_renorm', renormSrc, { params: ROW_PARAMS, buffers: RENORM_BUFFERS });
const INFONCE_RENORM_VEC4 = kernel('infonce_renorm_vec4', renormVec4Src, {
  params: ROW_PARAMS_VEC4,
  buffers: RENORM_BUFFERS,
});

export interface InfoNCEOptions {
  /** τ > 0: the logits are cosine similarities divided by τ. */
  temperature: number;
  /** Extra negatives (M, D), shared by every anchor. */
  negatives?: Tensor | null;
  /** Whether every other row's positive p_j (j ≠ i) is also a negative of anchor i (default true). */
  inBatchNegatives?: boolean;
  /** Norm floor of the row normalisation x / max(‖x‖, eps) (default 1e-8). */
  eps?: number;
  /** Which rung runs (default 'fused'). */
  kernel?: InfoNCEKernel;
  /** With P problems (inputs of rank 3): the loss is the mean of theirs (default) or the sum. */
  reduction?: 'mean' | 'sum';
}

/** 'fused': the kernels of this file; 'composite': the same maths from generic ops (slow, for checks). */
export type InfoNCEKernel = 'fused' | 'composite';
export const INFONCE_KERNELS: readonly InfoNCEKernel[] = ['fused', 'composite'];

const OPTION_KEYS = ['temperature', 'negatives', 'inBatchNegatives', 'eps', 'kernel', 'reduction'];

/**
 * Mean InfoNCE loss over the N anchors with cosine similarities at temperature τ; see the top of this file.
 * anchors and positives are (N, D), `negatives` (M, D); or P problems at once: (P, N, D) and (P, M, D), the loss
 * then the mean (or sum, `reduction`) of the problems' losses. Returns a scalar (shape []).
 */
export function infoNCE(anchors: Tensor, positives: Tensor, opts: InfoNCEOptions): Tensor {
  const op = 'infoNCE';
  assertLive(op, anchors, positives);
  const shapes: Shape[] = [anchors.shape, positives.shape];
  check(opts !== null && typeof opts === 'object', op, 'needs an options object with a temperature', shapes);
  for (const key of Object.keys(opts)) {
    check(OPTION_KEYS.includes(key), op, `unknown option ${key} (options are ${OPTION_KEYS.join(', ')})`, shapes);
  }
  const {
    temperature: tau,
    negatives = null,
    inBatchNegatives = true,
    eps = 1e-8,
    kernel: rung = 'fused',
    reduction = 'mean',
  } = opts;
  if (negatives !== null) {
    assertLive(op, negatives);
    shapes.push(negatives.shape);
  }
  check(
    typeof tau === 'number' && Number.isFinite(tau) && tau > 0,
    op,
    `temperature must be a finite number > 0, got ${String(tau)}`,
    shapes,
  );
  check(
    typeof eps === 'number' && Number.isFinite(eps) && eps > 0,
    op,
    `eps must be a finite number > 0, got ${String(eps)}`,
    shapes,
  );
  check(
    typeof inBatchNegatives === 'boolean',
    op,
    `inBatchNegatives must be a boolean, got ${String(inBatchNegatives)}`,
    shapes,
  );
  check(
    INFONCE_KERNELS.includes(rung),
    op,
    `kernel must be one of ${INFONCE_KERNELS.join(', ')}, got ${String(rung)}`,
    shapes,
  );
  check(
    reduction === 'mean' || reduction === 'sum',
    op,
    `reduction must be mean or sum, got ${String(reduction)}`,
    shapes,
  );
  check(
    anchors.rank === 2 || anchors.rank === 3,
    op,
    `anchors must be (N, D) or (P, N, D), got rank ${anchors.rank}`,
    shapes,
  );
  const r = anchors.rank;
  check(positives.rank === r, op, `positives must have the anchors' rank ${r}, got ${positives.rank}`, shapes);
  const P = r === 3 ? anchors.shape[0] : 1;
  check(r === 2 || positives.shape[0] === P, op, `anchors and positives must hold the same P problems`, shapes);
  check(P > 0, op, 'needs at least one problem', shapes);
  const [n, d] = anchors.shape.slice(r - 2);
  check(
    positives.shape[r - 2] === n,
    op,
    `anchors and positives must have the same number of rows N (${n} vs ${positives.shape[r - 2]})`,
    shapes,
  );
  check(
    positives.shape[r - 1] === d,
    op,
    `anchors and positives must have the same width D (${d} vs ${positives.shape[r - 1]})`,
    shapes,
  );
  check(n > 0 && d > 0, op, 'needs at least one row and one column', shapes);
  if (negatives) {
    check(
      negatives.rank === r && (r === 2 || negatives.shape[0] === P),
      op,
      r === 2 ? `negatives must be (M, D), got rank ${negatives.rank}` : `negatives must be (P, M, D) with P = ${P}`,
      shapes,
    );
    check(
      negatives.shape[r - 1] === d,
      op,
      `negatives must have the anchors' width D = ${d}, got ${negatives.shape[r - 1]}`,
      shapes,
    );
  }
  const m = negatives ? negatives.shape[r - 2] : 0;
  const pscale = reduction === 'mean' ? 1 / P : 1;
  if (rung === 'fused')
    return fused(anchors, positives, negatives, { P, n, d, m, tau, inBatch: inBatchNegatives, eps, pscale });
  if (r === 2) return composite(anchors, positives, negatives, n, tau, inBatchNegatives, eps);
  // P problems: one composite loss each, added in order and scaled (weightedSum's composite chain).
  const part = (t: Tensor, i: number) => reshape(slice(t, 0, i, i + 1), t.shape.slice(1));
  const losses = Array.from({ length: P }, (_, i) =>
    composite(part(anchors, i), part(positives, i), negatives && part(negatives, i), n, tau, inBatchNegatives, eps),
  );
  const total = losses.reduce((acc, l) => add(acc, l));
  return pscale === 1 ? total : mulScalar(total, pscale);
}

/** One call's sizes: P problems of N anchors, M extra negatives, width D; pscale multiplies the problems' sum. */
interface Sizes {
  P: number;
  n: number;
  d: number;
  m: number;
  tau: number;
  inBatch: boolean;
  eps: number;
  pscale: number;
}

function fused(a: Tensor, p: Tensor, neg: Tensor | null, sizes: Sizes): Tensor {
  const { P, n, d, m, tau, inBatch, eps, pscale } = sizes;
  const rt = runtime();
  const inputs = neg ? [a, p, neg] : [a, p];
  const rows = 2 * n + m; //                          [a; p; neg] stacked, per problem
  const ds = Math.ceil(d / 16) * 16; //                row stride of the normalised copy: whole 4×vec4 chunks
  const ds4 = ds / 4;
  const c = inBatch ? n + m : 1 + m; //                 logit columns per anchor
  // The candidates every anchor shares: [p̂; n̂] in columns 0.. (in-batch), or n̂ alone in columns 1.. (column 0 is
  // then each anchor's own positive).
  const q = inBatch ? n + m : m;
  const cbase = inBatch ? n : 2 * n; //                  xhat row of shared candidate 0
  const off = inBatch ? 0 : 1; //                        its logit column
  const tilesN = Math.ceil(n / 8);
  const tilesQ = Math.ceil(q / 8);
  const grad = isGradEnabled() && inputs.some((t) => t.requiresGrad);
  // The row normalisation and its backward read and write the inputs' own layout: as vec4s when D allows.
  const vec4 = d % 4 === 0;
  const rowParams: Record<string, number> = vec4 ? { n, m, d4: d / 4, ds4, eps } : { n, m, d, ds, eps };

  // Every launch runs the P problems side by side: the grid's z is the problem, each with its own block of rows.
  const perProblem = (groups: readonly [number, number?]) => [groups[0], groups[1] ?? 1, P] as const;
  const xhat = empty([P * rows, ds], 'infoNCE'); //               x̂, zero-padded to ds
  const norm = empty([P * rows], 'infoNCE'); //                   ‖x‖
  rt.dispatch({
    kernel: vec4 ? INFONCE_NORMALIZE_VEC4 : INFONCE_NORMALIZE,
    params: rowParams,
    buffers: { a: a.buffer, pos: p.buffer, neg: (neg ?? a).buffer, xhat: xhat.buffer, norm: norm.buffer },
    groups: perProblem([Math.ceil(rows / 16)]),
  });
  const g = empty([P * n, c], 'infoNCE'); //                      logits, then (softmax − onehot)/(τN) when recording
  rt.dispatch({
    kernel: INFONCE_LOGITS,
    params: { n, q, c, ds, d, cbase, off, tilesQ, rows, inv_tau: 1 / tau },
    buffers: { xhat: xhat.buffer, logits: g.buffer },
    groups: perProblem(grid1d(tilesN * tilesQ, 16)),
  });
  const rowloss = empty([P * n], 'infoNCE');
  const y = empty([], 'infoNCE');
  const withMean = launchFusions() && P * n <= MEAN_ROWS; // the mean in the rows' launch
  const spareY = withMean ? null : empty([1], 'infoNCE'); //  stands in for y when the mean has its own launch
  rt.dispatch({
    kernel: INFONCE_ROWS,
    constants: { INBATCH: inBatch ? 1 : 0, SAVE_GRAD: grad ? 1 : 0, MEAN: withMean ? 1 : 0 },
    params: { n, c, ds4, rows, np: P, inv_tau: 1 / tau, gscale: 1 / (tau * n), scale: 1 / n, pscale },
    buffers: { xhat: xhat.buffer, logits: g.buffer, rowloss: rowloss.buffer, y: (spareY ?? y).buffer },
    groups: withMean ? [1] : perProblem([Math.ceil(n / 16)]),
  });
  if (!withMean) {
    rt.dispatch({
      kernel: INFONCE_MEAN,
      params: { n, np: P, scale: 1 / n, pscale },
      buffers: { rowloss: rowloss.buffer, y: y.buffer },
      groups: [1],
    });
  }
  spareY?.dispose();
  rowloss.dispose();

  record(y, 'infoNCE', inputs, (gy, needs, into) => {
    const dxhat = empty([P * rows, ds], 'infoNCE');
    const chunks = ds4 / 2; //                          8 floats per invocation
    const tiles = tilesN + tilesQ + (inBatch ? 0 : tilesN);
    rt.dispatch({
      kernel: INFONCE_GRAD,
      constants: { INBATCH: inBatch ? 1 : 0 },
      params: { n, q, c, ds4, cbase, off, chunks, tilesN, tilesQ, rows, pscale },
      buffers: { xhat: xhat.buffer, g: g.buffer, gy: gy.buffer, dxhat: dxhat.buffer },
      groups: perProblem(grid1d(tiles * chunks, 16)),
    });
    // An input that already has a gradient (and is not also another input here) gets this one added in the kernel.
    const soFar = inputs.map((_, i) => {
      const t = into[i];
      return t && needs[i] && into.indexOf(t) === i && into.lastIndexOf(t) === i ? t : null;
    });
    const grads = inputs.map((t, i) => soFar[i] ?? empty(t.shape, 'infoNCE'));
    const spare = neg ? null : empty([4], 'infoNCE'); //           stands in for dneg when there are no negatives
    const acc = soFar.reduce((m, t, i) => (t ? m | (1 << i) : m), 0);
    rt.dispatch({
      kernel: vec4 ? INFONCE_RENORM_VEC4 : INFONCE_RENORM,
      ...(acc ? { constants: { ACC: acc } } : {}),
      params: rowParams,
      buffers: {
        xhat: xhat.buffer,
        norm: norm.buffer,
        dxhat: dxhat.buffer,
        da: grads[0].buffer,
        dp: grads[1].buffer,
        dneg: (grads[2] ?? spare!).buffer,
      },
      groups: perProblem([Math.ceil(rows / 16)]),
    });
    dxhat.dispose();
    spare?.dispose();
    return grads.map((gi, i) => {
      if (needs[i]) return gi;
      gi.dispose();
      return null;
    });
  });
  if (!y.node) {
    xhat.dispose();
    norm.dispose();
    g.dispose();
  }
  return y;
}

/** The same loss from generic ops (normalise, matmul, logsumexp, mean): slow, obviously right. */
function composite(
  a: Tensor,
  p: Tensor,
  neg: Tensor | null,
  n: number,
  tau: number,
  inBatch: boolean,
  eps: number,
): Tensor {
  const floor = full([1], eps * eps);
  // x / max(‖x‖, eps) = x / sqrt(max(‖x‖², eps²)).
  const normalize = (x: Tensor) => div(x, sqrt(maximum(sum(mul(x, x), -1, true), floor)));
  const an = normalize(a);
  const pn = normalize(p);
  const nn = neg ? normalize(neg) : null;
  const pos = mulScalar(sum(mul(an, pn), -1), 1 / tau); //                         (N)
  let logits: Tensor; //                                                               (N, C)
  if (inBatch) {
    logits = mulScalar(matmul(an, nn ? concat([pn, nn], 0) : pn, { transB: true }), 1 / tau);
  } else {
    const cols = [reshape(pos, [n, 1])];
    if (nn) cols.push(mulScalar(matmul(an, nn, { transB: true }), 1 / tau));
    logits = cols.length > 1 ? concat(cols, 1) : cols[0];
  }
  return mean(sub(logsumexp(logits), pos));
}
