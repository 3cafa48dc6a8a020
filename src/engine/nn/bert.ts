// BERT (Devlin et al. 2019), as Hugging Face's BertModel computes it, with its parameter names, so a bert-base-uncased
// model.safetensors + config.json load as they are (loadBert, at the end; names: ../io/bert-checkpoint.ts).
//
//   const bert = new Bert({ vocabSize: 30522, hidden: 768, layers: 12, heads: 12, intermediate: 3072,
//                           maxPosition: 512, typeVocab: 2 });          // layerNormEps 1e-12, pooler true by default
//   const { hidden, pooled } = bert.forward(ids, tokenTypes, mask);
//   // ids, tokenTypes, mask: (B, T) integers, as B arrays of T or { data, shape: [B, T] } (see IdBatch).
//   // mask: HF's attention_mask, 1 = real token, 0 = padding (keys with 0 are never attended to); default all 1.
//   // tokenTypes: segment ids, default all 0.   hidden (B, T, hidden): last_hidden_state;  pooled (B, hidden) | null.
//
// The maths (post-LN, as the original; no dropout unless hiddenDropout > 0 and training):
//   embeddings:  e = LN(word[ids] + position[0..T) + token_type[tokenTypes])                          (B, T, H)
//   layer:       a = LN(x + dense_o(attention(query(x), key(x), value(x), keepMask = mask)))          per head Dh = H/heads
//                y = LN(a + dense_2(gelu_erf(dense_1(a))))                                          dense_1: H → I
//   pooler:      pooled = tanh(dense(y[:, 0]))                                                       the [CLS] row
// Attention-probability dropout (HF's attention_probs_dropout_prob) is not applied: the fused attention op has none.
//
// Parameter names (HF BertModel's state_dict):
//   embeddings.{word_embeddings,position_embeddings,token_type_embeddings}.weight   embeddings.LayerNorm.{weight,bias}
//   encoder.layer.<i>.attention.self.{query,key,value}.{weight,bias}    encoder.layer.<i>.attention.output.dense.*
//   encoder.layer.<i>.attention.output.LayerNorm.*   encoder.layer.<i>.intermediate.dense.*
//   encoder.layer.<i>.output.dense.*   encoder.layer.<i>.output.LayerNorm.*   pooler.dense.{weight,bias}
// Linear weights are (out, in), as in PyTorch, so they copy over unchanged.

import { check, type Shape } from '../errors';
import { fillInto, randn, tensor } from '../creation';
import { runtime } from '../engine';
import { Tensor } from '../tensor';
import { add, gelu, mul, tanh } from '../ops/elementwise';
import { dropout } from '../ops/dropout';
import { attention } from '../ops/attention';
import { gatherRows, reshape, slice } from '../ops/shape';
import { Linear, Module, parameter } from './module';
import { LayerNorm } from './transformer';
import { deriveSeed, nextSeed } from '../seed';
import { CheckpointError, describeNonFinite, entryToFloat32, parseSafetensors } from '../io/safetensors';
import { bertConfigFromHF, planBertLoad, type HfBertConfigJson } from '../io/bert-checkpoint';

export interface BertConfig {
  vocabSize: number;
  /** H: the width of every token vector (768 in bert-base). */
  hidden: number;
  layers: number;
  heads: number;
  /** The feed-forward width (3072 in bert-base). */
  intermediate: number;
  /** Longest sequence (512): the rows of the position table. */
  maxPosition: number;
  /** Segment types (2). */
  typeVocab: number;
  /** LayerNorm epsilon (default 1e-12, as BERT). */
  layerNormEps?: number;
  /** Whether the model has the [CLS] pooler (default true). */
  pooler?: boolean;
  /**
   * HF's pad_token_id (default 0, [PAD] in bert-base-uncased): as nn.Embedding(padding_idx), that row of
   * word_embeddings takes no gradient. null: every row learns.
   */
  padTokenId?: number | null;
  /** Dropout on the embeddings and each sublayer's output before its residual, in training mode (default 0). */
  hiddenDropout?: number;
  /** Seed of the initial weights (default: the global sequence). */
  seed?: number;
}

/** A (B, T) batch of integers: B rows of T numbers, or row-major data with its shape. */
export type IdBatch = readonly ArrayLike<number>[] | { data: ArrayLike<number>; shape: readonly [number, number] };

export interface BertOutput {
  /** (B, T, hidden): the last layer's token vectors (HF's last_hidden_state). */
  hidden: Tensor;
  /** (B, hidden): tanh(dense([CLS] vector)), or null without a pooler. */
  pooled: Tensor | null;
}

const OP = 'Bert';

/** Flattens an IdBatch to row-major numbers with its (B, T), checking that every row has T entries. */
export function flattenIds(name: string, ids: IdBatch): { data: ArrayLike<number>; B: number; T: number } {
  if (Array.isArray(ids)) {
    const rows = ids as readonly ArrayLike<number>[];
    const T = rows.length ? rows[0].length : 0;
    check(
      rows.every((r) => r != null && r.length === T),
      OP,
      `${name}: every row must have the same length (${T})`,
    );
    const data = new Float64Array(rows.length * T);
    rows.forEach((r, b) => data.set(Array.from(r), b * T));
    return { data, B: rows.length, T };
  }
  const { data, shape } = ids as { data: ArrayLike<number>; shape: readonly [number, number] };
  check(
    data != null && Array.isArray(shape) && shape.length === 2 && shape[0] * shape[1] === data.length,
    OP,
    `${name}: { data, shape: [B, T] } with B·T entries, got shape ${JSON.stringify(shape)} for ${data?.length} entries`,
  );
  return { data, B: shape[0], T: shape[1] };
}

/** A lookup table (num, dim) initialised N(0, 0.02) as BERT's; forward(ids, shape) → (...shape, dim). */
export class Embedding extends Module {
  readonly weight: Tensor;
  constructor(num: number, dim: number, seed?: number) {
    super();
    this.weight = parameter(randn([num, dim], { std: 0.02, seed: seed ?? nextSeed() }));
  }
  forward(ids: ArrayLike<number>, shape: Shape): Tensor {
    return gatherRows(this.weight, ids, shape);
  }
}

/** A Linear initialised as BERT's: weight N(0, 0.02), bias zeros (written over torch's uniform init). */
function bertLinear(inF: number, outF: number, seed: number | undefined): Linear {
  const l = new Linear(inF, outF, { seed });
  const w = randn([outF, inF], { std: 0.02, seed: deriveSeed(seed, 7) ?? nextSeed() });
  runtime().copy(w.buffer, l.weight.buffer, w.size * 4);
  w.dispose();
  fillInto(l.bias!, 0);
  return l;
}

export class BertEmbeddings extends Module {
  readonly word_embeddings: Embedding;
  readonly position_embeddings: Embedding;
  readonly token_type_embeddings: Embedding;
  readonly LayerNorm: LayerNorm;
  constructor(c: Required<Omit<BertConfig, 'seed'>> & { seed?: number }) {
    super();
    this.word_embeddings = new Embedding(c.vocabSize, c.hidden, deriveSeed(c.seed, 0));
    this.position_embeddings = new Embedding(c.maxPosition, c.hidden, deriveSeed(c.seed, 1));
    this.token_type_embeddings = new Embedding(c.typeVocab, c.hidden, deriveSeed(c.seed, 2));
    this.LayerNorm = new LayerNorm(c.hidden, c.layerNormEps);
  }
}

/** Q, K, V projections (with bias) of one layer. */
export class BertSelfAttention extends Module {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  constructor(H: number, seed?: number) {
    super();
    this.query = bertLinear(H, H, deriveSeed(seed, 0));
    this.key = bertLinear(H, H, deriveSeed(seed, 1));
    this.value = bertLinear(H, H, deriveSeed(seed, 2));
  }
}

/** A projection followed by LayerNorm(projection + residual): HF's BertSelfOutput and BertOutput. */
export class BertResidualOutput extends Module {
  readonly dense: Linear;
  readonly LayerNorm: LayerNorm;
  constructor(inF: number, H: number, eps: number, seed?: number) {
    super();
    this.dense = bertLinear(inF, H, seed);
    this.LayerNorm = new LayerNorm(H, eps);
  }
}

export interface BertLayerOptions {
  /** LayerNorm epsilon (default 1e-12). */
  layerNormEps?: number;
  /** Dropout before each residual, in training mode (default 0). */
  hiddenDropout?: number;
  seed?: number;
}

/** One post-LN encoder layer (HF's BertLayer): x (B, T, H) → (B, T, H); see the top of this file. */
export class BertLayer extends Module {
  readonly attention: { self: BertSelfAttention; output: BertResidualOutput } & Module;
  readonly intermediate: { dense: Linear } & Module;
  readonly output: BertResidualOutput;
  readonly hiddenDropout: number;

  constructor(
    readonly hidden: number,
    readonly heads: number,
    intermediate: number,
    opts: BertLayerOptions = {},
  ) {
    super();
    const { layerNormEps: eps = 1e-12, hiddenDropout = 0, seed } = opts;
    check(hidden % heads === 0, 'BertLayer', `hidden (${hidden}) must be a multiple of heads (${heads})`);
    this.hiddenDropout = hiddenDropout;
    this.attention = Object.assign(new Group(), {
      self: new BertSelfAttention(hidden, deriveSeed(seed, 0)),
      output: new BertResidualOutput(hidden, hidden, eps, deriveSeed(seed, 1)),
    });
    this.intermediate = Object.assign(new Group(), { dense: bertLinear(hidden, intermediate, deriveSeed(seed, 2)) });
    this.output = new BertResidualOutput(intermediate, hidden, eps, deriveSeed(seed, 3));
  }

  /** x (B, T, H) → (B, T, H). keepMask: B·T booleans, true = a real token (keys with false are never attended to). */
  forward(x: Tensor, keepMask: readonly boolean[] | null = null): Tensor {
    check(x.rank === 3 && x.shape[2] === this.hidden, 'BertLayer', `x must be (B, T, ${this.hidden})`, [x.shape]);
    const [B, T, H] = x.shape;
    const Dh = H / this.heads;
    // Self-attention over the heads, (B, T, heads, Dh) read in place ('bthd'); padded keys never attended to.
    const s = this.attention.self;
    const split = (lin: Linear) => reshape(lin.forward(x), [B, T, this.heads, Dh]);
    const ctx = attention(split(s.query), split(s.key), split(s.value), {
      keepMask,
      layout: 'bthd',
      scale: 1 / Math.sqrt(Dh),
    });
    const a = this.residual(this.attention.output, reshape(ctx, [B, T, H]), x);
    return this.residual(this.output, gelu(this.intermediate.dense.forward(a)), a);
  }

  /** LayerNorm(dropout(dense(h)) + residual). */
  private residual(o: BertResidualOutput, h: Tensor, residual: Tensor): Tensor {
    return o.LayerNorm.forward(add(drop(o.dense.forward(h), this.hiddenDropout, this.training), residual));
  }
}

/** A module that only groups submodules under a name (HF's BertAttention, BertIntermediate, BertEncoder, …). */
class Group extends Module {}

export class Bert extends Module {
  readonly embeddings: BertEmbeddings;
  readonly encoder: { layer: BertLayer[] } & Module;
  readonly pooler: ({ dense: Linear } & Module) | null;
  readonly config: Readonly<Required<Omit<BertConfig, 'seed'>>> & { seed?: number };

  constructor(config: BertConfig) {
    super();
    const c = { layerNormEps: 1e-12, pooler: true, hiddenDropout: 0, padTokenId: 0 as number | null, ...config };
    for (const k of ['vocabSize', 'hidden', 'layers', 'heads', 'intermediate', 'maxPosition', 'typeVocab'] as const) {
      check(Number.isInteger(c[k]) && c[k] > 0, OP, `config.${k} must be a positive integer, got ${c[k]}`);
    }
    check(c.hidden % c.heads === 0, OP, `config.hidden (${c.hidden}) must be a multiple of config.heads (${c.heads})`);
    check(c.layerNormEps > 0, OP, `config.layerNormEps must be positive, got ${c.layerNormEps}`);
    check(c.hiddenDropout >= 0 && c.hiddenDropout < 1, OP, `config.hiddenDropout must be in [0, 1)`);
    check(
      c.padTokenId === null || (Number.isInteger(c.padTokenId) && c.padTokenId >= 0 && c.padTokenId < c.vocabSize),
      OP,
      `config.padTokenId must be null or an id in [0, ${c.vocabSize}), got ${c.padTokenId}`,
    );
    this.config = c;
    this.embeddings = new BertEmbeddings(c);
    const layer: BertLayer[] = [];
    for (let l = 0; l < c.layers; l++) {
      const opts = { layerNormEps: c.layerNormEps, hiddenDropout: c.hiddenDropout, seed: deriveSeed(c.seed, 10 + l) };
      layer.push(new BertLayer(c.hidden, c.heads, c.intermediate, opts));
    }
    this.encoder = Object.assign(new Group(), { layer });
    this.pooler = c.pooler
      ? Object.assign(new Group(), { dense: bertLinear(c.hidden, c.hidden, deriveSeed(c.seed, 3)) })
      : null;
  }

  /** ids, tokenTypes, mask (B, T) → { hidden (B, T, H), pooled (B, H) | null }; see the top of this file. */
  forward(ids: IdBatch, tokenTypes?: IdBatch | null, mask?: IdBatch | null): BertOutput {
    const { hidden: H, vocabSize, typeVocab, maxPosition } = this.config;
    const id = flattenIds('ids', ids);
    const { B, T } = id;
    check(B > 0 && T > 0, OP, `ids must be (B, T) with B, T ≥ 1, got (${B}, ${T})`);
    check(T <= maxPosition, OP, `sequence length ${T} exceeds maxPosition ${maxPosition}`, [[B, T]]);
    checkRange('ids', id.data, vocabSize, [B, T]);
    const types = tokenTypes ? flattenIds('tokenTypes', tokenTypes) : { data: new Uint32Array(B * T), B, T };
    const keep = mask ? flattenIds('mask', mask) : null;
    for (const [name, x] of [
      ['tokenTypes', types],
      ['mask', keep],
    ] as const) {
      if (x) check(x.B === B && x.T === T, OP, `${name} must be (B, T) = (${B}, ${T}), got (${x.B}, ${x.T})`);
    }
    checkRange('tokenTypes', types.data, typeVocab, [B, T]);
    if (keep) checkRange('mask', keep.data, 2, [B, T]);

    // Embeddings: word (B, T, H) + position (T, H), broadcast over B, + token type (B, T, H), then LayerNorm.
    const E = this.embeddings;
    const positions = Array.from({ length: T }, (_, t) => t);
    const word = this.padWithoutGradient(E.word_embeddings.forward(id.data, [B, T]), id.data, [B, T]);
    let x = add(word, E.position_embeddings.forward(positions, [T]));
    x = add(x, E.token_type_embeddings.forward(types.data, [B, T]));
    x = drop(E.LayerNorm.forward(x), this.config.hiddenDropout, this.training);

    const keepMask = keep ? Array.from(keep.data, (v) => v !== 0) : null;
    for (const L of this.encoder.layer) x = L.forward(x, keepMask);
    const pooled = this.pooler ? tanh(this.pooler.dense.forward(reshape(slice(x, 1, 0, 1), [B, H]))) : null;
    return { hidden: x, pooled };
  }

  /** word (B, T, H) unchanged, but the positions holding padTokenId pass no gradient back (nn.Embedding's padding_idx). */
  private padWithoutGradient(word: Tensor, ids: ArrayLike<number>, [B, T]: [number, number]): Tensor {
    const pad = this.config.padTokenId;
    const isPad = Float32Array.from(ids, (v) => (v === pad ? 1 : 0));
    if (!isPad.includes(1)) return word;
    const notPad = tensor(
      isPad.map((v) => 1 - v),
      [B, T, 1],
    );
    // word·notPad + detach(word)·isPad: the same values (x·0 = 0, x + 0 = x), the gradient of the pads cut.
    return add(mul(word, notPad), mul(word.detach(), tensor(isPad, [B, T, 1])));
  }
}

/** Dropout with probability p in training mode; the identity otherwise. */
function drop(x: Tensor, p: number, training: boolean): Tensor {
  return p > 0 && training ? dropout(x, p) : x;
}

function checkRange(name: string, data: ArrayLike<number>, n: number, shape: Shape): void {
  for (let k = 0; k < data.length; k++) {
    const v = data[k];
    check(Number.isInteger(v) && v >= 0 && v < n, OP, `${name}[${k}] = ${v} is outside [0, ${n})`, [shape]);
  }
}

// ------------------------------------------------------------------------------------------------- loading

/** A Hugging Face BERT's two files: config.json (text or parsed) and model.safetensors (bytes). */
export interface BertFiles {
  config: string | HfBertConfigJson;
  weights: Uint8Array | ArrayBuffer;
}

export interface LoadBertOptions {
  /** Build the pooler (default: when the file has pooler.dense.*). */
  pooler?: boolean;
  /** Overrides config.json's hidden_dropout_prob. */
  hiddenDropout?: number;
}

/**
 * A Bert with a Hugging Face checkpoint's weights (../io/bert-checkpoint.ts says which names are read). The config and
 * every name and shape are checked first: a file that does not fit is a CheckpointError naming each tensor, and a
 * NaN or ±Infinity weight one naming where it is, before any GPU work. The model comes in evaluation mode, as
 * from_pretrained gives it: call train() to fine-tune (hidden dropout from config.json, unless opts overrides it).
 */
export function loadBert(files: BertFiles, opts: LoadBertOptions = {}): Bert {
  const config = bertConfigFromHF(files.config);
  const file = parseSafetensors(files.weights);
  const hasPooler = [...file.tensors.keys()].some((k) => /^(bert\.)?pooler\.dense\.weight$/.test(k));
  const c: BertConfig = { ...config, pooler: opts.pooler ?? hasPooler };
  if (opts.hiddenDropout !== undefined) c.hiddenDropout = opts.hiddenDropout;
  const { map } = planBertLoad(file.tensors, c);
  const state = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, key] of map) {
    const e = file.tensors.get(key)!;
    const data = entryToFloat32(e, key);
    const bad = describeNonFinite(key, data);
    if (bad) throw new CheckpointError('nonfinite', `BERT checkpoint: ${bad}`, [bad], 'loadBert');
    state.set(name, { shape: e.shape, data });
  }
  const bert = new Bert(c);
  bert.loadStateDict(state);
  return bert.eval(); // as from_pretrained: train() turns config.json's hidden dropout on for fine-tuning
}
