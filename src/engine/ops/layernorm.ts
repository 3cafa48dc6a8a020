// Layer normalisation over the last k axes (PyTorch's normalized_shape; k = 1 by default), fused: x is viewed as
// (rows, C) with C the product of those axes, and gamma/beta as (C), so the kernels are the same for every k. One
// kernel forward (which also saves each row's mean and 1/std), and two backward: dx row by row, and dgamma/dbeta
// channel by channel (partial sums over chunks of rows, no atomics). Forward and dx have a serial rung (one
// invocation per row) and workgroup / subgroup rungs (a workgroup per row), chosen as in ./rows.ts.

import { runtime } from '../engine';
import { check, fmtShape } from '../errors';
import { grid1d, kernel } from '../runtime';
import { assertLive, empty, record, shapeSize, Tensor } from '../tensor';
import { sum } from './reduce';
import fwdSrc from '../../../kernels/layernorm/layernorm.wgsl';
import gradXSrc from '../../../kernels/layernorm/layernorm_grad_x.wgsl';
import gradParamsSrc from '../../../kernels/layernorm/layernorm_grad_params.wgsl';
import wgSrc from '../../../kernels/layernorm/layernorm_workgroup.wgsl';
import sgSrc from '../../../kernels/layernorm/layernorm_subgroup.wgsl';
import gradXWgSrc from '../../../kernels/layernorm/layernorm_grad_x_workgroup.wgsl';
import gradXSgSrc from '../../../kernels/layernorm/layernorm_grad_x_subgroup.wgsl';
import { rowGroups, rowRung, subgroupLibrary, type RowOptions } from './rows';

const FWD_DECL = {
  params: { rows: 'u32', c: 'u32', eps: 'f32' },
  buffers: { x: 'read', gamma: 'read', beta: 'read', y: 'read_write', mean: 'read_write', rstd: 'read_write' },
} as const;
const GRAD_X_DECL = {
  params: { rows: 'u32', c: 'u32' },
  buffers: { x: 'read', gamma: 'read', mean: 'read', rstd: 'read', gy: 'read', dx: 'read_write' },
} as const;
const LAYERNORM = kernel('layernorm', fwdSrc, FWD_DECL);
const LAYERNORM_GRAD_X = kernel('layernorm_grad_x', gradXSrc, GRAD_X_DECL);
const LAYERNORM_ROWS = {
  workgroup: kernel('layernorm_workgroup', wgSrc, FWD_DECL),
  subgroup: kernel('layernorm_subgroup', sgSrc, FWD_DECL, subgroupLibrary('layernorm/layernorm_workgroup.wgsl', wgSrc)),
};
const GRAD_X_ROWS = {
  workgroup: kernel('layernorm_grad_x_workgroup', gradXWgSrc, GRAD_X_DECL),
  subgroup: kernel(
    'layernorm_grad_x_subgroup',
    gradXSgSrc,
    GRAD_X_DECL,
    subgroupLibrary('layernorm/layernorm_grad_x_workgroup.wgsl', gradXWgSrc),
  ),
};
const LAYERNORM_GRAD_PARAMS = kernel('layernorm_grad_params', gradParamsSrc, {
  params: { rows: 'u32', c: 'u32', chunk: 'u32', nchunks: 'u32' },
  buffers: { x: 'read', mean: 'read', rstd: 'read', gy: 'read', dgamma: 'read_write', dbeta: 'read_write' },
});

/**
 * dgamma/dbeta chunking: about this many invocations in total, each looping over at least MIN_ROWS rows. A GPU has
 * thousands of lanes to fill, so the gpu profile aims 16 times higher with chunks of 16 rows (the same kernel).
 */
const TARGET_INVOCATIONS = { cpu: 1024, gpu: 16384 };
const MIN_ROWS = { cpu: 64, gpu: 16 };

/**
 * Layer normalisation as PyTorch's `F.layer_norm(x, normalizedShape, gamma, beta, eps)`: each slice over the last
 * k = normalizedShape.length axes of x becomes (x − mean) / sqrt(var + eps) · gamma + beta, with the biased variance.
 * `normalizedShape` must equal x's last k axes; it defaults to the last axis only. gamma and beta have shape
 * `normalizedShape` and are each optional (pass undefined or null to leave one out). Output shape = x's;
 * differentiable in x, gamma and beta. `opts.kernel` picks the rung of the forward and dx kernels ('serial',
 * 'workgroup', 'subgroup'; default: the tuning's, see ./rows.ts).
 */
export function layerNorm(
  x: Tensor,
  gamma?: Tensor | null,
  beta?: Tensor | null,
  eps = 1e-5,
  normalizedShape?: readonly number[],
  opts?: RowOptions,
): Tensor {
  const op = 'layerNorm';
  assertLive(op, x);
  check(x.rank >= 1, op, 'needs a tensor of rank ≥ 1 (it normalises over the last axes)', [x.shape]);
  const norm = normalizedShape ?? x.shape.slice(-1);
  const k = Array.isArray(norm) ? norm.length : 0;
  const tail = x.shape.slice(x.rank - k);
  check(
    k >= 1 && k <= x.rank && norm.every((d, i) => d === tail[i]),
    op,
    `normalizedShape must be x's last 1 to ${x.rank} axes, got ${Array.isArray(norm) ? fmtShape(norm) : String(norm)}`,
    [x.shape],
  );
  const c = shapeSize(norm);
  for (const [name, p] of [
    ['gamma', gamma],
    ['beta', beta],
  ] as const) {
    if (p == null) continue;
    assertLive(op, p);
    const ok = p.rank === k && p.shape.every((d, i) => d === norm[i]);
    const want = `${fmtShape(norm)} (the normalized shape)`;
    check(ok, op, `${name} must have shape ${want}, got ${fmtShape(p.shape)}`, [x.shape, p.shape]);
  }
  const epsOk = typeof eps === 'number' && Number.isFinite(eps) && eps >= 0;
  check(epsOk, op, `eps must be a finite number ≥ 0, got ${String(eps)}`, [x.shape]);

  const rung = rowRung(op, opts, c, [x.shape]);
  const rt = runtime();
  const rows = shapeSize(x.shape.slice(0, x.rank - k));
  const y = empty(x.shape, 'layerNorm'); // y: x.shape
  const mean = empty([rows], 'layerNorm');
  const rstd = empty([rows], 'layerNorm');
  rt.dispatch({
    kernel: rung === 'serial' ? LAYERNORM : LAYERNORM_ROWS[rung],
    constants: { HAS_GAMMA: gamma ? 1 : 0, HAS_BETA: beta ? 1 : 0 },
    params: { rows, c, eps },
    // Without gamma or beta, x stands in for the binding (HAS_GAMMA / HAS_BETA = 0: never read).
    buffers: {
      x: x.buffer,
      gamma: (gamma ?? x).buffer,
      beta: (beta ?? x).buffer,
      y: y.buffer,
      mean: mean.buffer,
      rstd: rstd.buffer,
    },
    groups: rung === 'serial' ? grid1d(c > 0 ? rows : 0, 64) : rowGroups(c > 0 ? rows : 0),
  });

  const inputs = [x, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
  record(y, op, inputs, (gy, needs, into) => {
    const [needX, ...needP] = needs;
    const needGamma = gamma ? needP.shift()! : false;
    const needBeta = beta ? needP.shift()! : false;
    let dx: Tensor | null = null;
    if (needX) {
      // The serial rung adds into the gradient x already has (a residual stream's), saving the accumulate launch.
      const soFar = rung === 'serial' ? into[0] : null;
      dx = soFar ?? empty(x.shape, 'layerNorm');
      rt.dispatch({
        kernel: rung === 'serial' ? LAYERNORM_GRAD_X : GRAD_X_ROWS[rung],
        constants: soFar ? { HAS_GAMMA: gamma ? 1 : 0, ACCUMULATE: 1 } : { HAS_GAMMA: gamma ? 1 : 0 },
        params: { rows, c },
        buffers: {
          x: x.buffer,
          gamma: (gamma ?? x).buffer,
          mean: mean.buffer,
          rstd: rstd.buffer,
          gy: gy.buffer,
          dx: dx.buffer,
        },
        groups: rung === 'serial' ? grid1d(rows, 64) : rowGroups(rows),
      });
    }
    let dgamma: Tensor | null = null;
    let dbeta: Tensor | null = null;
    if (needGamma || needBeta) [dgamma, dbeta] = paramGrads(x, gy, mean, rstd, rows, norm);
    if (!needGamma) dgamma?.dispose();
    if (!needBeta) dbeta?.dispose();
    return [dx, ...(gamma ? [needGamma ? dgamma : null] : []), ...(beta ? [needBeta ? dbeta : null] : [])];
  });
  if (!y.node) {
    mean.dispose();
    rstd.dispose();
  }
  return y;
}

/** dgamma, dbeta (each of the normalized shape): per-chunk partial sums over rows, then one reduction over chunks. */
function paramGrads(
  x: Tensor,
  gy: Tensor,
  mean: Tensor,
  rstd: Tensor,
  rows: number,
  norm: readonly number[],
): [Tensor, Tensor] {
  const c = shapeSize(norm);
  const profile = runtime().tuning.profile;
  const target = TARGET_INVOCATIONS[profile];
  let parts = Math.min(Math.ceil(rows / MIN_ROWS[profile]), Math.ceil(target / Math.max(1, c)));
  if (parts < 2) parts = 1;
  const chunk = Math.max(1, Math.ceil(rows / parts));
  parts = Math.max(1, Math.ceil(rows / chunk));
  const dg = empty(parts === 1 ? [c] : [parts, c], 'layerNorm');
  const db = empty(parts === 1 ? [c] : [parts, c], 'layerNorm');
  runtime().dispatch({
    kernel: LAYERNORM_GRAD_PARAMS,
    params: { rows, c, chunk, nchunks: parts },
    buffers: { x: x.buffer, mean: mean.buffer, rstd: rstd.buffer, gy: gy.buffer, dgamma: dg.buffer, dbeta: db.buffer },
    groups: grid1d(parts * c, 64),
  });
  const sums = parts === 1 ? [dg, db] : [sum(dg, 0), sum(db, 0)];
  if (parts > 1) [dg, db].forEach((t) => t.dispose());
  if (norm.length === 1) return [sums[0], sums[1]];
  // (C) viewed as the normalized shape; the (C) handles go, the views keep the storage.
  const out: [Tensor, Tensor] = [sums[0].view(norm), sums[1].view(norm)];
  sums.forEach((t) => t.dispose());
  return out;
}
