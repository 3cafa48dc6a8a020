// Layer normalisation over the last axis, fused: one kernel forward (which also saves each row's mean and 1/std),
// and two backward: dx row by row, and dgamma/dbeta channel by channel (partial sums over chunks of rows, no atomics).

import { runtime } from '../engine';
import { check, fmtShape } from '../errors';
import { grid1d, kernel } from '../runtime';
import { assertLive, empty, record, shapeSize, Tensor } from '../tensor';
import { sum } from './reduce';
import fwdSrc from '../../../kernels/layernorm/layernorm.wgsl';
import gradXSrc from '../../../kernels/layernorm/layernorm_grad_x.wgsl';
import gradParamsSrc from '../../../kernels/layernorm/layernorm_grad_params.wgsl';

const LAYERNORM = kernel('layernorm', fwdSrc, {
  params: { rows: 'u32', c: 'u32', eps: 'f32' },
  buffers: { x: 'read', gamma: 'read', beta: 'read', y: 'read_write', mean: 'read_write', rstd: 'read_write' },
});
const LAYERNORM_GRAD_X = kernel('layernorm_grad_x', gradXSrc, {
  params: { rows: 'u32', c: 'u32' },
  buffers: { x: 'read', gamma: 'read', mean: 'read', rstd: 'read', gy: 'read', dx: 'read_write' },
});
const LAYERNORM_GRAD_PARAMS = kernel('layernorm_grad_params', gradParamsSrc, {
  params: { rows: 'u32', c: 'u32', chunk: 'u32', nchunks: 'u32' },
  buffers: { x: 'read', mean: 'read', rstd: 'read', gy: 'read', dgamma: 'read_write', dbeta: 'read_write' },
});

/** dgamma/dbeta chunking: about this many invocations in total, each looping over at least MIN_ROWS rows. */
const TARGET_INVOCATIONS = 1024;
const MIN_ROWS = 64;

/**
 * (x − mean) / sqrt(var + eps) · gamma + beta over the last axis (biased variance, as in PyTorch). gamma and beta
 * have shape (C,) and are each optional (pass undefined or null to leave one out).
 */
export function layerNorm(x: Tensor, gamma?: Tensor | null, beta?: Tensor | null, eps = 1e-5): Tensor {
  const op = 'layerNorm';
  assertLive(op, x);
  check(x.rank >= 1, op, 'needs a tensor of rank ≥ 1 (it normalises over the last axis)', [x.shape]);
  const c = x.shape[x.rank - 1];
  for (const [name, p] of [
    ['gamma', gamma],
    ['beta', beta],
  ] as const) {
    if (p == null) continue;
    assertLive(op, p);
    const ok = p.rank === 1 && p.shape[0] === c;
    check(ok, op, `${name} must have shape [${c}] (the last axis of x), got ${fmtShape(p.shape)}`, [x.shape, p.shape]);
  }
  const epsOk = typeof eps === 'number' && Number.isFinite(eps) && eps >= 0;
  check(epsOk, op, `eps must be a finite number ≥ 0, got ${String(eps)}`, [x.shape]);

  const rt = runtime();
  const rows = shapeSize(x.shape.slice(0, -1));
  const y = empty(x.shape, 'layerNorm'); // y: x.shape
  const mean = empty([rows], 'layerNorm');
  const rstd = empty([rows], 'layerNorm');
  rt.dispatch({
    kernel: LAYERNORM,
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
    groups: grid1d(c > 0 ? rows : 0, 64),
  });

  const inputs = [x, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
  record(y, op, inputs, (gy, needs) => {
    const [needX, ...needP] = needs;
    const needGamma = gamma ? needP.shift()! : false;
    const needBeta = beta ? needP.shift()! : false;
    let dx: Tensor | null = null;
    if (needX) {
      dx = empty(x.shape, 'layerNorm');
      rt.dispatch({
        kernel: LAYERNORM_GRAD_X,
        constants: { HAS_GAMMA: gamma ? 1 : 0 },
        params: { rows, c },
        buffers: {
          x: x.buffer,
          gamma: (gamma ?? x).buffer,
          mean: mean.buffer,
          rstd: rstd.buffer,
          gy: gy.buffer,
          dx: dx.buffer,
        },
        groups: grid1d(rows, 64),
      });
    }
    let dgamma: Tensor | null = null;
    let dbeta: Tensor | null = null;
    if (needGamma || needBeta) [dgamma, dbeta] = paramGrads(x, gy, mean, rstd, rows, c);
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

/** dgamma, dbeta (each (C,)): per-chunk partial sums over rows, then one reduction over the chunks. */
function paramGrads(x: Tensor, gy: Tensor, mean: Tensor, rstd: Tensor, rows: number, c: number): [Tensor, Tensor] {
  let parts = Math.min(Math.ceil(rows / MIN_ROWS), Math.ceil(TARGET_INVOCATIONS / Math.max(1, c)));
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
  if (parts === 1) return [dg, db];
  const out: [Tensor, Tensor] = [sum(dg, 0), sum(db, 0)];
  dg.dispose();
  db.dispose();
  return out;
}
