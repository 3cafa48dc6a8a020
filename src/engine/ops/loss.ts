// Pointwise regression losses, fused: one pass computes f(pred − target) and reduces it (a serial loop per
// invocation, then one combine when the input is long), and one elementwise kernel gives the gradient.
// Classification losses (crossEntropy, nllLoss, bceWithLogits) follow them, with PyTorch's conventions.

import { runtime } from '../engine';
import { check } from '../errors';
import { grid1d, kernel } from '../runtime';
import { assertLive, empty, record, sameShape, shapeSize, Tensor } from '../tensor';
import { mean, sum } from './reduce';
import elementwiseSrc from '../../../kernels/loss/loss_elementwise.wgsl';
import partialSrc from '../../../kernels/loss/loss_partial.wgsl';
import combineSrc from '../../../kernels/loss/loss_combine.wgsl';
import gradSrc from '../../../kernels/loss/loss_grad.wgsl';
import ceSrc from '../../../kernels/loss/cross_entropy.wgsl';
import ceReduceSrc from '../../../kernels/loss/cross_entropy_reduce.wgsl';
import ceGradSrc from '../../../kernels/loss/cross_entropy_grad.wgsl';
import ceGradTargetSrc from '../../../kernels/loss/cross_entropy_grad_target.wgsl';
import bceSrc from '../../../kernels/loss/bce_with_logits.wgsl';
import bceGradSrc from '../../../kernels/loss/bce_with_logits_grad.wgsl';

const LOSS_ELEMENTWISE = kernel('loss_elementwise', elementwiseSrc, {
  params: { n: 'u32' },
  buffers: { pred: 'read', tgt: 'read', y: 'read_write' },
});
const LOSS_PARTIAL = kernel('loss_partial', partialSrc, {
  params: { n: 'u32', parts: 'u32', scale: 'f32' },
  buffers: { pred: 'read', tgt: 'read', part: 'read_write' },
});
const LOSS_COMBINE = kernel('loss_combine', combineSrc, {
  params: { parts: 'u32', scale: 'f32' },
  buffers: { partials: 'read', y: 'read_write' },
});
const LOSS_GRAD = kernel('loss_grad', gradSrc, {
  params: { n: 'u32', scale: 'f32' },
  buffers: { pred: 'read', tgt: 'read', gy: 'read', dx: 'read_write' },
});

export type Reduction = 'mean' | 'sum' | 'none';

const enum Kind {
  Mse = 0,
  L1 = 1,
}

/** (pred − target)², averaged ('mean'), summed ('sum') or elementwise ('none'). Shapes must match exactly. */
export function mseLoss(pred: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return pointwiseLoss('mseLoss', Kind.Mse, pred, target, reduction);
}

/** |pred − target|, reduced like mseLoss. The gradient at pred = target is 0. */
export function l1Loss(pred: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return pointwiseLoss('l1Loss', Kind.L1, pred, target, reduction);
}

/** Below this many elements one invocation reduces everything; above it, partial sums of ≥ this many each. */
const SERIAL_MAX = 2048;
const MAX_PARTS = 4096;

function pointwiseLoss(op: string, kind: Kind, pred: Tensor, target: Tensor, reduction: Reduction): Tensor {
  assertLive(op, pred, target);
  check(sameShape(pred.shape, target.shape), op, 'pred and target must have the same shape', [
    pred.shape,
    target.shape,
  ]);
  check(
    reduction === 'mean' || reduction === 'sum' || reduction === 'none',
    op,
    `reduction must be 'mean', 'sum' or 'none', got ${String(reduction)}`,
    [pred.shape],
  );
  const n = pred.size;
  check(n > 0 || reduction !== 'mean', op, 'the mean of an empty tensor is undefined', [pred.shape]);
  const rt = runtime();
  const scale = reduction === 'mean' ? 1 / n : 1;
  let y: Tensor;

  if (reduction === 'none') {
    y = empty(pred.shape, op);
    rt.dispatch({
      kernel: LOSS_ELEMENTWISE,
      constants: { KIND: kind },
      params: { n },
      buffers: { pred: pred.buffer, tgt: target.buffer, y: y.buffer },
      groups: grid1d(n, 64),
    });
  } else {
    y = empty([], op);
    const parts = n <= SERIAL_MAX ? 1 : Math.min(MAX_PARTS, Math.ceil(n / SERIAL_MAX));
    const partial = parts === 1 ? y.buffer : rt.acquire(parts * 4);
    rt.dispatch({
      kernel: LOSS_PARTIAL,
      constants: { KIND: kind },
      params: { n, parts, scale: parts === 1 ? scale : 1 },
      buffers: { pred: pred.buffer, tgt: target.buffer, part: partial },
      groups: [Math.ceil(parts / 64)],
    });
    if (parts > 1) {
      rt.dispatch({
        kernel: LOSS_COMBINE,
        params: { parts, scale },
        buffers: { partials: partial, y: y.buffer },
        groups: [1],
      });
      rt.release(partial);
    }
  }

  return record(y, op, [pred, target], (gy, needs) => {
    const grad = (sign: number): Tensor => {
      const dx = empty(pred.shape, op);
      rt.dispatch({
        kernel: LOSS_GRAD,
        constants: { KIND: kind, BROADCAST: reduction === 'none' ? 0 : 1 },
        params: { n, scale: sign * scale },
        buffers: { pred: pred.buffer, tgt: target.buffer, gy: gy.buffer, dx: dx.buffer },
        groups: grid1d(n, 64),
      });
      return dx;
    };
    return [needs[0] ? grad(1) : null, needs[1] ? grad(-1) : null];
  });
}

// ------------------------------------------------------------------------------------------------ classification

const ROWS = { rows: 'u32', C: 'u32', S: 'u32', ignoreIndex: 'i32', eps: 'f32' } as const;
const CROSS_ENTROPY = kernel('cross_entropy', ceSrc, {
  params: ROWS,
  buffers: { x: 'read', tgt: 'read', loss: 'read_write', valid: 'read_write' },
});
const CROSS_ENTROPY_REDUCE = kernel('cross_entropy_reduce', ceReduceSrc, {
  params: { rows: 'u32' },
  buffers: { loss: 'read', valid: 'read', y: 'read_write', scale: 'read_write' },
});
const CROSS_ENTROPY_GRAD = kernel('cross_entropy_grad', ceGradSrc, {
  params: ROWS,
  buffers: { x: 'read', tgt: 'read', gy: 'read', scale: 'read', dx: 'read_write' },
});
const CROSS_ENTROPY_GRAD_TARGET = kernel('cross_entropy_grad_target', ceGradTargetSrc, {
  params: { rows: 'u32', C: 'u32', S: 'u32', eps: 'f32' },
  buffers: { x: 'read', gy: 'read', scale: 'read', dt: 'read_write' },
});
const BCE_WITH_LOGITS = kernel('bce_with_logits', bceSrc, {
  params: { n: 'u32', K: 'u32' },
  buffers: { x: 'read', tgt: 'read', pw: 'read', y: 'read_write' },
});
const BCE_WITH_LOGITS_GRAD = kernel('bce_with_logits_grad', bceGradSrc, {
  params: { n: 'u32', K: 'u32' },
  buffers: { x: 'read', tgt: 'read', pw: 'read', gy: 'read', dx: 'read_write' },
});

export interface NllLossOptions {
  /** 'mean' (default) divides by the number of targets not ignored, as PyTorch; 'none' keeps one loss per target. */
  reduction?: Reduction;
  /** Targets equal to this class index add nothing to the loss nor to the count ('mean'); default −100, as PyTorch. */
  ignoreIndex?: number;
}

export interface CrossEntropyOptions extends NllLossOptions {
  /** ε in [0, 1]: the target becomes (1 − ε)·target + ε/C (PyTorch's label_smoothing). Default 0. */
  labelSmoothing?: number;
}

const enum Mode {
  Index = 0,
  Probs = 1,
  Nll = 2,
}

/**
 * Cross-entropy of `logits` (N, C) or (N, C, d1, …) against `target`, as `torch.nn.functional.cross_entropy`:
 * log-softmax over axis 1 fused with the loss, one pass per row.
 *
 * `target` holds either class indices, shape (N, d1, …) (integers stored as float32; `ignoreIndex` skips one), or
 * class probabilities, the shape of `logits`; the shape decides, as in PyTorch. Label smoothing follows PyTorch's
 * formula in both forms. Output: a scalar for 'mean' / 'sum', shape (N, d1, …) for 'none'. 'mean' divides by the
 * number of index targets not ignored (NaN when all are, as PyTorch), or by N·d1·… for probability targets, for which
 * `ignoreIndex` does not apply.
 *
 * Differentiable in `logits`; probability targets get PyTorch's gradient −(1 − ε)·log softmax(logits) (scaled like
 * the loss), index targets none. An index outside [0, C) that is not `ignoreIndex` makes that loss NaN (the GPU
 * cannot throw; shapes and options are checked before any GPU work).
 */
export function crossEntropy(logits: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const probs = logits.rank >= 2 && sameShape(logits.shape, target.shape);
  return classLoss('crossEntropy', probs ? Mode.Probs : Mode.Index, logits, target, opts);
}

/**
 * Negative log-likelihood of `logProbs` (N, C) or (N, C, d1, …) at class indices `target` (N, d1, …), as
 * `torch.nn.functional.nll_loss`: −logProbs[n, target[n]], with `ignoreIndex` and `reduction` as crossEntropy.
 * Differentiable in `logProbs` only; an index outside [0, C) that is not `ignoreIndex` gives NaN.
 */
export function nllLoss(logProbs: Tensor, target: Tensor, opts: NllLossOptions = {}): Tensor {
  return classLoss('nllLoss', Mode.Nll, logProbs, target, opts);
}

function classLoss(op: string, mode: Mode, x: Tensor, target: Tensor, opts: CrossEntropyOptions): Tensor {
  assertLive(op, x, target);
  const { reduction = 'mean', ignoreIndex = -100, labelSmoothing = 0 } = opts;
  check(x.rank >= 2, op, 'input must be (N, C) or (N, C, d1, …)', [x.shape]);
  const [N, C] = x.shape as [number, number];
  const want = mode === Mode.Probs ? x.shape : [N, ...x.shape.slice(2)];
  const hint = mode === Mode.Nll ? '' : ' (class indices) or the shape of logits (probabilities)';
  check(sameShape(target.shape, want), op, `target must have shape [${want}]${hint}`, [x.shape, target.shape]);
  check(checkReduction(reduction), op, `reduction must be 'mean', 'sum' or 'none', got ${String(reduction)}`, [
    x.shape,
  ]);
  check(Number.isInteger(ignoreIndex), op, `ignoreIndex must be an integer, got ${String(ignoreIndex)}`, [x.shape]);
  const eps = mode === Mode.Nll ? 0 : labelSmoothing;
  const epsOk = typeof eps === 'number' && eps >= 0 && eps <= 1;
  check(epsOk, op, `labelSmoothing must be a number in [0, 1], got ${String(eps)}`, [x.shape]);
  const S = shapeSize(x.shape.slice(2));
  const rows = N * S;
  check(C > 0 && rows > 0, op, 'needs at least one class and one target', [x.shape, target.shape]);

  const rt = runtime();
  const params = { rows, C, S, ignoreIndex, eps };
  const rowLoss = empty([N, ...x.shape.slice(2)], op);
  const valid = empty([rows], op);
  rt.dispatch({
    kernel: CROSS_ENTROPY,
    constants: { KIND: mode },
    params,
    buffers: { x: x.buffer, tgt: target.buffer, loss: rowLoss.buffer, valid: valid.buffer },
    groups: grid1d(rows, 64),
  });
  let y = rowLoss;
  let scale: Tensor | null = null;
  if (reduction !== 'none') {
    y = empty([], op);
    scale = empty([1], op);
    rt.dispatch({
      kernel: CROSS_ENTROPY_REDUCE,
      constants: { MEAN: reduction === 'mean' ? 1 : 0 },
      params: { rows },
      buffers: { loss: rowLoss.buffer, valid: valid.buffer, y: y.buffer, scale: scale.buffer },
      groups: [1],
    });
    rowLoss.dispose();
  }
  valid.dispose();

  record(y, op, [x, target], (gy, needs) => {
    const broadcast = scale ? 1 : 0;
    const factor = (scale ?? gy).buffer; // read only with BROADCAST 1
    let dx: Tensor | null = null;
    if (needs[0]) {
      dx = empty(x.shape, op);
      rt.dispatch({
        kernel: CROSS_ENTROPY_GRAD,
        constants: { KIND: mode, BROADCAST: broadcast },
        params,
        buffers: { x: x.buffer, tgt: target.buffer, gy: gy.buffer, scale: factor, dx: dx.buffer },
        groups: grid1d(rows, 64),
      });
    }
    let dt: Tensor | null = null;
    if (needs[1] && mode === Mode.Probs) {
      dt = empty(x.shape, op);
      rt.dispatch({
        kernel: CROSS_ENTROPY_GRAD_TARGET,
        constants: { BROADCAST: broadcast },
        params: { rows, C, S, eps },
        buffers: { x: x.buffer, gy: gy.buffer, scale: factor, dt: dt.buffer },
        groups: grid1d(rows, 64),
      });
    }
    return [dx, dt];
  });
  if (!y.node) scale?.dispose();
  return y;
}

const checkReduction = (r: unknown): r is Reduction => r === 'mean' || r === 'sum' || r === 'none';

export interface BceWithLogitsOptions {
  /** 'mean' (default) over every element, 'sum', or 'none' (the shape of logits). */
  reduction?: Reduction;
  /** Weight of the positive term per class of the last axis, shape (K,) (PyTorch's pos_weight). Not differentiated. */
  posWeight?: Tensor;
}

/**
 * Binary cross-entropy on logits, as `torch.nn.functional.binary_cross_entropy_with_logits`, in its stable form
 * (1 − t)·x + w·softplus(−x) with w = 1 + (posWeight − 1)·t. `logits` and `target` (probabilities in [0, 1]) share
 * any shape; 'mean' / 'sum' reduce every element to a scalar. Differentiable in both, as PyTorch: d/dx =
 * (1 − t) − w·σ(−x), d/dt = (posWeight − 1)·softplus(−x) − x; `posWeight` gets no gradient.
 */
export function bceWithLogits(logits: Tensor, target: Tensor, opts: BceWithLogitsOptions = {}): Tensor {
  const op = 'bceWithLogits';
  const { reduction = 'mean', posWeight } = opts;
  assertLive(op, logits, target, ...(posWeight ? [posWeight] : []));
  const shapes = [logits.shape, target.shape];
  check(sameShape(logits.shape, target.shape), op, 'logits and target must have the same shape', shapes);
  check(checkReduction(reduction), op, `reduction must be 'mean', 'sum' or 'none', got ${String(reduction)}`, shapes);
  const n = logits.size;
  check(n > 0 || reduction !== 'mean', op, 'the mean of an empty tensor is undefined', shapes);
  const K = logits.rank > 0 ? logits.shape[logits.rank - 1]! : 1;
  if (posWeight) {
    const ok = posWeight.rank === 1 && posWeight.shape[0] === K;
    check(ok, op, `posWeight must have shape [${K}] (the last axis of logits)`, [...shapes, posWeight.shape]);
  }
  const rt = runtime();
  const constants = { HAS_POS: posWeight ? 1 : 0 };
  const pw = (posWeight ?? target).buffer; // HAS_POS 0: never read
  const y = empty(logits.shape, op);
  rt.dispatch({
    kernel: BCE_WITH_LOGITS,
    constants,
    params: { n, K },
    buffers: { x: logits.buffer, tgt: target.buffer, pw, y: y.buffer },
    groups: grid1d(n, 64),
  });
  record(y, op, [logits, target], (gy, needs) =>
    [0, 1].map((wrt) => {
      if (!needs[wrt]) return null;
      const d = empty(logits.shape, op);
      rt.dispatch({
        kernel: BCE_WITH_LOGITS_GRAD,
        constants: { ...constants, WRT: wrt },
        params: { n, K },
        buffers: { x: logits.buffer, tgt: target.buffer, pw, gy: gy.buffer, dx: d.buffer },
        groups: grid1d(n, 64),
      });
      return d;
    }),
  );
  // The reductions are the reduce family's: one more launch each way, and no second copy of a tree reduction here.
  return reduction === 'none' ? y : reduction === 'sum' ? sum(y) : mean(y);
}
