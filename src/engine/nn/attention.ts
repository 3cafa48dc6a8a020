// MultiheadAttention: LNLN's Attention block (models/basic_layers.py) on the fused attention op.
//
//   q = to_q(xq), k = to_k(xk), v = to_v(xv)       Linear(dim → heads·dimHead), no bias by default
//   o = attention(q, k, v, masks)                  per head, scale = dimHead^-½
//   y = to_out(o)                                  Linear(heads·dimHead → dim), with bias by default
//
// Heads are split and merged with free reshapes: (B, T, heads·dimHead) is (B, T, heads, dimHead) row-major, and the
// attention op reads and writes that layout directly ('bthd'), so no permute copies run forward or backward.
//
// Parameter names (checkpoint keys, and what a PyTorch port must call its fields): to_q.weight, to_k.weight,
// to_v.weight (+ .bias with qkvBias), to_out.weight, to_out.bias. LNLN's own checkpoints name the output projection
// `to_out.0.*` (it sits in an nn.Sequential with a Dropout); everything else matches.

import { check, type Shape } from '../errors';
import { assertLive, Tensor } from '../tensor';
import { attention } from '../ops/attention';
import { checkMasks, type AttentionMasks } from '../ops/attention-mask';
import { reshape } from '../ops/shape';
import { Linear, Module } from './module';
import { deriveSeed } from '../seed';

export interface MultiheadAttentionOptions {
  /** Number of heads (default 8, as LNLN). */
  heads?: number;
  /** Size of each head (default 64, as LNLN; the hyper-modality layers use 16). */
  dimHead?: number;
  /** Bias on the q/k/v projections (default false, as LNLN). */
  qkvBias?: boolean;
  /** Bias on the output projection (default true). */
  outBias?: boolean;
  /** Seed for the initial weights (default: the global sequence, see manualSeed). */
  seed?: number;
  /**
   * Key/value heads (default `heads`). Fewer makes it grouped-query attention: to_k and to_v project to
   * kvHeads·dimHead, and each k/v head serves heads / kvHeads query heads (heads % kvHeads must be 0).
   */
  kvHeads?: number;
  /** Query i attends to keys j ≤ i only (PyTorch's is_causal; top-left aligned when Tq ≠ Tk). Default false. */
  causal?: boolean;
}

export class MultiheadAttention extends Module {
  readonly to_q: Linear;
  readonly to_k: Linear;
  readonly to_v: Linear;
  readonly to_out: Linear;
  readonly heads: number;
  readonly kvHeads: number;
  readonly causal: boolean;
  readonly dimHead: number;
  readonly scale: number;

  constructor(
    readonly dim: number,
    opts: MultiheadAttentionOptions = {},
  ) {
    super();
    const { heads = 8, dimHead = 64, qkvBias = false, outBias = true, seed, kvHeads = heads, causal = false } = opts;
    for (const [what, n] of [
      ['dim', dim],
      ['heads', heads],
      ['dimHead', dimHead],
      ['kvHeads', kvHeads],
    ] as const) {
      check(Number.isInteger(n) && n > 0, 'MultiheadAttention', `${what} must be a positive integer, got ${n}`);
    }
    check(heads % kvHeads === 0, 'MultiheadAttention', `heads (${heads}) must be a multiple of kvHeads (${kvHeads})`);
    check(typeof causal === 'boolean', 'MultiheadAttention', `causal must be a boolean, got ${String(causal)}`);
    this.heads = heads;
    this.kvHeads = kvHeads;
    this.causal = causal;
    this.dimHead = dimHead;
    this.scale = 1 / Math.sqrt(dimHead);
    const inner = heads * dimHead;
    this.to_q = new Linear(dim, inner, { bias: qkvBias, seed: deriveSeed(seed, 0) });
    this.to_k = new Linear(dim, kvHeads * dimHead, { bias: qkvBias, seed: deriveSeed(seed, 1) });
    this.to_v = new Linear(dim, kvHeads * dimHead, { bias: qkvBias, seed: deriveSeed(seed, 2) });
    this.to_out = new Linear(inner, dim, { bias: outBias, seed: deriveSeed(seed, 3) });
  }

  /**
   * xq (B, Tq, dim) attends over xk, xv (B, Tk, dim) → (B, Tq, dim). Self-attention: pass the same tensor three
   * times. masks: optional { keyPaddingMask } (B, Tk), true = ignore the key as in PyTorch, or { keepMask }, true =
   * attend (ops/attention-mask.ts).
   */
  forward(xq: Tensor, xk: Tensor, xv: Tensor, masks?: AttentionMasks | null): Tensor {
    const op = 'MultiheadAttention';
    assertLive(op, xq, xk, xv);
    const shapes: Shape[] = [xq.shape, xk.shape, xv.shape];
    for (const [name, x] of [
      ['xq', xq],
      ['xk', xk],
      ['xv', xv],
    ] as const) {
      check(x.rank === 3 && x.shape[2] === this.dim, op, `${name} must be (B, T, ${this.dim})`, shapes);
    }
    const [B, Tq] = xq.shape;
    const [Bk, Tk] = xk.shape;
    check(B === Bk, op, `xq and xk have different batch sizes (${B} and ${Bk})`, shapes);
    check(xv.shape[0] === Bk && xv.shape[1] === Tk, op, 'xk and xv must have the same (B, T)', shapes);
    checkMasks(op, masks, B, Tk, shapes);
    const { heads: H, dimHead: Dh } = this;
    const q = reshape(this.to_q.forward(xq), [B, Tq, H, Dh]);
    const k = reshape(this.to_k.forward(xk), [B, Tk, this.kvHeads, Dh]);
    const v = reshape(this.to_v.forward(xv), [B, Tk, this.kvHeads, Dh]);
    const o = attention(q, k, v, { ...masks, scale: this.scale, layout: 'bthd', causal: this.causal }); // (B, Tq, H, Dh)
    return this.to_out.forward(reshape(o, [B, Tq, H * Dh]));
  }
}
