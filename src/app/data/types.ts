// The shapes every data source (MMSA pickle, synthetic-mosi) hands to the model. Everything is a flat typed array in
// C order with its shape in a comment, ready for `tensor(data, shape)`. No Node or DOM APIs.

export type Split = 'train' | 'valid' | 'test';
export const SPLITS: readonly Split[] = ['train', 'valid', 'test'];

/** Sequence length T and feature size d of one modality. */
export interface ModalityDims {
  readonly len: number;
  readonly dim: number;
}

/** MOSI: text 50×768, audio 375×5, vision 500×20. MOSEI: 50×768, 500×74, 500×35. */
export interface DatasetDims {
  readonly text: ModalityDims;
  readonly audio: ModalityDims;
  readonly vision: ModalityDims;
}

export const MOSI_DIMS: DatasetDims = {
  text: { len: 50, dim: 768 },
  audio: { len: 375, dim: 5 },
  vision: { len: 500, dim: 20 },
};
export const MOSEI_DIMS: DatasetDims = {
  text: { len: 50, dim: 768 },
  audio: { len: 500, dim: 74 },
  vision: { len: 500, dim: 35 },
};
export const MOSI_SPLIT_SIZES: Readonly<Record<Split, number>> = { train: 1284, valid: 229, test: 686 };
export const MOSEI_SPLIT_SIZES: Readonly<Record<Split, number>> = { train: 16326, valid: 1871, test: 4659 };

/**
 * The cheap, per-sample part of a split: everything but the feature tensors. Enough to compute labels statistics and
 * the LNLN masks (which need the valid positions of every sample) without generating or copying any features.
 */
export interface SplitInfo {
  readonly n: number;
  /** (N) sentiment in [-3, 3] (MMSA `regression_labels`). */
  readonly labels: Float32Array;
  /** (N) `video_id$_$clip_id`. */
  readonly ids: readonly string[];
  /** (N, T_t) BERT attention mask: 1 = token (incl. [CLS]/[SEP]), 0 = padding. */
  readonly textMask: Uint8Array;
  /** (N) number of valid (prefix) audio frames. */
  readonly audioLengths: Int32Array;
  /** (N) number of valid (prefix) vision frames. */
  readonly visionLengths: Int32Array;
}

/** A mini-batch of B samples, C order, float32 where it feeds a tensor. */
export interface Batch {
  readonly size: number;
  /** (B) indices of the samples within their split. */
  readonly indices: Int32Array;
  readonly dims: DatasetDims;
  /** (B, T_t, d_t) precomputed BERT features; padding positions as stored (zeros for synthetic data). */
  readonly text: Float32Array;
  /** (B, T_t) 1 = token, 0 = padding. */
  readonly textMask: Float32Array;
  /**
   * (B, 3, T_t) BERT inputs as integers: [0] token ids, [1] attention mask, [2] segment ids (MMSA `text_bert`). Absent
   * for sources without token ids. After `applyMissing` the ids are LNLN's corrupted ones (dropped → [UNK] = 100).
   */
  readonly textBert?: Int32Array;
  /** (B, T_a, d_a), frames ≥ length are zero. */
  readonly audio: Float32Array;
  /** (B, T_a) 1 = frame < length. */
  readonly audioMask: Float32Array;
  readonly audioLengths: Int32Array;
  /** (B, T_v, d_v), frames ≥ length are zero. */
  readonly vision: Float32Array;
  /** (B, T_v) 1 = frame < length. */
  readonly visionMask: Float32Array;
  readonly visionLengths: Int32Array;
  /** (B) regression labels. */
  readonly labels: Float32Array;
  readonly ids: readonly string[];
}

/** A dataset of three splits that can be batched into tensors. Sources may generate features lazily per batch. */
export interface Dataset {
  readonly name: string;
  readonly dims: DatasetDims;
  readonly sizes: Readonly<Record<Split, number>>;
  /** Labels, ids, text masks and lengths of a whole split (cached; cheap). */
  split(split: Split): SplitInfo;
  /** Features of the given samples, shaped (B, T, d); B = indices.length. */
  batch(split: Split, indices: ArrayLike<number>): Batch;
}

/** A data file that cannot be used: truncated, not an MMSA pickle, wrong shapes or dtypes. Names the file. */
export class DataError extends Error {
  override name = 'DataError';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

/** An empty batch of the given size, with the text/audio/vision arrays allocated (zero-filled). */
export function allocBatch(
  dims: DatasetDims,
  indices: ArrayLike<number>,
): {
  indices: Int32Array;
  text: Float32Array;
  textMask: Float32Array;
  audio: Float32Array;
  audioMask: Float32Array;
  audioLengths: Int32Array;
  vision: Float32Array;
  visionMask: Float32Array;
  visionLengths: Int32Array;
  labels: Float32Array;
} {
  const B = indices.length;
  const { text: t, audio: a, vision: v } = dims;
  return {
    indices: Int32Array.from(indices),
    text: new Float32Array(B * t.len * t.dim),
    textMask: new Float32Array(B * t.len),
    audio: new Float32Array(B * a.len * a.dim),
    audioMask: new Float32Array(B * a.len),
    audioLengths: new Int32Array(B),
    vision: new Float32Array(B * v.len * v.dim),
    visionMask: new Float32Array(B * v.len),
    visionLengths: new Int32Array(B),
    labels: new Float32Array(B),
  };
}

/** Fills row b of a (B, T) mask with 1 for the first `len` positions. */
export function fillPrefixMask(mask: Float32Array, b: number, T: number, len: number): void {
  mask.fill(1, b * T, b * T + Math.min(len, T));
}

/** Checks that every index is an integer in [0, n); names the split. */
export function checkIndices(where: string, split: Split, n: number, indices: ArrayLike<number>): void {
  for (let b = 0; b < indices.length; b++) {
    const i = indices[b];
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      throw new RangeError(`${where}: index ${i} out of range for split '${split}' of ${n} samples`);
    }
  }
}
