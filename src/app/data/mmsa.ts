// MMSA `unaligned_50.pkl` (CMU-MOSI / CMU-MOSEI features, docs/models.md §1) read directly in TypeScript, browser or
// Node.
//
// The file is a pickle of {'train' | 'valid' | 'test': {key: ndarray | list}}. We keep what the models use, cast
// to float32 as LNLN does, replace -inf audio with 0 (LNLN `dataset.py`), and check every shape and dtype; anything
// unusable is a DataError naming the file and the problem. SHA-256 is compared with MMSA's published hashes: a
// mismatch is a warning (re-exported or subset pickles are legitimate), not an error.
//
// Memory: arrays are copied out of the file buffer (aligned float32), so peak use is about twice the file (MOSI:
// ~370 MB file → ~340 MB of features); the caller may drop the file bytes afterwards.

import { NpArray, toFloat32, toFloat64, toStrings, unpickle } from './numpy-pickle';
import {
  allocBatch,
  checkIndices,
  DataError,
  fillPrefixMask,
  MOSEI_DIMS,
  MOSI_DIMS,
  SPLITS,
  type Batch,
  type Dataset,
  type DatasetDims,
  type Split,
  type SplitInfo,
} from './types';

/** SHA-256 of MMSA's published feature files (MMSA README). */
export const KNOWN_MMSA_SHA256: Readonly<Record<'MOSI' | 'MOSEI', string>> = {
  MOSI: '78e0f8b5ef8ff71558e7307848fc1fa929ecb078203f565ab22b9daab2e02524',
  MOSEI: 'ad8b23d50557045e7d47959ce6c5b955d8d983f2979c7d9b7b9226f6dd6fec1f',
};

/** One split as read: the SplitInfo plus the features (C order) and the optional extras. */
export interface MmsaSplit extends SplitInfo {
  /** (N, T_t, d_t) */
  readonly text: Float32Array;
  /** (N, T_a, d_a), -inf replaced by 0 */
  readonly audio: Float32Array;
  /** (N, T_v, d_v) */
  readonly vision: Float32Array;
  /** (N, 3, T_t): input ids, attention mask, segment ids (as integers). */
  readonly textBert: Int32Array;
  /** (N) transcripts, when the file has them. */
  readonly rawText?: readonly string[];
}

export interface MmsaReadOptions {
  /** Used in messages (the file's path or name). */
  readonly name?: string;
  /** Compute SHA-256 and compare with the known MOSI/MOSEI hashes (default true). Needs WebCrypto. */
  readonly checkHash?: boolean;
}

/** Where a value came from, for messages: "valid['audio']". */
const at = (split: string, key: string) => `${split}['${key}']`;

/** The dataset read from an MMSA pickle. */
export class MmsaDataset implements Dataset {
  readonly sizes: Readonly<Record<Split, number>>;

  constructor(
    readonly name: string,
    readonly file: string,
    readonly dims: DatasetDims,
    readonly splits: Readonly<Record<Split, MmsaSplit>>,
    /** Hex SHA-256 of the file, or null when not computed. */
    readonly sha256: string | null,
    /** 'MOSI' / 'MOSEI' when the hash matches MMSA's published file. */
    readonly knownAs: 'MOSI' | 'MOSEI' | null,
    /** Things worth telling the user that did not stop the read (hash mismatch, replaced values, odd dims). */
    readonly warnings: readonly string[],
    /** Counts of replaced values: -inf audio (LNLN's rule) and other non-finite features. */
    readonly replaced: { readonly audioNegInf: number; readonly otherNonFinite: number },
  ) {
    this.sizes = { train: splits.train.n, valid: splits.valid.n, test: splits.test.n };
  }

  split(split: Split): MmsaSplit {
    return this.splits[split];
  }

  batch(split: Split, indices: ArrayLike<number>): Batch {
    const s = this.splits[split];
    checkIndices('MmsaDataset.batch', split, s.n, indices);
    const { text: t, audio: a, vision: v } = this.dims;
    const out = allocBatch(this.dims, indices);
    const ids: string[] = [];
    const textBert = new Int32Array(indices.length * 3 * t.len);
    for (let b = 0; b < indices.length; b++) {
      const i = indices[b];
      textBert.set(s.textBert.subarray(i * 3 * t.len, (i + 1) * 3 * t.len), b * 3 * t.len);
      const row = (x: Float32Array, T: number, d: number) => x.subarray(i * T * d, (i + 1) * T * d);
      out.text.set(row(s.text, t.len, t.dim), b * t.len * t.dim);
      out.audio.set(row(s.audio, a.len, a.dim), b * a.len * a.dim);
      out.vision.set(row(s.vision, v.len, v.dim), b * v.len * v.dim);
      for (let j = 0; j < t.len; j++) out.textMask[b * t.len + j] = s.textMask[i * t.len + j];
      out.audioLengths[b] = s.audioLengths[i];
      out.visionLengths[b] = s.visionLengths[i];
      fillPrefixMask(out.audioMask, b, a.len, s.audioLengths[i]);
      fillPrefixMask(out.visionMask, b, v.len, s.visionLengths[i]);
      out.labels[b] = s.labels[i];
      ids.push(s.ids[i]);
    }
    return { size: indices.length, dims: this.dims, ids, ...out, textBert };
  }
}

/** Lower-case hex SHA-256 via WebCrypto (browsers, Node ≥ 20); null when WebCrypto is unavailable. */
export async function sha256Hex(bytes: Uint8Array): Promise<string | null> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return null;
  const view = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
  const digest = await subtle.digest('SHA-256', view);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Reads an MMSA pickle: checks the SHA-256 (warning on mismatch), unpickles, validates and converts.
 * Throws DataError for a truncated, foreign or malformed file.
 */
export async function readMmsaPickle(data: ArrayBuffer | Uint8Array, opts: MmsaReadOptions = {}): Promise<MmsaDataset> {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const file = opts.name ?? 'MMSA pickle';
  let sha: string | null = null;
  const warnings: string[] = [];
  if (opts.checkHash ?? true) {
    sha = await sha256Hex(bytes);
    if (sha === null) warnings.push('SHA-256 not checked: WebCrypto (crypto.subtle) is unavailable here');
  }
  return parseMmsaPickle(bytes, { ...opts, name: file }, sha, warnings);
}

/** The synchronous part of readMmsaPickle (no hashing unless `sha256` is passed in). */
export function parseMmsaPickle(
  bytes: Uint8Array,
  opts: MmsaReadOptions = {},
  sha256: string | null = null,
  warnings: string[] = [],
): MmsaDataset {
  const file = opts.name ?? 'MMSA pickle';
  const fail = (reason: string): never => {
    throw new DataError(file, reason);
  };
  let knownAs: 'MOSI' | 'MOSEI' | null = null;
  if (sha256 !== null) {
    knownAs = sha256 === KNOWN_MMSA_SHA256.MOSI ? 'MOSI' : sha256 === KNOWN_MMSA_SHA256.MOSEI ? 'MOSEI' : null;
    if (!knownAs) {
      warnings.push(
        `SHA-256 ${sha256} differs from the known MOSI/MOSEI hash (MMSA unaligned_50.pkl: MOSI ${KNOWN_MMSA_SHA256.MOSI.slice(0, 12)}…, ` +
          `MOSEI ${KNOWN_MMSA_SHA256.MOSEI.slice(0, 12)}…); reading it anyway`,
      );
    }
  }

  // Sniff the container before running the VM, for clearer messages than an opcode error.
  if (bytes.byteLength === 0) fail('empty file');
  if (bytes[0] !== 0x80) {
    const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    const hint =
      bytes[0] === 0x50 && bytes[1] === 0x4b
        ? ' (a zip archive: torch.save or np.savez output?)'
        : bytes[0] === 0x93 && bytes[1] === 0x4e
          ? ' (a .npy file)'
          : bytes[0] === 0x89 && bytes[1] === 0x48
            ? ' (an HDF5 file)'
            : '';
    fail(`not a Python pickle of protocol 2-5: it starts with bytes ${head}${hint}, expected 0x80`);
  }
  if (bytes[1] < 2 || bytes[1] > 5) fail(`unsupported pickle protocol ${bytes[1]} (expected 2-5)`);

  let root: unknown;
  try {
    root = unpickle(bytes);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/end of file|more bytes|end of line/i.test(msg)) {
      fail(`truncated: the pickle stream ends before its STOP opcode (${bytes.byteLength} bytes; ${msg})`);
    }
    fail(`malformed pickle: ${msg}`);
  }

  if (!(root instanceof Map))
    fail(
      `not an MMSA feature file: the pickle holds ${describe(root)}, expected a dict with keys 'train', 'valid', 'test'`,
    );
  const top = root as Map<unknown, unknown>;
  const missingSplits = SPLITS.filter((s) => !top.has(s));
  if (missingSplits.length) {
    fail(
      `not an MMSA feature file: the top-level dict has keys [${[...top.keys()].map(String).join(', ')}], missing ${missingSplits.join(', ')}`,
    );
  }

  let dims: DatasetDims | null = null;
  const replaced = { audioNegInf: 0, otherNonFinite: 0 };
  const splits = {} as Record<Split, MmsaSplit>;
  for (const split of SPLITS) {
    const d = top.get(split);
    if (!(d instanceof Map)) fail(`${split} is ${describe(d)}, expected a dict of arrays`);
    const s = readSplit(file, split, d as Map<unknown, unknown>, dims, warnings, replaced);
    dims = s.dims;
    splits[split] = s.split;
  }
  const dimsFinal = dims as DatasetDims;

  if (replaced.audioNegInf) warnings.push(`replaced ${replaced.audioNegInf} -inf audio values with 0 (as LNLN does)`);
  if (replaced.otherNonFinite)
    warnings.push(`replaced ${replaced.otherNonFinite} other non-finite feature values (NaN/±inf) with 0`);
  const same = (a: DatasetDims, b: DatasetDims) =>
    (['text', 'audio', 'vision'] as const).every((m) => a[m].len === b[m].len && a[m].dim === b[m].dim);
  const name =
    knownAs === 'MOSI' || same(dimsFinal, MOSI_DIMS)
      ? 'mosi'
      : knownAs === 'MOSEI' || same(dimsFinal, MOSEI_DIMS)
        ? 'mosei'
        : 'mmsa';
  if (name === 'mmsa') {
    const f = (m: keyof DatasetDims) => `${m} ${dimsFinal[m].len}×${dimsFinal[m].dim}`;
    warnings.push(`feature shapes (${f('text')}, ${f('audio')}, ${f('vision')}) are neither MOSI's nor MOSEI's`);
  }
  return new MmsaDataset(name, file, dimsFinal, splits, sha256, knownAs, warnings, replaced);
}

function describe(x: unknown): string {
  if (x === undefined) return 'nothing';
  if (x === null) return 'None';
  if (Array.isArray(x)) return `a list/tuple of ${x.length} items`;
  if (x instanceof Map) return `a dict with keys [${[...x.keys()].slice(0, 8).map(String).join(', ')}]`;
  if (x instanceof NpArray) return `an ndarray ${x.dtype.str} of shape (${x.shape.join(', ')})`;
  if (x instanceof Uint8Array) return `bytes of length ${x.byteLength}`;
  if (typeof x === 'object') {
    const p = Object.getPrototypeOf(x) as { __module__?: string; __name__?: string } | null;
    if (p?.__name__) return `a ${p.__module__}.${p.__name__} object`;
    return 'an object';
  }
  return `a ${typeof x} (${String(x).slice(0, 40)})`;
}

function readSplit(
  file: string,
  split: Split,
  d: Map<unknown, unknown>,
  expect: DatasetDims | null,
  warnings: string[],
  replaced: { audioNegInf: number; otherNonFinite: number },
): { split: MmsaSplit; dims: DatasetDims } {
  const fail = (reason: string): never => {
    throw new DataError(file, reason);
  };
  const get = (key: string): unknown => {
    if (!d.has(key)) fail(`${split} has no '${key}' (keys: ${[...d.keys()].map(String).join(', ')})`);
    return d.get(key);
  };
  // numpy never writes a negative or fractional dim, but a crafted file can, with a product that matches the data.
  const checkDims = (a: NpArray, key: string): void => {
    if (!a.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`${at(split, key)} has shape (${a.shape.join(', ')}): dimensions must be non-negative integers`);
    }
  };
  const nd = (key: string, rank: number, kinds: string): NpArray => {
    const x = get(key);
    if (!(x instanceof NpArray) || !x.ok) fail(`${at(split, key)} is ${describe(x)}, expected a ${rank}-d numpy array`);
    const a = x as NpArray;
    checkDims(a, key);
    if (a.dtype.structured || !kinds.includes(a.dtype.kind))
      fail(`${at(split, key)} has dtype ${a.dtype.str}, expected kind ${kinds.split('').join('/')}`);
    if (a.shape.length !== rank)
      fail(`${at(split, key)} has shape (${a.shape.join(', ')}), expected ${rank} dimensions`);
    return a;
  };
  const numbers32 = (a: NpArray, key: string): Float32Array => {
    try {
      return toFloat32(a);
    } catch (e) {
      return fail(`${at(split, key)}: ${(e as Error).message}`);
    }
  };
  /** Lengths and labels: a 1-d (or (N, 1)) numeric array, or a list of numbers. */
  const vector = (key: string, kinds: string): Float64Array => {
    const x = get(key);
    if (Array.isArray(x)) {
      if (!x.every((v) => typeof v === 'number' || typeof v === 'boolean'))
        fail(`${at(split, key)} is a list that is not all numbers`);
      return Float64Array.from(x as number[]);
    }
    if (!(x instanceof NpArray) || !x.ok) fail(`${at(split, key)} is ${describe(x)}, expected a 1-d numpy array`);
    const a = x as NpArray;
    checkDims(a, key);
    if (a.dtype.structured || !kinds.includes(a.dtype.kind))
      fail(`${at(split, key)} has dtype ${a.dtype.str}, expected kind ${kinds.split('').join('/')}`);
    if (!(a.shape.length === 1 || (a.shape.length === 2 && a.shape[1] === 1)))
      fail(`${at(split, key)} has shape (${a.shape.join(', ')}), expected (N,) or (N, 1)`);
    try {
      return toFloat64(a);
    } catch (e) {
      return fail(`${at(split, key)}: ${(e as Error).message}`);
    }
  };
  const strings = (key: string): string[] => {
    const x = get(key);
    try {
      if (Array.isArray(x))
        return x.map((v) =>
          typeof v === 'string'
            ? v
            : v instanceof Uint8Array
              ? new TextDecoder().decode(v)
              : fail(`${at(split, key)} holds ${describe(v)}, expected str`),
        );
      if (x instanceof NpArray && x.ok && x.shape.length === 1) return (checkDims(x, key), toStrings(x));
    } catch (e) {
      if (e instanceof DataError) throw e;
      fail(`${at(split, key)}: ${(e as Error).message}`);
    }
    return fail(`${at(split, key)} is ${describe(x)}, expected a 1-d array or list of str`);
  };

  // Shapes first (cheap), conversions after, so a wrong file fails fast.
  const textA = nd('text', 3, 'f');
  const bertA = nd('text_bert', 3, 'fiub');
  const audioA = nd('audio', 3, 'f');
  const visionA = nd('vision', 3, 'f');
  const n = textA.shape[0];
  const dims: DatasetDims = {
    text: { len: textA.shape[1], dim: textA.shape[2] },
    audio: { len: audioA.shape[1], dim: audioA.shape[2] },
    vision: { len: visionA.shape[1], dim: visionA.shape[2] },
  };
  const shapeStr = (a: NpArray) => `(${a.shape.join(', ')})`;
  if (n === 0) fail(`${at(split, 'text')} has no samples`);
  for (const [key, a] of [
    ['audio', audioA],
    ['vision', visionA],
    ['text_bert', bertA],
  ] as const) {
    if (a.shape[0] !== n) fail(`${at(split, key)} has ${a.shape[0]} samples but ${at(split, 'text')} has ${n}`);
  }
  if (bertA.shape[1] !== 3 || bertA.shape[2] !== dims.text.len) {
    fail(
      `${at(split, 'text_bert')} has shape ${shapeStr(bertA)}, expected (${n}, 3, ${dims.text.len}) to match ${at(split, 'text')} ${shapeStr(textA)}`,
    );
  }
  for (const m of ['text', 'audio', 'vision'] as const) {
    if (dims[m].len === 0 || dims[m].dim === 0)
      fail(
        `${at(split, m)} has an empty dimension: ${shapeStr(m === 'text' ? textA : m === 'audio' ? audioA : visionA)}`,
      );
    if (expect && (expect[m].len !== dims[m].len || expect[m].dim !== dims[m].dim)) {
      fail(
        `${at(split, m)} is (N, ${dims[m].len}, ${dims[m].dim}) but the earlier splits have (N, ${expect[m].len}, ${expect[m].dim})`,
      );
    }
  }

  const labels64 = vector('regression_labels', 'fiu');
  const audioLen64 = vector('audio_lengths', 'iuf');
  const visionLen64 = vector('vision_lengths', 'iuf');
  const ids = strings('id');
  const rawText = d.has('raw_text') ? strings('raw_text') : undefined;
  for (const [key, len] of [
    ['regression_labels', labels64.length],
    ['audio_lengths', audioLen64.length],
    ['vision_lengths', visionLen64.length],
    ['id', ids.length],
    ['raw_text', rawText?.length ?? n],
  ] as const) {
    if (len !== n) fail(`${at(split, key)} has ${len} entries but ${at(split, 'text')} has ${n} samples`);
  }
  for (let i = 0; i < n; i++) {
    // Labels are stored as float32: a float64 beyond its range (±3.4e38) would become ±Infinity there.
    if (!Number.isFinite(Math.fround(labels64[i]))) {
      fail(
        `${at(split, 'regression_labels')}[${i}] is ${labels64[i]}${Number.isFinite(labels64[i]) ? ', beyond float32' : ''}`,
      );
    }
  }
  const outside = labels64.filter((y) => y < -3 || y > 3).length;
  if (outside) warnings.push(`${at(split, 'regression_labels')}: ${outside} labels outside [-3, 3]`);

  const lengths = (key: string, v: Float64Array, T: number): Int32Array => {
    const out = new Int32Array(n);
    let clamped = 0;
    for (let i = 0; i < n; i++) {
      if (!Number.isInteger(v[i]) || v[i] < 0) fail(`${at(split, key)}[${i}] = ${v[i]} is not a non-negative integer`);
      if (v[i] > T) clamped++;
      out[i] = Math.min(v[i], T);
    }
    if (clamped) warnings.push(`${at(split, key)}: ${clamped} lengths exceed the ${T} stored frames; clamped to ${T}`);
    return out;
  };
  const audioLengths = lengths('audio_lengths', audioLen64, dims.audio.len);
  const visionLengths = lengths('vision_lengths', visionLen64, dims.vision.len);

  const bert = numbers32(bertA, 'text_bert');
  const textBert = new Int32Array(bert.length);
  for (let i = 0; i < bert.length; i++) textBert[i] = Math.round(bert[i]);
  const T = dims.text.len;
  const textMask = new Uint8Array(n * T);
  let oddMask = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < T; j++) {
      const m = textBert[(i * 3 + 1) * T + j];
      if (m !== 0 && m !== 1) oddMask++;
      textMask[i * T + j] = m !== 0 ? 1 : 0;
    }
  }
  if (oddMask)
    warnings.push(`${at(split, 'text_bert')}[:, 1, :]: ${oddMask} attention-mask values are not 0/1 (treated as 1)`);

  const text = numbers32(textA, 'text');
  const audio = numbers32(audioA, 'audio');
  const vision = numbers32(visionA, 'vision');
  for (let i = 0; i < audio.length; i++) {
    if (audio[i] === -Infinity) {
      audio[i] = 0;
      replaced.audioNegInf++;
    }
  }
  for (const x of [text, audio, vision]) {
    for (let i = 0; i < x.length; i++) {
      if (!Number.isFinite(x[i])) {
        x[i] = 0;
        replaced.otherNonFinite++;
      }
    }
  }

  return {
    dims,
    split: {
      n,
      labels: Float32Array.from(labels64),
      ids,
      textMask,
      audioLengths,
      visionLengths,
      text,
      audio,
      vision,
      textBert,
      rawText,
    },
  };
}
