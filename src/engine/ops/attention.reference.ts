// Float64 CPU references for attention (src/engine/ops/attention.ts) and the modules built on it (src/engine/nn/attention.ts,
// src/engine/nn/transformer.ts): the gradient checks, the T = 500 test and the benchmarks compare the GPU against these.
// Plain loops, written for obviousness rather than speed. No GPU imports.
//
// Module references take their parameters as a record keyed by the modules' parameter names (`to_q.weight`,
// `layers.0.norm_q.bias`, ...), the same names namedParameters() gives, so a test can feed one list to both.

import { normalCdf } from './elementwise.reference';
import { refLayerNorm } from './layernorm.reference';

export interface Ref {
  data: Float64Array;
  shape: number[];
}

export type Layout = 'bhtd' | 'bthd';

export interface AttentionRefOptions {
  /** (B·Tk) keep flags: nonzero keeps a key. */
  keepMask?: ArrayLike<number> | null;
  /** Additive bias of (Tq·Tk) or (B·H·Tq·Tk) entries (told apart by length); ≤ −1e30 (−∞ too) excludes the pair. */
  attnMask?: ArrayLike<number> | null;
  /** Exclude key j > query i (top-left alignment). */
  causal?: boolean;
  /** v's shape when its head size differs from k's (default k's shape). */
  vShape?: readonly number[];
  scale?: number;
  layout?: Layout;
}

/** Dims and (b, h, t) element strides of a 4-D attention operand in either layout. */
function operand(shape: readonly number[], layout: Layout) {
  const [B, H, T, D] = layout === 'bhtd' ? shape : [shape[0], shape[2], shape[1], shape[3]];
  const st = layout === 'bhtd' ? [H * T * D, T * D, D] : [T * H * D, D, H * D];
  return { B, H, T, D, at: (b: number, h: number, t: number) => b * st[0] + h * st[1] + t * st[2] };
}

/**
 * softmax(scale · q·kᵀ over kept keys)·v per (batch, head); a query row with no kept key gives zeros. k and v may have
 * fewer heads than q (grouped-query attention: query head h reads k/v head ⌊h / (H / Hk)⌋), and v a head size of
 * its own (opts.vShape). Returns the output (q's shape with v's head size) and the probabilities P (B, H, Tq, Tk), which the backward reference reuses.
 */
export function attentionRef(
  q: ArrayLike<number>,
  qShape: readonly number[],
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  kShape: readonly number[],
  {
    keepMask: mask = null,
    attnMask = null,
    causal = false,
    vShape = kShape,
    scale,
    layout = 'bhtd',
  }: AttentionRefOptions = {},
): Ref & { probs: Float64Array } {
  const Q = operand(qShape, layout);
  const Kd = operand(kShape, layout);
  const V = operand(vShape, layout);
  const oShape = layout === 'bhtd' ? [Q.B, Q.H, Q.T, V.D] : [Q.B, Q.T, Q.H, V.D];
  const O = operand(oShape, layout);
  const { B, H, D } = Q;
  const Tq = Q.T;
  const Tk = Kd.T;
  const sc = scale ?? 1 / Math.sqrt(D);
  const out = new Float64Array(B * H * Tq * V.D);
  const probs = new Float64Array(B * H * Tq * Tk);
  const s = new Float64Array(Tk);
  const kept = new Uint8Array(Tk);
  const perHead = attnMask !== null && attnMask.length === B * H * Tq * Tk;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < Tq; i++) {
        const qo = Q.at(b, h, i);
        let m = -Infinity;
        for (let j = 0; j < Tk; j++) {
          const bias = attnMask ? attnMask[((perHead ? (b * H + h) * Tq : 0) + i) * Tk + j] : 0;
          kept[j] = (!mask || mask[b * Tk + j]) && !(causal && j > i) && bias > -1e30 ? 1 : 0;
          if (!kept[j]) continue;
          const ko = Kd.at(b, Math.floor(h / (H / Kd.H)), j);
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[qo + d] * k[ko + d];
          s[j] = sc * dot + bias;
          m = Math.max(m, s[j]);
        }
        if (m === -Infinity) continue; // no kept key: output and probabilities stay 0
        let z = 0;
        for (let j = 0; j < Tk; j++) if (kept[j]) z += Math.exp(s[j] - m);
        const prow = ((b * H + h) * Tq + i) * Tk;
        for (let j = 0; j < Tk; j++) {
          if (!kept[j]) continue;
          const pij = Math.exp(s[j] - m) / z;
          probs[prow + j] = pij;
          const vo = V.at(b, Math.floor(h / (H / Kd.H)), j);
          const oo = O.at(b, h, i);
          for (let d = 0; d < V.D; d++) out[oo + d] += pij * v[vo + d];
        }
      }
    }
  }
  return { data: out, shape: oShape, probs };
}

/**
 * Analytic gradients of attention given dL/do (go, the output's shape): dq, dk, dv in the operands' shapes.
 *   dV = Pᵀ·dO,  dP = dO·Vᵀ,  dS = P ⊙ (dP − rowsum(dO ⊙ O)),  dQ = scale·dS·K,  dK = scale·dSᵀ·Q.
 */
export function attentionBackwardRef(
  q: ArrayLike<number>,
  qShape: readonly number[],
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  kShape: readonly number[],
  go: ArrayLike<number>,
  opts: AttentionRefOptions = {},
): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
  const layout = opts.layout ?? 'bhtd';
  const { data: o, probs } = attentionRef(q, qShape, k, v, kShape, opts);
  const Q = operand(qShape, layout);
  const Kd = operand(kShape, layout);
  const V = operand(opts.vShape ?? kShape, layout);
  const O = operand(layout === 'bhtd' ? [Q.B, Q.H, Q.T, V.D] : [Q.B, Q.T, Q.H, V.D], layout);
  const { B, H, D } = Q;
  const Tq = Q.T;
  const Tk = Kd.T;
  const sc = opts.scale ?? 1 / Math.sqrt(D);
  const dq = new Float64Array(q.length);
  const dk = new Float64Array(k.length);
  const dv = new Float64Array(v.length);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < Tq; i++) {
        const qo = Q.at(b, h, i);
        const oo = O.at(b, h, i);
        let di = 0;
        for (let d = 0; d < V.D; d++) di += go[oo + d] * o[oo + d];
        const prow = ((b * H + h) * Tq + i) * Tk;
        for (let j = 0; j < Tk; j++) {
          const pij = probs[prow + j];
          if (pij === 0) continue;
          const ko = Kd.at(b, Math.floor(h / (H / Kd.H)), j);
          const vo = V.at(b, Math.floor(h / (H / Kd.H)), j);
          let dp = 0;
          for (let d = 0; d < V.D; d++) dp += go[oo + d] * v[vo + d];
          const ds = pij * (dp - di);
          for (let d = 0; d < V.D; d++) dv[vo + d] += pij * go[oo + d];
          for (let d = 0; d < D; d++) {
            dq[qo + d] += sc * ds * k[ko + d];
            dk[ko + d] += sc * ds * q[qo + d];
          }
        }
      }
    }
  }
  return { dq, dk, dv };
}

// ----------------------------------------------------------------------------------------------- modules

export type Params = Record<string, ArrayLike<number>>;

/** x (rows, in) · Wᵀ (W: (out, in)) + b. */
export function linearRef(
  x: ArrayLike<number>,
  rows: number,
  inF: number,
  w: ArrayLike<number>,
  outF: number,
  bias?: ArrayLike<number> | null,
): Float64Array {
  const y = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      let s = bias ? bias[o] : 0;
      for (let i = 0; i < inF; i++) s += x[r * inF + i] * w[o * inF + i];
      y[r * outF + o] = s;
    }
  }
  return y;
}

const addInto = (a: Float64Array, b: ArrayLike<number>): Float64Array => {
  for (let i = 0; i < a.length; i++) a[i] += b[i];
  return a;
};

export interface MhaConfig {
  heads: number;
  dimHead: number;
  qkvBias?: boolean;
  outBias?: boolean;
  /** k/v heads (grouped-query attention); default heads. */
  kvHeads?: number;
  causal?: boolean;
}

/** Parameter names and shapes of MultiheadAttention(dim, cfg), in namedParameters() order. */
export function mhaParamShapes(dim: number, cfg: MhaConfig): [string, number[]][] {
  const inner = cfg.heads * cfg.dimHead;
  const kvInner = (cfg.kvHeads ?? cfg.heads) * cfg.dimHead;
  const out: [string, number[]][] = [];
  for (const n of ['to_q', 'to_k', 'to_v']) {
    const rows = n === 'to_q' ? inner : kvInner;
    out.push([`${n}.weight`, [rows, dim]]);
    if (cfg.qkvBias) out.push([`${n}.bias`, [rows]]);
  }
  out.push(['to_out.weight', [dim, inner]]);
  if (cfg.outBias ?? true) out.push(['to_out.bias', [dim]]);
  return out;
}

/** A module's parameters under `prefix` (e.g. 'attn.'), keys without the prefix. */
function sub(params: Params, prefix: string): Params {
  const out: Params = {};
  for (const [n, v] of Object.entries(params)) if (n.startsWith(prefix)) out[n.slice(prefix.length)] = v;
  return out;
}

/**
 * MultiheadAttention: xq (B, Tq, dim), xk and xv (B, Tk, dim) → (B, Tq, dim):
 * to_out(merge(attention(split(to_q(xq)), split(to_k(xk)), split(to_v(xv)), mask))).
 */
export function mhaRef(
  xq: ArrayLike<number>,
  xk: ArrayLike<number>,
  xv: ArrayLike<number>,
  B: number,
  Tq: number,
  Tk: number,
  dim: number,
  params: Params,
  cfg: MhaConfig,
  mask?: ArrayLike<number> | null,
): Ref {
  const inner = cfg.heads * cfg.dimHead;
  const q = linearRef(xq, B * Tq, dim, params['to_q.weight'], inner, params['to_q.bias']);
  const kvHeads = cfg.kvHeads ?? cfg.heads;
  const k = linearRef(xk, B * Tk, dim, params['to_k.weight'], kvHeads * cfg.dimHead, params['to_k.bias']);
  const v = linearRef(xv, B * Tk, dim, params['to_v.weight'], kvHeads * cfg.dimHead, params['to_v.bias']);
  // (B, T, H·Dh) is (B, T, H, Dh) row-major: the bthd layout.
  const o = attentionRef(q, [B, Tq, cfg.heads, cfg.dimHead], k, v, [B, Tk, kvHeads, cfg.dimHead], {
    keepMask: mask,
    causal: cfg.causal,
    layout: 'bthd',
  }).data;
  const y = linearRef(o, B * Tq, inner, params['to_out.weight'], dim, params['to_out.bias']);
  return { data: y, shape: [B, Tq, dim] };
}

export interface LayerConfig extends MhaConfig {
  mlpDim: number;
}

/** Parameter names and shapes of TransformerEncoderLayer / CrossTransformerLayer (dim, cfg), in order. */
export function layerParamShapes(dim: number, cfg: LayerConfig): [string, number[]][] {
  const ln = (n: string): [string, number[]][] => [
    [`${n}.weight`, [dim]],
    [`${n}.bias`, [dim]],
  ];
  return [
    ...ln('norm_q'),
    ...ln('norm_k'),
    ...ln('norm_v'),
    ...mhaParamShapes(dim, cfg).map(([n, s]) => [`attn.${n}`, s] as [string, number[]]),
    ...ln('norm_ff'),
    ['ff.fc1.weight', [cfg.mlpDim, dim]],
    ['ff.fc1.bias', [cfg.mlpDim]],
    ['ff.fc2.weight', [dim, cfg.mlpDim]],
    ['ff.fc2.bias', [dim]],
  ];
}

const lnRef = (x: ArrayLike<number>, rows: number, dim: number, params: Params, name: string): Float64Array =>
  refLayerNorm(x, [rows, dim], params[`${name}.weight`], params[`${name}.bias`], 1e-5).data;

/** x + FF(LN(x)), FF = fc2(gelu(fc1(·))) with the exact (erf) GELU. */
function feedForwardResidual(x: Float64Array, rows: number, dim: number, params: Params, mlpDim: number): Float64Array {
  const n = lnRef(x, rows, dim, params, 'norm_ff');
  const h = linearRef(n, rows, dim, params['ff.fc1.weight'], mlpDim, params['ff.fc1.bias']);
  for (let i = 0; i < h.length; i++) h[i] = h[i] * normalCdf(h[i]);
  return addInto(linearRef(h, rows, mlpDim, params['ff.fc2.weight'], dim, params['ff.fc2.bias']), x);
}

/**
 * One cross layer: t = attn(LN_q(t), LN_k(s), LN_v(s)) + t, then t = FF(LN(t)) + t. t (B, Tq, dim), s (B, Tk, dim).
 * The self-attention encoder layer is the same with s = t.
 */
export function crossLayerRef(
  t: ArrayLike<number>,
  s: ArrayLike<number>,
  B: number,
  Tq: number,
  Tk: number,
  dim: number,
  params: Params,
  cfg: LayerConfig,
  mask?: ArrayLike<number> | null,
): Ref {
  const nq = lnRef(t, B * Tq, dim, params, 'norm_q');
  const nk = lnRef(s, B * Tk, dim, params, 'norm_k');
  const nv = lnRef(s, B * Tk, dim, params, 'norm_v');
  const a = addInto(mhaRef(nq, nk, nv, B, Tq, Tk, dim, sub(params, 'attn.'), cfg, mask).data, t);
  return { data: feedForwardResidual(a, B * Tq, dim, params, cfg.mlpDim), shape: [B, Tq, dim] };
}

export function encoderLayerRef(
  x: ArrayLike<number>,
  B: number,
  T: number,
  dim: number,
  params: Params,
  cfg: LayerConfig,
  mask?: ArrayLike<number> | null,
): Ref {
  return crossLayerRef(x, x, B, T, T, dim, params, cfg, mask);
}

export interface TransformerConfig extends LayerConfig {
  numFrames: number;
  depth: number;
  tokenLen?: number;
}

/** Parameter names and shapes of Transformer(numFrames, dim, depth, cfg), in order. */
export function transformerParamShapes(dim: number, cfg: TransformerConfig): [string, number[]][] {
  const tok = cfg.tokenLen ?? 0;
  const out: [string, number[]][] = [['pos_embedding', [1, cfg.numFrames + tok, dim]]];
  if (tok > 0) out.push(['extra_token', [1, tok, dim]]);
  for (let l = 0; l < cfg.depth; l++) {
    for (const [n, s] of layerParamShapes(dim, cfg)) out.push([`layers.${l}.${n}`, s]);
  }
  return out;
}

/**
 * Transformer: [extra tokens ‖ x] + pos_embedding[:, :n], then `depth` encoder layers. x (B, n, dim), n ≤ numFrames.
 * Returns the final output, and with `hidden` every stage: after the embedding, after layer 1, 2, ...
 */
export function transformerRef(
  x: ArrayLike<number>,
  B: number,
  n: number,
  dim: number,
  params: Params,
  cfg: TransformerConfig,
): Ref & { hidden: Float64Array[] } {
  const tok = cfg.tokenLen ?? 0;
  const T = n + tok;
  let h: Float64Array = new Float64Array(B * T * dim);
  const pos = params.pos_embedding;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let c = 0; c < dim; c++) {
        const src = t < tok ? params.extra_token[t * dim + c] : x[(b * n + t - tok) * dim + c];
        h[(b * T + t) * dim + c] = src + pos[t * dim + c];
      }
    }
  }
  const hidden = [h];
  for (let l = 0; l < cfg.depth; l++) {
    h = encoderLayerRef(h, B, T, dim, sub(params, `layers.${l}.`), cfg).data;
    hidden.push(h);
  }
  return { data: h, shape: [B, T, dim], hidden };
}

/** Parameter names and shapes of CrossTransformer(sourceFrames, targetFrames, dim, depth, cfg), in order. */
export function crossTransformerParamShapes(
  dim: number,
  cfg: LayerConfig & { sourceFrames: number; targetFrames: number; depth: number },
): [string, number[]][] {
  const out: [string, number[]][] = [
    ['pos_embedding_s', [1, cfg.sourceFrames + 1, dim]],
    ['pos_embedding_t', [1, cfg.targetFrames + 1, dim]],
    ['extra_token', [1, 1, dim]],
  ];
  for (let l = 0; l < cfg.depth; l++) {
    for (const [n, s] of layerParamShapes(dim, cfg)) out.push([`layers.${l}.${n}`, s]);
  }
  return out;
}

/** [token ‖ x] + pos[:, :n + 1] for x (B, n, dim), the token (1, 1, dim) shared by source and target. */
function withToken(
  x: ArrayLike<number>,
  B: number,
  n: number,
  dim: number,
  token: ArrayLike<number>,
  pos: ArrayLike<number>,
): Float64Array {
  const T = n + 1;
  const out = new Float64Array(B * T * dim);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let c = 0; c < dim; c++)
        out[(b * T + t) * dim + c] = (t === 0 ? token[c] : x[(b * n + t - 1) * dim + c]) + pos[t * dim + c];
    }
  }
  return out;
}

/** CrossTransformer: source (B, ns, dim), target (B, nt, dim) → (B, nt + 1, dim). */
export function crossTransformerRef(
  source: ArrayLike<number>,
  target: ArrayLike<number>,
  B: number,
  ns: number,
  nt: number,
  dim: number,
  params: Params,
  cfg: LayerConfig & { depth: number },
): Ref {
  const s = withToken(source, B, ns, dim, params.extra_token, params.pos_embedding_s);
  let t = withToken(target, B, nt, dim, params.extra_token, params.pos_embedding_t);
  for (let l = 0; l < cfg.depth; l++)
    t = crossLayerRef(t, s, B, nt + 1, ns + 1, dim, sub(params, `layers.${l}.`), cfg).data;
  return { data: t, shape: [B, nt + 1, dim] };
}
