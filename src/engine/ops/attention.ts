// Scaled dot-product attention, fused: softmax(scale · Q·Kᵀ, masked)·V in one kernel launch forward (which also saves
// each query row's logsumexp) and two backward (dQ per query row, then dK and dV per key row, both recomputing the
// probabilities from the saved logsumexp; no float atomics, no N×N matrix in memory).
//
// Shapes: q (B, H, Tq, Dh), k and v (B, H, Tk, Dh) -> o (B, H, Tq, Dh), the layout of PyTorch's
// scaled_dot_product_attention. With `layout: 'bthd'` the same op reads q (B, Tq, H, Dh), k and v (B, Tk, H, Dh) and
// writes o (B, Tq, H, Dh): that is the layout a Linear's output (B, T, H·Dh) already has, so a multi-head layer splits
// and merges heads with free reshapes instead of four permute copies forward and four backward. The kernels address
// every tensor through (b, h, t) strides, so both layouts run the same code.
//
// Grouped-query attention: k and v may have Hk heads where H % Hk = 0 (PyTorch's enable_gqa): query head h reads k/v
// head ⌊h / (H / Hk)⌋, and the dk/dv pass sums over the H / Hk query heads of each k/v head (no copies of k and v).
//
// Masks, all optional and combinable: `causal` (PyTorch's is_causal, key j > query i excluded, top-left aligned when
// Tq ≠ Tk), `attnMask` (PyTorch's attn_mask, (Tq, Tk) or (B, H, Tq, Tk), additive or boolean with true = take part),
// and the key-padding masks below. The kernels see them through one buffer and maskBias() (common/attention_mask.wgsl).
//
// Key-padding masks (B, Tk), under two names that cannot be misread (./attention-mask.ts): `keyPaddingMask` as
// PyTorch's key_padding_mask (true = ignore the key), or `keepMask` (true = attend); the kernels read the keep form.
// A batch element whose keys are ALL masked has no softmax at all; we define its output as 0 and its gradients (to q,
// k and v) as 0, never NaN.

import { runtime } from '../engine';
import { check, type Shape } from '../errors';
import { grid1d, kernel, type ContractDecl } from '../runtime';
import { assertLive, empty, noGrad, record, Tensor } from '../tensor';
import {
  biasTensor,
  checkAttnMask,
  checkMasks,
  keepTensor,
  packMasks,
  refuseOldMask,
  EXCLUDED,
  type AttentionMasks,
  type Masks,
  type MaskInput,
} from './attention-mask';
import { tensor } from '../creation';
import { addScalar, clip, expand, mul, mulScalar, add } from './elementwise';
import { max } from './reduce';
import { softmax } from './softmax';
import { matmul } from './matmul';
import { permute, reshape } from './shape';
import fwdNaiveSrc from '../../../kernels/attention/attention_naive.wgsl';
import dqNaiveSrc from '../../../kernels/attention/attention_grad_q_naive.wgsl';
import dkvNaiveSrc from '../../../kernels/attention/attention_grad_kv_naive.wgsl';
import fwdTiledSrc from '../../../kernels/attention/attention_tiled.wgsl';
import dqTiledSrc from '../../../kernels/attention/attention_grad_q_tiled.wgsl';
import dkvTiledSrc from '../../../kernels/attention/attention_grad_kv_tiled.wgsl';
import fwdFlashSrc from '../../../kernels/attention/attention_flash.wgsl';
import dqFlashSrc from '../../../kernels/attention/attention_grad_q_flash.wgsl';
import dkvFlashSrc from '../../../kernels/attention/attention_grad_kv_flash.wgsl';
import { pickRung } from '../tuning';

// Every rung shares each pass's contract: rows, heads, lengths, q/k strides (batch, head, step) and the scale.
const PARAMS = {
  rows: 'u32',
  heads: 'u32',
  tq: 'u32',
  tk: 'u32',
  qsb: 'u32',
  qsh: 'u32',
  qst: 'u32',
  ksb: 'u32',
  ksh: 'u32',
  kst: 'u32',
  scale: 'f32',
  moff: 'u32', // where the attention mask starts in the packed mask buffer (after the key-padding mask, if any)
  group: 'u32', // query heads per k/v head (grouped-query attention; 1 without it)
  vsb: 'u32', // v's strides, and o's: their head size Dv may differ from q's and k's
  vsh: 'u32',
  vst: 'u32',
  osb: 'u32',
  osh: 'u32',
  ost: 'u32',
} as const;
const FWD: ContractDecl = {
  params: PARAMS,
  buffers: { q: 'read', k: 'read', v: 'read', mask: 'read', o: 'read_write', lse: 'read_write' },
};
// WebGPU's default limit is 8 storage buffers per stage: the backward passes keep to it by holding each query row's D
// (= go·o, from the dq pass, read by the dk/dv pass) beside its (m, log Σ) in the one `lse` buffer, 4 floats a row.
const DQ: ContractDecl = {
  params: PARAMS,
  buffers: {
    q: 'read',
    k: 'read',
    v: 'read',
    mask: 'read',
    o: 'read',
    go: 'read',
    dq: 'read_write',
    lse: 'read_write',
  },
};
const DKV: ContractDecl = {
  params: PARAMS,
  buffers: {
    q: 'read',
    k: 'read',
    v: 'read',
    mask: 'read',
    lse: 'read',
    go: 'read',
    dk: 'read_write',
    dv: 'read_write',
  },
};
const NAIVE = {
  fwd: kernel('attention_naive', fwdNaiveSrc, FWD),
  dq: kernel('attention_grad_q_naive', dqNaiveSrc, DQ),
  dkv: kernel('attention_grad_kv_naive', dkvNaiveSrc, DKV),
};
const TILED = {
  fwd: kernel('attention_tiled', fwdTiledSrc, FWD),
  dq: kernel('attention_grad_q_tiled', dqTiledSrc, DQ),
  dkv: kernel('attention_grad_kv_tiled', dkvTiledSrc, DKV),
};
const FLASH = {
  fwd: kernel('attention_flash', fwdFlashSrc, FWD),
  dq: kernel('attention_grad_q_flash', dqFlashSrc, DQ),
  dkv: kernel('attention_grad_kv_flash', dkvFlashSrc, DKV),
};
/**
 * Rows (queries, or keys for dk/dv) per workgroup of the flash kernels, one per invocation: 64, or the power of 2 that
 * covers a shorter T (at least 8), since rows past T in a block are computed too (DAR's T = 8 would compute 64).
 */
const flashRows = (T: number) => Math.min(64, Math.max(8, 2 ** Math.ceil(Math.log2(T))));

/** Rows (queries or keys) per invocation of the tiled kernels, and the largest head size they (and flash) hold. */
const TILE = 4;
const TILED_MAX_DH = 64;

/** Most dims one invocation of the naive kernels accumulates in registers: a larger Dh is split into chunks, each
 * invocation recomputing the scores for its chunk of the output. */
const MAX_CHUNK = 64;

export type AttentionLayout = 'bhtd' | 'bthd';
/**
 * Which implementation runs:
 *   'tiled' (the default where it applies on the CPU tuning profile: Dh a multiple of 4, at most 64, and Dv = Dh):
 *           fused kernels holding 4 query (or key) rows per invocation in registers, so each load of a key (or query)
 *           row serves 4 rows;
 *   'flash' (the default there on the GPU tuning profile; same sizes as tiled): a workgroup per block of up to 64 query
 *           (or key) rows, one row per invocation, the other side's rows staged 16 at a time in workgroup memory;
 *   'naive' (any Dh): the same fused maths, one row per invocation, plain loops: the obviously-right version;
 *   'composite': matmul → softmax → matmul of existing ops, materialising the (B, H, Tq, Tk) scores and the masks as
 *                one additive bias.
 */
export type AttentionKernel = 'tiled' | 'flash' | 'naive' | 'composite';
export const ATTENTION_KERNELS: readonly AttentionKernel[] = ['tiled', 'flash', 'naive', 'composite'];

export interface AttentionOptions extends AttentionMasks {
  /**
   * PyTorch's scaled_dot_product_attention attn_mask, of shape (Tq, Tk) (every batch element and head) or
   * (B, H, Tq, Tk). Additive (the default for a tensor or numbers): added to scale·q·kᵀ; −∞ or any value ≤ −1e30
   * excludes the pair. Boolean (a JS array of booleans, or `attnMaskKind: 'boolean'` for a 0/1 tensor): true / 1 =
   * TAKE PART in attention, false / 0 = excluded; the opposite of keyPaddingMask, whose true means ignore. Combines
   * with keyPaddingMask / keepMask and `causal`. No gradient flows into it. A query with every key excluded gives
   * zeros and zero gradients (PyTorch gives NaN there).
   */
  attnMask?: MaskInput | null;
  /** How to read attnMask: 'additive' (default, unless it is an array of booleans) or 'boolean' (true = attend). */
  attnMaskKind?: 'additive' | 'boolean';
  /**
   * PyTorch's is_causal: query i attends to keys j ≤ i. With Tq ≠ Tk the alignment is top-left, as PyTorch's:
   * query 0 sees key 0 only, whatever Tk is.
   */
  causal?: boolean;
  /** Multiplies the scores; default 1/√Dh. */
  scale?: number;
  /** 'bhtd' (default): (B, H, T, Dh). 'bthd': (B, T, H, Dh). Applies to q, k, v and the output alike. */
  layout?: AttentionLayout;
  kernel?: AttentionKernel;
}

const OPTION_KEYS = ['keyPaddingMask', 'keepMask', 'attnMask', 'attnMaskKind', 'causal', 'scale', 'layout', 'kernel'];

interface Dims {
  B: number;
  H: number;
  /** k/v heads: H, or H / group with grouped-query attention. */
  Hk: number;
  Tq: number;
  Tk: number;
  Dh: number;
  /** v's (and the output's) head size. */
  Dv: number;
}

/** (b, h, t) element strides of a contiguous (B, H, T, Dh) or (B, T, H, Dh) tensor. */
function strides(layout: AttentionLayout, H: number, T: number, Dh: number): [number, number, number] {
  return layout === 'bhtd' ? [H * T * Dh, T * Dh, Dh] : [T * H * Dh, Dh, H * Dh];
}

/**
 * Scaled dot-product attention over heads, PyTorch's scaled_dot_product_attention: softmax(scale · q·kᵀ + masks)·v
 * per (batch, head), with separate query and key lengths (self- and cross-attention).
 *
 * Shapes ('bhtd', the default; 'bthd' swaps H and T): q (B, H, Tq, Dk), k (B, Hkv, Tk, Dk), v (B, Hkv, Tk, Dv) →
 * (B, H, Tq, Dv). Hkv < H is grouped-query attention (enable_gqa; H % Hkv = 0); Dv may differ from Dk.
 * Differentiable in q, k and v; masks take no gradient. scale defaults to 1/√Dk.
 *
 * Masks, combinable: `keyPaddingMask` (B, Tk), true = IGNORE the key (key_padding_mask) or `keepMask`, true =
 * attend; `attnMask` (Tq, Tk) or (B, H, Tq, Tk), additive (−∞ excludes) or boolean with true = TAKE PART (attn_mask);
 * `causal` (is_causal, top-left aligned). A query with no key left gives zeros and zero gradients (PyTorch: NaN).
 *
 * Rungs (`kernel`): 'tiled' and 'flash' (Dk = Dv, a multiple of 4, ≤ 64; the default there: tiled on the CPU tuning
 * profile, flash on the GPU one), 'naive' (any sizes), 'composite'.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const op = 'attention';
  assertLive(op, q, k, v);
  const shapes: Shape[] = [q.shape, k.shape, v.shape];
  check(opts !== null && typeof opts === 'object', op, `options must be an object, got ${String(opts)}`, shapes);
  refuseOldMask(op, opts, shapes);
  for (const key of Object.keys(opts)) {
    check(OPTION_KEYS.includes(key), op, `unknown option ${key} (options are ${OPTION_KEYS.join(', ')})`, shapes);
  }
  const { layout = 'bhtd', keyPaddingMask, keepMask } = opts;
  check(layout === 'bhtd' || layout === 'bthd', op, `layout must be 'bhtd' or 'bthd', got ${String(layout)}`, shapes);
  const want = layout === 'bhtd' ? '(B, H, T, Dh)' : '(B, T, H, Dh)';
  for (const [name, t] of [
    ['q', q],
    ['k', k],
    ['v', v],
  ] as const) {
    check(t.rank === 4, op, `${name} must be 4-D ${want}, got rank ${t.rank}`, shapes);
  }
  const split = (t: Tensor) => (layout === 'bhtd' ? t.shape : [t.shape[0], t.shape[2], t.shape[1], t.shape[3]]);
  const [B, H, Tq, Dh] = split(q);
  const [Bk, Hk, Tk, Dk] = split(k);
  check(B === Bk, op, `q and k have different batch sizes (${B} and ${Bk})`, shapes);
  check(
    H % Hk === 0,
    op,
    `q's ${H} heads are not a multiple of k's ${Hk} heads (grouped-query attention needs H_q % H_kv = 0)`,
    shapes,
  );
  check(Dh === Dk, op, `q and k have different head sizes (${Dh} and ${Dk})`, shapes);
  const Dv = split(v)[3];
  check(
    split(k).every((d, i) => i === 3 || d === split(v)[i]),
    op,
    'k and v must have the same shape but for the head size (B, H, Tk equal)',
    shapes,
  );
  check(
    [B, H, Tq, Tk, Dh, Dv].every((d) => d > 0),
    op,
    'every dimension must be at least 1',
    shapes,
  );
  check(
    B * H * Math.max(Tq, Tk) * Math.max(Dh, Dv) < 2 ** 31,
    op,
    'tensors above 2^31 elements are not supported',
    shapes,
  );
  const scale = opts.scale ?? 1 / Math.sqrt(Dh);
  check(
    typeof scale === 'number' && Number.isFinite(scale),
    op,
    `scale must be a finite number, got ${String(scale)}`,
    shapes,
  );
  const tileable = Dh % 4 === 0 && Dh <= TILED_MAX_DH && Dv === Dh;
  const rung =
    opts.kernel ?? (tileable ? pickRung<AttentionKernel>(runtime().tuning, { cpu: 'tiled', gpu: 'flash' }) : 'naive');
  check(
    ATTENTION_KERNELS.includes(rung),
    op,
    `kernel must be one of ${ATTENTION_KERNELS.join(', ')}, got ${String(rung)}`,
    shapes,
  );
  check(
    (rung !== 'tiled' && rung !== 'flash') || tileable,
    op,
    `the ${rung} kernels need one head size (q, k and v) divisible by 4 and at most ${TILED_MAX_DH}, got ${Dh} and ${Dv}`,
    shapes,
  );
  checkMasks(op, { keyPaddingMask, keepMask }, B, Tk, shapes);
  const attn = checkAttnMask(op, opts, B, H, Tq, Tk, shapes);
  const causal = opts.causal ?? false;
  check(typeof causal === 'boolean', op, `causal must be a boolean, got ${String(causal)}`, shapes);
  const maskT = keepTensor({ keyPaddingMask, keepMask }, B, Tk);
  const masks: Masks = { keep: maskT, attn: attn && biasTensor(attn), causal };
  const dims: Dims = { B, H, Hk, Tq, Tk, Dh, Dv };

  if (rung === 'composite') return composite(q, k, v, masks, dims, scale, layout);
  return fused(q, k, v, masks, dims, scale, layout, rung);
}

function fused(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  masks: Masks,
  d: Dims,
  scale: number,
  layout: AttentionLayout,
  rung: 'tiled' | 'flash' | 'naive',
): Tensor {
  const rt = runtime();
  const { B, H, Hk, Tq, Tk, Dh, Dv } = d;
  const K = rung === 'tiled' ? TILED : rung === 'flash' ? FLASH : NAIVE;
  const tiled = rung !== 'naive'; // tiled and flash: vec4 strides, one (b, h) per params row
  const mask = packMasks(masks, B * Tk); // owned when the op made it
  const masked = masks.keep ? 1 : 0;
  const attnKind = masks.attn ? (masks.attn.t.rank === 2 ? 1 : 2) : 0;
  const flags = { MASKED: masked, ATTN: attnKind, CAUSAL: masks.causal ? 1 : 0 };
  // Tiled: strides in vec4s, one invocation per (b, h) and tile of rows. Flash: strides in vec4s, one workgroup per
  // (b, h) and block of up to 64 rows. Naive: strides in floats, one invocation per row and chunk of dims, the dims split
  // evenly into as few chunks as fit its registers.
  const unit = tiled ? 4 : 1;
  // One chunk size for the three passes; each splits its own output dims (fwd: Dv, dq: Dh, dkv: the larger).
  const Dmax = Math.max(Dh, Dv);
  const CH = Math.ceil(Dmax / Math.ceil(Dmax / MAX_CHUNK));
  const chunks = (D: number) => (tiled ? 1 : Math.ceil(D / CH));
  const constants: Record<string, number> = tiled ? { DH4: Dh / 4, ...flags } : { DH: Dh, DV: Dv, CH, ...flags };
  const qs = strides(layout, H, Tq, Dh).map((s) => s / unit);
  const ks = strides(layout, Hk, Tk, Dh).map((s) => s / unit);
  const vs = strides(layout, Hk, Tk, Dv).map((s) => s / unit);
  const os = strides(layout, H, Tq, Dv).map((s) => s / unit);
  /** Params and workgroups of a pass over the query rows (fwd, dq: H heads) or the key rows (dkv: Hk heads). */
  const pass = (T: number, heads: number, nch: number) => ({
    constants: rung === 'flash' ? { ...constants, ROWS: flashRows(T) } : constants,
    params: {
      rows: tiled ? B * heads : B * heads * T,
      heads: H,
      tq: Tq,
      tk: Tk,
      qsb: qs[0],
      qsh: qs[1],
      qst: qs[2],
      ksb: ks[0],
      ksh: ks[1],
      kst: ks[2],
      scale,
      moff: masks.keep && masks.attn ? B * Tk : 0,
      group: H / Hk,
      vsb: vs[0],
      vsh: vs[1],
      vst: vs[2],
      osb: os[0],
      osh: os[1],
      ost: os[2],
    },
    groups:
      rung === 'flash'
        ? grid1d(B * heads * Math.ceil(T / flashRows(T)), 1)
        : grid1d(tiled ? B * heads * Math.ceil(T / TILE) : B * heads * T * nch, 64),
  });
  const maskBuf = (mask?.t ?? q).buffer;
  const qRows = B * H * Tq;

  const oShape = layout === 'bhtd' ? [B, H, Tq, Dv] : [B, Tq, H, Dv];
  const o = empty(oShape, 'attention'); // (B, H, Tq, Dv) or (B, Tq, H, Dv)
  // Per query row r = (b·H + h)·Tq + i: its max m and log Σ exp(s − m) (forward), then D = go·o (the dq pass).
  const lse = empty([qRows, 4], 'attention');
  const qkv = { q: q.buffer, k: k.buffer, v: v.buffer, mask: maskBuf };
  rt.dispatch({
    kernel: K.fwd,
    ...pass(Tq, H, chunks(Dv)),
    buffers: { ...qkv, o: o.buffer, lse: lse.buffer },
  });

  const saved = o.view(o.shape); // the backward reads o (for D = Σ go·o); a view survives the caller disposing o
  record(o, 'attention', [q, k, v], (gy, needs) => {
    const dq = empty(q.shape, 'attention');
    rt.dispatch({
      kernel: K.dq,
      ...pass(Tq, H, chunks(Dh)),
      buffers: { ...qkv, o: saved.buffer, go: gy.buffer, dq: dq.buffer, lse: lse.buffer },
    });
    let dk: Tensor | null = null;
    let dv: Tensor | null = null;
    if (needs[1] || needs[2]) {
      dk = empty(k.shape, 'attention');
      dv = empty(v.shape, 'attention');
      rt.dispatch({
        kernel: K.dkv,
        ...pass(Tk, Hk, chunks(Dmax)),
        buffers: { ...qkv, lse: lse.buffer, go: gy.buffer, dk: dk.buffer, dv: dv.buffer },
      });
    }
    if (!needs[0]) dq.dispose();
    if (!needs[1]) dk?.dispose();
    if (!needs[2]) dv?.dispose();
    return [needs[0] ? dq : null, needs[1] ? dk : null, needs[2] ? dv : null];
  });
  if (!o.node) {
    saved.dispose();
    lse.dispose();
    if (mask?.owned) mask.t.dispose();
  }
  return o;
}

/**
 * The same attention from existing ops: S = scale·Q·Kᵀ (B·H, Tq, Tk), + the masks as one bias (−1e30 for an
 * excluded pair, which drops it to exp(−1e30 − max) = 0), softmax, ·V, then × 0 for the queries with no key left.
 * Autograd comes from the ops.
 */
function composite(q: Tensor, k: Tensor, v: Tensor, masks: Masks, d: Dims, scale: number, layout: AttentionLayout) {
  const { B, H, Hk, Tq, Tk, Dh, Dv } = d;
  const toBhtd = (t: Tensor) => (layout === 'bhtd' ? t : permute(t, [0, 2, 1, 3]));
  const q3 = reshape(toBhtd(q), [B * H, Tq, Dh]);
  // Grouped-query attention: each k/v head serves H / Hk query heads in a row (copies, which sum their gradients).
  const heads = (t: Tensor, D: number) =>
    Hk === H ? t : reshape(expand(reshape(t, [B, Hk, 1, Tk, D]), [B, Hk, H / Hk, Tk, D]), [B, H, Tk, D]);
  const k3 = reshape(heads(toBhtd(k), Dh), [B * H, Tk, Dh]);
  const v3 = reshape(heads(toBhtd(v), Dv), [B * H, Tk, Dv]);
  let s = reshape(mulScalar(matmul(q3, k3, { transB: true }), scale), [B, H, Tq, Tk]);
  const bias = noGrad(() => totalBias(masks, d));
  let valid: Tensor | null = null;
  if (bias) {
    s = add(s, bias);
    // 1 where the row's largest bias is above −1e30 (some key is left), else 0; a sum of exclusions stays finite.
    valid = noGrad(() => clip(addScalar(max(bias, 3, true), -EXCLUDED), 0, 1));
  }
  const pr = reshape(softmax(s), [B * H, Tq, Tk]);
  let o = reshape(matmul(pr, v3), [B, H, Tq, Dv]);
  if (valid) o = mul(o, valid);
  return layout === 'bhtd' ? o : permute(o, [0, 2, 1, 3]);
}

/** Every mask as one additive bias, broadcastable to (B, H, Tq, Tk), or null without masks. */
function totalBias(masks: Masks, { B, Tq, Tk }: Dims): Tensor | null {
  const terms: Tensor[] = [];
  if (masks.keep) terms.push(reshape(mulScalar(addScalar(masks.keep.t, -1), -EXCLUDED), [B, 1, 1, Tk]));
  if (masks.attn) terms.push(masks.attn.t.rank === 2 ? reshape(masks.attn.t, [1, 1, Tq, Tk]) : masks.attn.t);
  if (masks.causal) {
    const c = new Float32Array(Tq * Tk);
    for (let i = 0; i < Tq; i++) for (let j = i + 1; j < Tk; j++) c[i * Tk + j] = EXCLUDED;
    terms.push(tensor(c, [1, 1, Tq, Tk]));
  }
  if (terms.length === 0) return null;
  const sum = terms.reduce((a, b) => add(a, b));
  return sum;
}
