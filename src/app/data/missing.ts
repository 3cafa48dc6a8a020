// LNLN's missing-data protocol (docs/models.md §2), reproduced bit for bit where the inputs allow it.
//
// LNLN `generate_m`, per modality:  np.random.seed(missing_seed); u = np.random.uniform(size=(N, T));
//                                   keep[i, j] = (u[i, j] > r_i) * valid[i, j]
// - the global RNG is re-seeded with the same seed before EACH modality, so text (N, T_t), audio (N, T_a) and vision
//   (N, T_v) all read the same stream from its start, and for a fixed seed the masks are nested across rates;
// - text: valid = BERT attention mask, and [CLS] (position 0) and [SEP] (position argmin(mask) - 1, i.e. the last
//   token; position T-1 when the sentence fills every slot) are always kept;
// - audio/vision: valid = j < length; dropped frames are multiplied by 0 (so is padding, which is zero anyway).
//
// Text, two paths (docs/models.md §2.5). Token ids (`Batch.textBert`, as MMSA's `text_bert`): exactly LNLN's — a
// dropped token's id becomes [UNK] = 100, [CLS]/[SEP] kept, attention mask and segment ids unchanged
// (`corruptTextBert`), for a model that runs BERT on them. Features (`text`, (N, 50, 768) precomputed on the COMPLETE
// sentence): a dropped token's vector is zeroed instead, and `textDropped` (B, T_t) marks those positions so a model
// may add a learned [UNK] vector there (text_m = zeroed + textDropped ⊗ unk) — a deviation: kept vectors still carry
// the whole sentence's context. Caveat: precomputed [CLS]/[SEP] vectors summarise the COMPLETE sentence, and LNLN
// never drops them, so on real MMSA features they leak text information at every rate; `keepSpecialTokens: false`
// drops them like any other token (then the masks are no longer LNLN's at those two positions).

import { freshMissingSeed } from '../../engine/seed';
import { MT19937, PythonRandom } from './mt19937';
import type { Batch, DatasetDims, SplitInfo } from './types';

/** LNLN's robustness evaluation: these ten rates (Python float literals, so the same doubles), seed 1111. */
export const EVAL_RATES: readonly number[] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
export const LNLN_EVAL_SEED = 1111;
/** bert-base-uncased [UNK]. */
export const UNK_TOKEN_ID = 100;

/** A missing rate: one for every sample, or one per sample (length N). */
export type Rate = number | ArrayLike<number>;
export interface ModalityRates {
  readonly text: Rate;
  readonly audio: Rate;
  readonly vision: Rate;
}

export interface MissingOptions {
  /** Always keep [CLS] and [SEP] as LNLN does (default true). See the caveat at the top of this file. */
  readonly keepSpecialTokens?: boolean;
}

/** Keep masks of one split, (N, T) per modality, 1 = position present (and valid), plus the nominal rates (N). */
export interface KeepMasks {
  readonly n: number;
  readonly dims: DatasetDims;
  readonly text: Uint8Array;
  readonly audio: Uint8Array;
  readonly vision: Uint8Array;
  readonly rates: { readonly text: Float64Array; readonly audio: Float64Array; readonly vision: Float64Array };
}

/** A batch after corruption: features with dropped positions zeroed, and where they were dropped. */
export interface MissingBatch extends Batch {
  /** (B, T_t) 1 where a real token was dropped (its vector is zero): add a learned [UNK] vector there if wanted. */
  readonly textDropped: Float32Array;
  /** (B, T_a) 1 where a valid audio frame was dropped. */
  readonly audioDropped: Float32Array;
  /** (B, T_v) 1 where a valid vision frame was dropped. */
  readonly visionDropped: Float32Array;
  /** Nominal per-sample rates (B) — LNLN's completeness label is 1 - rates.text. */
  readonly rates: { readonly text: Float64Array; readonly audio: Float64Array; readonly vision: Float64Array };
}

/** Per-sample rates (N) from a constant or an array; rejects NaN and out-of-range values. */
export function expandRate(rate: Rate, n: number): Float64Array {
  const r = typeof rate === 'number' ? new Float64Array(n).fill(rate) : Float64Array.from(rate);
  if (r.length !== n) throw new RangeError(`missing rate: expected ${n} per-sample rates, got ${r.length}`);
  for (let i = 0; i < n; i++) {
    if (!(r[i] >= 0 && r[i] <= 1)) throw new RangeError(`missing rate: ${r[i]} (sample ${i}) is not in [0, 1]`);
  }
  return r;
}

/** (N, T) validity from prefix lengths: 1 for j < length. */
export function validFromLengths(lengths: ArrayLike<number>, T: number): Uint8Array {
  const n = lengths.length;
  const v = new Uint8Array(n * T);
  for (let i = 0; i < n; i++) v.fill(1, i * T, i * T + Math.max(0, Math.min(lengths[i], T)));
  return v;
}

/** `np.random.seed(seed); np.random.uniform(size=(n, T))`, C order. */
export function uniformField(seed: number, n: number, T: number): Float64Array {
  return new MT19937(seed).uniformArray(n * T);
}

/** keep[i, j] = (u[i, j] > r_i) · valid[i, j] (strictly greater, as LNLN). */
export function lnlnKeepMask(
  u: Float64Array,
  valid: Uint8Array,
  n: number,
  T: number,
  rates: Float64Array,
): Uint8Array {
  if (u.length !== n * T || valid.length !== n * T || rates.length !== n) {
    throw new RangeError(
      `lnlnKeepMask: sizes u ${u.length}, valid ${valid.length}, rates ${rates.length} for (${n}, ${T})`,
    );
  }
  const keep = new Uint8Array(n * T);
  for (let i = 0; i < n; i++) {
    const r = rates[i];
    for (let j = i * T, e = j + T; j < e; j++) keep[j] = u[j] > r && valid[j] ? 1 : 0;
  }
  return keep;
}

/**
 * LNLN's text rule: positions 0 and argmin(mask) - 1 are set kept, with numpy's semantics (argmin = first 0; when the
 * row has no 0, argmin is 0 and index -1 wraps to T - 1). Mutates `keep`.
 */
export function keepTextSpecial(keep: Uint8Array, textMask: Uint8Array, n: number, T: number): void {
  for (let i = 0; i < n; i++) {
    const row = i * T;
    let first0 = 0;
    let min = Infinity;
    for (let j = 0; j < T; j++) {
      if (textMask[row + j] < min) {
        min = textMask[row + j];
        first0 = j;
      }
    }
    keep[row] = 1;
    keep[row + ((first0 - 1 + T) % T)] = 1;
  }
}

/** LNLN's corrupted text ids: keep·ids + 100·(mask − keep) → dropped real tokens become [UNK], padding stays. */
export function lnlnTextIds(ids: ArrayLike<number>, textMask: ArrayLike<number>, keep: ArrayLike<number>): Int32Array {
  const out = new Int32Array(ids.length);
  for (let j = 0; j < ids.length; j++) out[j] = keep[j] * ids[j] + UNK_TOKEN_ID * (textMask[j] - keep[j]);
  return out;
}

/**
 * LNLN's corruption of a batch's BERT inputs (B, 3, T): row 0 (ids) becomes `lnlnTextIds` under sample indices[b]'s
 * split-level keep row; rows 1 (attention mask, used as stored, as LNLN does) and 2 (segment ids) are copied unchanged.
 */
export function corruptTextBert(
  textBert: Int32Array,
  keep: Uint8Array,
  indices: ArrayLike<number>,
  T: number,
): Int32Array {
  const B = indices.length;
  if (textBert.length !== B * 3 * T) {
    throw new RangeError(`corruptTextBert: text_bert has ${textBert.length} values, expected (${B}, 3, ${T})`);
  }
  const out = textBert.slice();
  for (let b = 0; b < B; b++) {
    const row = b * 3 * T;
    const ids = textBert.subarray(row, row + T);
    const mask = textBert.subarray(row + T, row + 2 * T);
    out.set(lnlnTextIds(ids, mask, keep.subarray(indices[b] * T, (indices[b] + 1) * T)), row);
  }
  return out;
}

/**
 * The uniform fields u of one split for one missing seed (text, audio, vision; each from a fresh `seed(seed)`), from
 * which masks at any rates follow without touching the RNG again. Memory: N·(T_t + T_a + T_v) doubles (MOSI train:
 * 9.5 MB).
 */
export class MissingField {
  readonly n: number;
  private readonly uText: Float64Array;
  private readonly uAudio: Float64Array;
  private readonly uVision: Float64Array;
  private readonly validAudio: Uint8Array;
  private readonly validVision: Uint8Array;

  constructor(
    readonly info: SplitInfo,
    readonly dims: DatasetDims,
    readonly seed: number,
  ) {
    const n = (this.n = info.n);
    const { text, audio, vision } = dims;
    if (info.textMask.length !== n * text.len) {
      throw new RangeError(`MissingField: text mask has ${info.textMask.length} entries, expected ${n}×${text.len}`);
    }
    const rng = new MT19937(seed);
    this.uText = rng.seed(seed).uniformArray(n * text.len);
    this.uAudio = rng.seed(seed).uniformArray(n * audio.len);
    this.uVision = rng.seed(seed).uniformArray(n * vision.len);
    this.validAudio = validFromLengths(info.audioLengths, audio.len);
    this.validVision = validFromLengths(info.visionLengths, vision.len);
  }

  /** Keep masks at the given rates (a number = the same constant rate for all three modalities). */
  masks(rates: ModalityRates | number, opts: MissingOptions = {}): KeepMasks {
    const r: ModalityRates = typeof rates === 'number' ? { text: rates, audio: rates, vision: rates } : rates;
    const n = this.n;
    const { text: t, audio: a, vision: v } = this.dims;
    const rt = expandRate(r.text, n);
    const ra = expandRate(r.audio, n);
    const rv = expandRate(r.vision, n);
    const text = lnlnKeepMask(this.uText, this.info.textMask, n, t.len, rt);
    if (opts.keepSpecialTokens ?? true) keepTextSpecial(text, this.info.textMask, n, t.len);
    const audio = lnlnKeepMask(this.uAudio, this.validAudio, n, a.len, ra);
    const vision = lnlnKeepMask(this.uVision, this.validVision, n, v.len, rv);
    return { n, dims: this.dims, text, audio, vision, rates: { text: rt, audio: ra, vision: rv } };
  }
}

/** One-shot LNLN masks for a split: `new MissingField(info, dims, seed).masks(rates, opts)`. */
export function lnlnMasks(
  info: SplitInfo,
  dims: DatasetDims,
  rates: ModalityRates | number,
  seed: number,
  opts?: MissingOptions,
): KeepMasks {
  return new MissingField(info, dims, seed).masks(rates, opts);
}

/**
 * Applies split-level keep masks to a batch of that split (rows picked by batch.indices): dropped audio/vision frames
 * and dropped text token vectors become zero, and, when the batch has BERT inputs, dropped token ids become [UNK]
 * exactly as LNLN's generate_m does (`corruptTextBert`). Returns new arrays; the input batch is unchanged.
 */
export function applyMissing(batch: Batch, masks: KeepMasks): MissingBatch {
  const { dims, size: B, indices } = batch;
  const sameDims = (['text', 'audio', 'vision'] as const).every(
    (m) => masks.dims[m].len === dims[m].len && masks.dims[m].dim === dims[m].dim,
  );
  if (!sameDims) throw new RangeError('applyMissing: masks and batch have different dims');
  for (let b = 0; b < B; b++) {
    if (indices[b] >= masks.n)
      throw new RangeError(`applyMissing: sample ${indices[b]} is outside the masks' ${masks.n} samples`);
  }
  const text = batch.text.slice();
  const audio = batch.audio.slice();
  const vision = batch.vision.slice();
  const textDropped = new Float32Array(B * dims.text.len);
  const audioDropped = new Float32Array(B * dims.audio.len);
  const visionDropped = new Float32Array(B * dims.vision.len);

  // Text: only real tokens are touched (padding vectors stay as stored; the keep mask is 0 there anyway) — unless
  // every real token was dropped (text absent): then the padding rows are zeroed too, because MMSA's padding vectors
  // are BERT's outputs at [PAD] positions of the complete sentence and would tell the model what the text was.
  const { len: Tt, dim: dt } = dims.text;
  for (let b = 0; b < B; b++) {
    const src = indices[b] * Tt;
    let kept = 0;
    for (let j = 0; j < Tt; j++) {
      if (batch.textMask[b * Tt + j] === 0) continue;
      if (masks.text[src + j] === 0) {
        textDropped[b * Tt + j] = 1;
        text.fill(0, (b * Tt + j) * dt, (b * Tt + j + 1) * dt);
      } else kept++;
    }
    if (kept === 0) text.fill(0, b * Tt * dt, (b + 1) * Tt * dt);
  }
  // Audio/vision: every frame is multiplied by keep, as LNLN does (padding is zero either way).
  const frames = (
    x: Float32Array,
    mask: Uint8Array,
    valid: Float32Array,
    dropped: Float32Array,
    T: number,
    d: number,
  ) => {
    for (let b = 0; b < B; b++) {
      const src = indices[b] * T;
      for (let j = 0; j < T; j++) {
        if (mask[src + j] === 0) {
          if (valid[b * T + j] !== 0) dropped[b * T + j] = 1;
          x.fill(0, (b * T + j) * d, (b * T + j + 1) * d);
        }
      }
    }
  };
  frames(audio, masks.audio, batch.audioMask, audioDropped, dims.audio.len, dims.audio.dim);
  frames(vision, masks.vision, batch.visionMask, visionDropped, dims.vision.len, dims.vision.dim);

  const pick = (r: Float64Array) => Float64Array.from(indices, (i) => r[i]);
  return {
    ...batch,
    ...(batch.textBert ? { textBert: corruptTextBert(batch.textBert, masks.text, indices, Tt) } : {}),
    text,
    audio,
    vision,
    textDropped,
    audioDropped,
    visionDropped,
    rates: { text: pick(masks.rates.text), audio: pick(masks.rates.audio), vision: pick(masks.rates.vision) },
  };
}

/**
 * LNLN's training rates: for each modality r_i ~ U(0, 1) (`np.random.uniform(size=(N, 1))`, three draws in a row),
 * then `random.sample(range(N), N // 2)` of them set to 0 (Python's `random`, once per modality).
 *
 * The first `next()` is bit-exact with LNLN's dataset construction given `setup_seed(seed)` and nothing else drawing
 * from numpy's or Python's global RNG before it (true for LNLN's train.py). Later calls continue both streams, i.e. a
 * fresh draw every epoch, the evident intent of LNLN's `__getitem__(0)` (which under multi-worker loading does not
 * actually take effect, docs/models.md §2.3); LNLN re-seeds numpy inside generate_m in between, so epochs ≥ 2 differ
 * from any LNLN run.
 */
export class HalfCompleteRates {
  private readonly np: MT19937;
  private readonly py: PythonRandom;

  constructor(
    readonly n: number,
    readonly seed: number,
  ) {
    this.np = new MT19937(seed);
    this.py = new PythonRandom(seed);
  }

  next(): { text: Float64Array; audio: Float64Array; vision: Float64Array } {
    const n = this.n;
    const r = [0, 1, 2].map(() => this.np.uniformArray(n));
    for (const ri of r) for (const i of this.py.sample(n, Math.floor(n / 2))) ri[i] = 0;
    return { text: r[0], audio: r[1], vision: r[2] };
  }
}

/**
 * The missing seed for a training epoch. 'fixed' = LNLN (the same u every epoch: with a constant rate, the same
 * positions are dropped in every epoch); 'fresh' = a new u per epoch (more corruption patterns seen in training).
 */
export function epochMissingSeed(seed: number, epoch: number, mode: 'fixed' | 'fresh'): number {
  return mode === 'fixed' ? seed >>> 0 : freshMissingSeed(seed, epoch);
}
