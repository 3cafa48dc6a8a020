// LNLN's pre-norm Transformer blocks (docs/models.md §5.1; LNLN models/basic_layers.py), on MultiheadAttention.
// The models run the grouped versions (./grouped.ts); these one-network layers stay as their reference: group g of a
// grouped layer must equal the layer here with the g-th parameters (test/grouped.test.ts).
//
//   TransformerEncoderLayer:  x = attn(LN_q(x), LN_k(x), LN_v(x)) + x;   x = FF(LN(x)) + x
//   CrossTransformerLayer:    t = attn(LN_q(t), LN_k(s), LN_v(s)) + t;   t = FF(LN(t)) + t
//   FF = Linear(dim → mlpDim) → GELU (erf) → Linear(mlpDim → dim); three separate LayerNorms for q, k, v; no dropout,
//   no final LayerNorm.
//   Transformer:       [extra tokens (zeros) ‖ x] + pos_embedding[:, :n + tokenLen] (randn), then `depth` encoder layers.
//   CrossTransformer:  one shared zero token prepended to both source and target, separate pos-embeddings (randn,
//                      length + 1), then `depth` cross layers; returns the target stream (B, nt + 1, dim).
//
// Parameter names (checkpoint keys; a PyTorch port of DAR must use the same field names):
//   layer:            norm_q.{weight,bias}  norm_k.*  norm_v.*  attn.to_q.weight  attn.to_k.weight  attn.to_v.weight
//                     attn.to_out.{weight,bias}  norm_ff.{weight,bias}  ff.fc1.{weight,bias}  ff.fc2.{weight,bias}
//   Transformer:      pos_embedding (1, numFrames + tokenLen, dim)  extra_token (1, tokenLen, dim)  layers.<i>.<layer>
//   CrossTransformer: pos_embedding_s (1, ns + 1, dim)  pos_embedding_t (1, nt + 1, dim)  extra_token (1, 1, dim)
//                     layers.<i>.<layer>
// LNLN's names for the same tensors, for loading its checkpoints: layers.<i>.norm_q → encoder.layers.<i>.0.norm_q (and
// norm_k, norm_v); layers.<i>.attn.X → encoder.layers.<i>.0.fn.X, with to_out → to_out.0; layers.<i>.norm_ff →
// encoder.layers.<i>.1.norm; ff.fc1 → encoder.layers.<i>.1.fn.net.0; ff.fc2 → encoder.layers.<i>.1.fn.net.3 (in the
// CrossTransformer, `encoder` is `CrossTransformerEncoder`). pos_embedding, extra_token, pos_embedding_s/_t match.
//
// MASKS: every forward takes an optional { keyPaddingMask } (PyTorch's meaning: true = ignore the key) or { keepMask }
// (true = attend); ../ops/attention-mask.ts. The prepended tokens are always attended to.

import { check, type Shape } from '../errors';
import { ones, randn, zeros } from '../creation';
import { assertLive, Tensor } from '../tensor';
import { layerNorm } from '../ops/layernorm';
import { add, expand, gelu } from '../ops/elementwise';
import { concat, slice } from '../ops/shape';
import { checkMasks, withLeadingKeys, type AttentionMasks } from '../ops/attention-mask';
import { Linear, Module, parameter, type UnaryModule } from './module';
import { MultiheadAttention } from './attention';
import { deriveSeed } from '../seed';

/** A layer's key-padding masks (or none): the attention options keyPaddingMask / keepMask. */
export type Mask = AttentionMasks | null | undefined;

// ------------------------------------------------------------------------------------------- LayerNorm, FF

/** Layer normalisation over the last axis with learned weight (ones) and bias (zeros), as torch.nn.LayerNorm. */
export class LayerNorm extends Module implements UnaryModule {
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(
    readonly dim: number,
    readonly eps = 1e-5,
  ) {
    super();
    check(Number.isInteger(dim) && dim > 0, 'LayerNorm', `dim must be a positive integer, got ${dim}`);
    this.weight = parameter(ones([dim]));
    this.bias = parameter(zeros([dim]));
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

/** fc2(gelu(fc1(x))): Linear(dim → hidden) → GELU (erf) → Linear(hidden → dim). */
export class FeedForward extends Module implements UnaryModule {
  readonly fc1: Linear;
  readonly fc2: Linear;

  constructor(dim: number, hidden: number, seed?: number) {
    super();
    this.fc1 = new Linear(dim, hidden, { seed: deriveSeed(seed, 0) });
    this.fc2 = new Linear(hidden, dim, { seed: deriveSeed(seed, 1) });
  }

  forward(x: Tensor): Tensor {
    return this.fc2.forward(gelu(this.fc1.forward(x)));
  }
}

// ------------------------------------------------------------------------------------------------- layers

export interface TransformerLayerOptions {
  /** Heads (default 8). */
  heads?: number;
  /** Size of each head (default 64, LNLN's default; DAR's encoders use 16). */
  dimHead?: number;
  /** Hidden width of the feed-forward block (default dim, as LNLN's mlp_dim = 128 for dim 128). */
  mlpDim?: number;
  seed?: number;
}

/** Checks a (B, T, dim) input of a layer; returns (B, T). */
function checkSeq(op: string, name: string, x: Tensor, dim: number, shapes: Shape[]): [number, number] {
  assertLive(op, x);
  check(x.rank === 3 && x.shape[2] === dim, op, `${name} must be (B, T, ${dim})`, shapes);
  return [x.shape[0], x.shape[1]];
}

/** The parts every pre-norm attention layer has; subclasses differ in where keys and values come from. */
abstract class PreNormAttentionLayer extends Module {
  readonly norm_q: LayerNorm;
  readonly norm_k: LayerNorm;
  readonly norm_v: LayerNorm;
  readonly attn: MultiheadAttention;
  readonly norm_ff: LayerNorm;
  readonly ff: FeedForward;

  constructor(
    readonly dim: number,
    opts: TransformerLayerOptions,
    op: string,
  ) {
    super();
    const { heads = 8, dimHead = 64, mlpDim = dim, seed } = opts;
    check(Number.isInteger(dim) && dim > 0, op, `dim must be a positive integer, got ${dim}`);
    check(Number.isInteger(mlpDim) && mlpDim > 0, op, `mlpDim must be a positive integer, got ${mlpDim}`);
    this.norm_q = new LayerNorm(dim);
    this.norm_k = new LayerNorm(dim);
    this.norm_v = new LayerNorm(dim);
    this.attn = new MultiheadAttention(dim, { heads, dimHead, seed: deriveSeed(seed, 0) });
    this.norm_ff = new LayerNorm(dim);
    this.ff = new FeedForward(dim, mlpDim, deriveSeed(seed, 1));
  }

  /** t (B, Tq, dim) attends over s (B, Tk, dim); shapes already checked. */
  protected run(t: Tensor, s: Tensor, masks: Mask): Tensor {
    const a = this.attn.forward(this.norm_q.forward(t), this.norm_k.forward(s), this.norm_v.forward(s), masks);
    const x = add(a, t);
    return add(this.ff.forward(this.norm_ff.forward(x)), x);
  }
}

/** LNLN's pre-norm self-attention encoder layer; see the top of this file. */
export class TransformerEncoderLayer extends PreNormAttentionLayer {
  constructor(dim: number, opts: TransformerLayerOptions = {}) {
    super(dim, opts, 'TransformerEncoderLayer');
  }

  /** x (B, T, dim) → (B, T, dim); masks: optional, (B, T) (see MASKS). */
  forward(x: Tensor, masks?: Mask): Tensor {
    const op = 'TransformerEncoderLayer';
    const [B, T] = checkSeq(op, 'x', x, this.dim, [x.shape]);
    checkMasks(op, masks, B, T, [x.shape]);
    return this.run(x, x, masks);
  }
}

/** LNLN's cross-attention layer: the target attends over the source; see the top of this file. */
export class CrossTransformerLayer extends PreNormAttentionLayer {
  constructor(dim: number, opts: TransformerLayerOptions = {}) {
    super(dim, opts, 'CrossTransformerLayer');
  }

  /** target (B, Tq, dim), source (B, Tk, dim) → (B, Tq, dim); masks: optional, (B, Tk) over the source (see MASKS). */
  forward(target: Tensor, source: Tensor, masks?: Mask): Tensor {
    const op = 'CrossTransformerLayer';
    const shapes = [target.shape, source.shape];
    const [B] = checkSeq(op, 'target', target, this.dim, shapes);
    const [Bs, Tk] = checkSeq(op, 'source', source, this.dim, shapes);
    check(B === Bs, op, `target and source have different batch sizes (${B} and ${Bs})`, shapes);
    checkMasks(op, masks, B, Tk, shapes);
    return this.run(target, source, masks);
  }
}

// --------------------------------------------------------------------------------------------- stacks

/** x + pos[:, :T] for x (B, T, dim) and pos (1, N, dim), N ≥ T. */
function addPositions(x: Tensor, pos: Tensor): Tensor {
  const T = x.shape[1];
  return add(x, T === pos.shape[1] ? pos : slice(pos, 1, 0, T));
}

/** [token expanded over the batch ‖ x] along time. */
function prependTokens(x: Tensor, tokens: Tensor): Tensor {
  return concat([expand(tokens, [x.shape[0], tokens.shape[1], x.shape[2]]), x], 1);
}

export interface TransformerOptions extends TransformerLayerOptions {
  /** Learned tokens (zeros at init) prepended to the sequence; none by default. */
  tokenLen?: number;
}

/** LNLN's Transformer: optional prepended tokens, learned positional embedding, `depth` pre-norm encoder layers. */
export class Transformer extends Module {
  readonly pos_embedding: Tensor;
  readonly extra_token: Tensor | null;
  readonly layers: TransformerEncoderLayer[];
  readonly tokenLen: number;

  constructor(
    readonly numFrames: number,
    readonly dim: number,
    readonly depth: number,
    opts: TransformerOptions = {},
  ) {
    super();
    const op = 'Transformer';
    const { tokenLen = 0, seed } = opts;
    for (const [what, n] of [
      ['numFrames', numFrames],
      ['dim', dim],
    ] as const) {
      check(Number.isInteger(n) && n > 0, op, `${what} must be a positive integer, got ${n}`);
    }
    check(Number.isInteger(depth) && depth >= 0, op, `depth must be an integer ≥ 0, got ${depth}`);
    check(Number.isInteger(tokenLen) && tokenLen >= 0, op, `tokenLen must be an integer ≥ 0, got ${tokenLen}`);
    this.tokenLen = tokenLen;
    this.pos_embedding = parameter(randn([1, numFrames + tokenLen, dim], { seed: deriveSeed(seed, 0) }));
    this.extra_token = tokenLen > 0 ? parameter(zeros([1, tokenLen, dim])) : null;
    this.layers = [];
    for (let l = 0; l < depth; l++) {
      this.layers.push(new TransformerEncoderLayer(dim, { ...opts, seed: deriveSeed(seed, l + 1) }));
    }
  }

  /** x (B, n, dim), n ≤ numFrames → (B, tokenLen + n, dim). masks: optional, (B, n) over the frames (see MASKS). */
  forward(x: Tensor, masks?: Mask): Tensor {
    const hidden = this.forwardHidden(x, masks);
    return hidden[hidden.length - 1];
  }

  /** LNLN's save_hidden: [x after the embedding, after layer 1, ..., after layer depth]. */
  forwardHidden(x: Tensor, masks?: Mask): Tensor[] {
    const op = 'Transformer';
    const [B, n] = checkSeq(op, 'x', x, this.dim, [x.shape]);
    check(n <= this.numFrames, op, `x has ${n} frames, more than numFrames = ${this.numFrames}`, [x.shape]);
    checkMasks(op, masks, B, n, [x.shape]);
    let h = this.extra_token ? prependTokens(x, this.extra_token) : x;
    h = addPositions(h, this.pos_embedding);
    const m = withLeadingKeys(masks, B, n, this.tokenLen);
    const out = [h];
    for (const layer of this.layers) out.push((h = layer.forward(h, m)));
    return out;
  }
}

/** LNLN's CrossTransformer: a shared zero token before source and target, separate pos-embeddings, cross layers. */
export class CrossTransformer extends Module {
  readonly pos_embedding_s: Tensor;
  readonly pos_embedding_t: Tensor;
  readonly extra_token: Tensor;
  readonly layers: CrossTransformerLayer[];

  constructor(
    readonly sourceFrames: number,
    readonly targetFrames: number,
    readonly dim: number,
    readonly depth: number,
    opts: TransformerLayerOptions = {},
  ) {
    super();
    const op = 'CrossTransformer';
    for (const [what, n] of [
      ['sourceFrames', sourceFrames],
      ['targetFrames', targetFrames],
      ['dim', dim],
    ] as const) {
      check(Number.isInteger(n) && n > 0, op, `${what} must be a positive integer, got ${n}`);
    }
    check(Number.isInteger(depth) && depth >= 0, op, `depth must be an integer ≥ 0, got ${depth}`);
    const { seed } = opts;
    this.pos_embedding_s = parameter(randn([1, sourceFrames + 1, dim], { seed: deriveSeed(seed, 0) }));
    this.pos_embedding_t = parameter(randn([1, targetFrames + 1, dim], { seed: deriveSeed(seed, 1) }));
    this.extra_token = parameter(zeros([1, 1, dim]));
    this.layers = [];
    for (let l = 0; l < depth; l++) {
      this.layers.push(new CrossTransformerLayer(dim, { ...opts, seed: deriveSeed(seed, l + 2) }));
    }
  }

  /** source (B, ns, dim), target (B, nt, dim) → (B, nt + 1, dim). masks: optional, (B, ns) over the source (see MASKS). */
  forward(source: Tensor, target: Tensor, masks?: Mask): Tensor {
    const op = 'CrossTransformer';
    const shapes = [source.shape, target.shape];
    const [B, ns] = checkSeq(op, 'source', source, this.dim, shapes);
    const [Bt, nt] = checkSeq(op, 'target', target, this.dim, shapes);
    check(B === Bt, op, `source and target have different batch sizes (${B} and ${Bt})`, shapes);
    check(
      ns <= this.sourceFrames && nt <= this.targetFrames,
      op,
      `at most ${this.sourceFrames} source and ${this.targetFrames} target frames`,
      shapes,
    );
    checkMasks(op, masks, B, ns, shapes);
    const s = addPositions(prependTokens(source, this.extra_token), this.pos_embedding_s);
    let t = addPositions(prependTokens(target, this.extra_token), this.pos_embedding_t);
    const m = withLeadingKeys(masks, B, ns, 1);
    for (const layer of this.layers) t = layer.forward(t, s, m);
    return t;
  }
}
