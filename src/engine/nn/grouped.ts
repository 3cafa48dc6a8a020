// Grouped layers: G small networks of one shape run as one, and ModuleDict (named submodules).
//
// Why grouped: a model such as DAR runs many small networks of identical shape side by side: an encoder per modality
// and kind (E_c^l, E_c^v, E_c^a, E_s^l, ...), a reconstruction encoder per modality and kind, a fusion block per
// modality or per ordered pair. On a CPU-emulated GPU the cost of such tiny layers is the number of kernel launches,
// not arithmetic, so G networks of one shape are stored as G-stacked parameters and run as one: inputs are
// (G, B, T, ·), every Linear is one batched matmul (G, B·T, in)·(G, in, out)ᵀ, LayerNorm is one normalisation plus a
// per-group affine, attention folds G into its batch. Group g of a grouped module is exactly the ungrouped LNLN block
// (./transformer.ts) with the g-th slice of every parameter, under the same field names with a leading G axis:
//   GroupedLinear:          weight (G, out, in), bias (G, out)
//   GroupedLayerNorm:       weight (G, C) ones, bias (G, C) zeros, eps 1e-5
//   GroupedAttentionLayer:  norm_q, norm_k, norm_v, attn.{to_q, to_k, to_v (no bias), to_out}, norm_ff, ff.{fc1, fc2}
//   GroupedTransformer:     pos_embedding (G, T, dim) ~ N(0, 1), layers.<i>     (no extra tokens)
//   GroupedCrossEncoder:    layers.<i>                                          (no tokens, no positions)
// nn/transformer.ts's ungrouped layers are not used by the application: they stay as the reference that group g of
// each grouped layer is checked against (test/grouped.test.ts), and are checked against PyTorch themselves.

import { check } from '../errors';
import { ones, rand, randn, zeros } from '../creation';
import { deriveSeed, nextSeed } from '../seed';
import type { Tensor } from '../tensor';
import { add, mul } from '../ops/elementwise';
import { layerNorm } from '../ops/layernorm';
import { affine } from '../ops/affine';
import { launchFusions } from '../fusion';
import { matmul, type MatmulActivation } from '../ops/matmul';
import { attention } from '../ops/attention';
import { reshape, slice } from '../ops/shape';
import { Linear, Module, parameter } from './module';

const OP = 'GroupedTransformer';

/**
 * Named submodules as fields (PyTorch's nn.ModuleDict): parameters are named `<key>.<name>`, so a dict stored in field
 * `align` gives `align.l.conv.weight`.
 */
export class ModuleDict<T extends Module> extends Module {
  constructor(entries: readonly (readonly [string, T])[]) {
    super();
    for (const [k, m] of entries) {
      check(!(k in this), 'ModuleDict', `key '${k}' collides with a Module field`);
      (this as unknown as Record<string, T>)[k] = m;
    }
  }

  get(key: string): T {
    const m = (this as unknown as Record<string, T>)[key];
    check(m instanceof Module, 'ModuleDict', `no module under key '${key}'`);
    return m;
  }
}

// ------------------------------------------------------------------------------------------ grouped layers

/** Checks x is (G, ..., last) and returns the number of rows per group. */
function groupRows(op: string, x: Tensor, G: number, last: number): number {
  check(x.rank >= 2 && x.shape[0] === G && x.shape[x.rank - 1] === last, op, `input must be (${G}, ..., ${last})`, [
    x.shape,
  ]);
  return x.size / (G * last);
}

/** G Linear layers side by side: x (G, ..., in) → (G, ..., out), initialised like torch.nn.Linear per group. */
export class GroupedLinear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly groups: number,
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: { bias?: boolean; seed?: number } = {},
  ) {
    super();
    const bound = 1 / Math.sqrt(inFeatures);
    const seed = opts.seed ?? nextSeed();
    this.weight = parameter(
      rand([groups, outFeatures, inFeatures], { low: -bound, high: bound, seed: deriveSeed(seed, 0) }),
    );
    this.bias =
      opts.bias === false
        ? null
        : parameter(rand([groups, outFeatures], { low: -bound, high: bound, seed: deriveSeed(seed, 1) }));
  }

  /** x·W_gᵀ + b_g per group, or act() of it with `activation` (in the product's launch where matmul can). */
  forward(x: Tensor, activation: MatmulActivation | null = null): Tensor {
    const G = this.groups;
    const n = groupRows('GroupedLinear', x, G, this.inFeatures);
    // (G, n, out); group g's bias row (and the activation) are applied in the kernel's store
    const opts = { transB: true, bias: this.bias, activation };
    const y = matmul(reshape(x, [G, n, this.inFeatures]), this.weight, opts);
    return reshape(y, [...x.shape.slice(0, -1), this.outFeatures]);
  }

  /** The same input through every group: x (..., in) → (G, ..., out), one matmul without copying x G times. */
  forwardShared(x: Tensor): Tensor {
    const G = this.groups;
    check(
      x.rank >= 1 && x.shape[x.rank - 1] === this.inFeatures,
      'GroupedLinear',
      `input must be (..., ${this.inFeatures})`,
      [x.shape],
    );
    const n = x.size / this.inFeatures;
    const y = matmul(reshape(x, [n, this.inFeatures]), this.weight, { transB: true, bias: this.bias }); // (G, n, out)
    return reshape(y, [G, ...x.shape.slice(0, -1), this.outFeatures]);
  }
}

/** G LayerNorms side by side over the last axis: normalise once, then each group's own affine. */
export class GroupedLayerNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(
    readonly groups: number,
    readonly dim: number,
    readonly eps = 1e-5,
  ) {
    super();
    this.weight = parameter(ones([groups, dim]));
    this.bias = parameter(zeros([groups, dim]));
  }

  /** (x − mean) / √(var + eps) without the affine: shared by norm_q, norm_k, norm_v on the same input. */
  normalize(x: Tensor): Tensor {
    return layerNorm(x, null, null, this.eps);
  }

  /** x̂·weight_g + bias_g for x̂ (G, ..., dim): one affine() launch, or a broadcast mul and add without fusions. */
  affine(xhat: Tensor): Tensor {
    const G = this.groups;
    const n = groupRows('GroupedLayerNorm', xhat, G, this.dim);
    if (launchFusions()) return affine(xhat, this.weight, this.bias);
    const y = add(
      mul(reshape(xhat, [G, n, this.dim]), reshape(this.weight, [G, 1, this.dim])),
      reshape(this.bias, [G, 1, this.dim]),
    );
    return reshape(y, xhat.shape);
  }

  forward(x: Tensor): Tensor {
    return this.affine(this.normalize(x));
  }
}

/** fc2(act(fc1(x))), grouped. */
export class GroupedMLP extends Module {
  readonly fc1: GroupedLinear;
  readonly fc2: GroupedLinear;

  constructor(
    groups: number,
    inF: number,
    hidden: number,
    outF: number,
    readonly act: 'gelu' | 'relu' = 'gelu',
    seed?: number,
  ) {
    super();
    this.fc1 = new GroupedLinear(groups, inF, hidden, { seed: deriveSeed(seed, 0) });
    this.fc2 = new GroupedLinear(groups, hidden, outF, { seed: deriveSeed(seed, 1) });
  }

  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x, this.act)); // fc1's activation in its matmul's launch
  }
}

/** fc2(act(fc1(x))) with plain Linear layers (the prediction and bootstrap heads). */
export class MLP extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;

  constructor(
    inF: number,
    hidden: number,
    outF: number,
    readonly act: 'gelu' | 'relu' = 'relu',
    seed?: number,
  ) {
    super();
    this.fc1 = new Linear(inF, hidden, { seed: deriveSeed(seed, 0) });
    this.fc2 = new Linear(hidden, outF, { seed: deriveSeed(seed, 1) });
  }

  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x, this.act)); // fc1's activation in its matmul's launch
  }
}

export interface GroupedBlockOptions {
  heads: number;
  dimHead: number;
  mlpDim: number;
  seed?: number;
}

/** G MultiheadAttentions side by side (LNLN's Attention: no q/k/v bias, scale dimHead^-½, no mask). */
export class GroupedAttention extends Module {
  readonly to_q: GroupedLinear;
  readonly to_k: GroupedLinear;
  readonly to_v: GroupedLinear;
  readonly to_out: GroupedLinear;

  constructor(
    readonly groups: number,
    readonly dim: number,
    readonly heads: number,
    readonly dimHead: number,
    seed?: number,
  ) {
    super();
    const inner = heads * dimHead;
    this.to_q = new GroupedLinear(groups, dim, inner, { bias: false, seed: deriveSeed(seed, 0) });
    this.to_k = new GroupedLinear(groups, dim, inner, { bias: false, seed: deriveSeed(seed, 1) });
    this.to_v = new GroupedLinear(groups, dim, inner, { bias: false, seed: deriveSeed(seed, 2) });
    this.to_out = new GroupedLinear(groups, inner, dim, { seed: deriveSeed(seed, 3) });
  }

  /** xq (G, B, Tq, dim) attends over xk, xv (G, B, Tk, dim) → (G, B, Tq, dim); groups and batch fold together. */
  forward(xq: Tensor, xk: Tensor, xv: Tensor): Tensor {
    const [G, B, Tq] = xq.shape;
    const Tk = xk.shape[2];
    const { heads: H, dimHead: Dh } = this;
    const q = reshape(this.to_q.forward(xq), [G * B, Tq, H, Dh]);
    const k = reshape(this.to_k.forward(xk), [G * B, Tk, H, Dh]);
    const v = reshape(this.to_v.forward(xv), [G * B, Tk, H, Dh]);
    const o = attention(q, k, v, { scale: 1 / Math.sqrt(Dh), layout: 'bthd' }); //     (G·B, Tq, H, Dh)
    return this.to_out.forward(reshape(o, [G, B, Tq, H * Dh]));
  }
}

/**
 * G LNLN pre-norm layers side by side: t = attn(LN_q(t), LN_k(s), LN_v(s)) + t; t = FF(LN(t)) + t, with s = t for
 * self-attention (TransformerEncoderLayer) or another sequence (CrossTransformerLayer).
 */
export class GroupedAttentionLayer extends Module {
  readonly norm_q: GroupedLayerNorm;
  readonly norm_k: GroupedLayerNorm;
  readonly norm_v: GroupedLayerNorm;
  readonly attn: GroupedAttention;
  readonly norm_ff: GroupedLayerNorm;
  readonly ff: GroupedMLP;

  constructor(
    readonly groups: number,
    readonly dim: number,
    opts: GroupedBlockOptions,
  ) {
    super();
    this.norm_q = new GroupedLayerNorm(groups, dim);
    this.norm_k = new GroupedLayerNorm(groups, dim);
    this.norm_v = new GroupedLayerNorm(groups, dim);
    this.attn = new GroupedAttention(groups, dim, opts.heads, opts.dimHead, deriveSeed(opts.seed, 0));
    this.norm_ff = new GroupedLayerNorm(groups, dim);
    this.ff = new GroupedMLP(groups, dim, opts.mlpDim, dim, 'gelu', deriveSeed(opts.seed, 1));
  }

  /** t (G, B, Tq, dim), optional source s (G, B, Tk, dim) → (G, B, Tq, dim). */
  forward(t: Tensor, s?: Tensor): Tensor {
    const th = this.norm_q.normalize(t);
    const sh = s ? this.norm_k.normalize(s) : th; //    one normalisation serves all three norms when s = t
    const a = this.attn.forward(this.norm_q.affine(th), this.norm_k.affine(sh), this.norm_v.affine(sh));
    const x = add(a, t);
    return add(this.ff.forward(this.norm_ff.forward(x)), x);
  }
}

/** G LNLN Transformers side by side: x + pos_embedding_g, then `depth` self-attention layers. */
export class GroupedTransformer extends Module {
  readonly pos_embedding: Tensor;
  readonly layers: GroupedAttentionLayer[] = [];

  constructor(
    readonly groups: number,
    readonly numFrames: number,
    readonly dim: number,
    depth: number,
    opts: GroupedBlockOptions,
  ) {
    super();
    this.pos_embedding = parameter(randn([groups, numFrames, dim], { seed: deriveSeed(opts.seed ?? nextSeed(), 0) }));
    for (let l = 0; l < depth; l++)
      this.layers.push(new GroupedAttentionLayer(groups, dim, { ...opts, seed: deriveSeed(opts.seed, l + 1) }));
  }

  /** x (G, B, T, dim), T ≤ numFrames → (G, B, T, dim). */
  forward(x: Tensor): Tensor {
    const [G, , T] = x.shape;
    check(
      x.rank === 4 && G === this.groups && x.shape[3] === this.dim && T <= this.numFrames,
      OP,
      `a grouped Transformer needs (${this.groups}, B, ≤ ${this.numFrames}, ${this.dim})`,
      [x.shape],
    );
    const pos = T === this.numFrames ? this.pos_embedding : slice(this.pos_embedding, 1, 0, T);
    let h = add(x, reshape(pos, [G, 1, T, this.dim]));
    for (const layer of this.layers) h = layer.forward(h);
    return h;
  }
}

/** G LNLN CrossTransformerEncoders side by side: `depth` cross-attention layers, no tokens, no positions. */
export class GroupedCrossEncoder extends Module {
  readonly layers: GroupedAttentionLayer[] = [];

  constructor(
    readonly groups: number,
    readonly dim: number,
    depth: number,
    opts: GroupedBlockOptions,
  ) {
    super();
    for (let l = 0; l < depth; l++)
      this.layers.push(new GroupedAttentionLayer(groups, dim, { ...opts, seed: deriveSeed(opts.seed, l) }));
  }

  /** target (G, B, Tq, dim) attends over source (G, B, Tk, dim) → (G, B, Tq, dim). */
  forward(target: Tensor, source: Tensor): Tensor {
    for (const layer of this.layers) target = layer.forward(target, source);
    return target;
  }
}
