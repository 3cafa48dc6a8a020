// The safetensors format, read and written in memory (Uint8Array / ArrayBuffer; no file system, so it runs in the
// browser as well as in Node).
//
// Layout: an 8-byte little-endian unsigned header length N, then N bytes of UTF-8 JSON
//   {"__metadata__": {string: string}?, "<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}
// then the data section: each tensor's elements, little-endian, row-major, at [begin, end) relative to the section.
// Like the reference implementation, the writer pads the header with spaces to a multiple of 8 bytes (so the data
// starts 8-byte aligned), lays the tensors out back to back sorted by name (the reference sorts by dtype alignment,
// then name; we only write F32), and writes compact JSON with "__metadata__" first. A file this writer makes is byte
// for byte what Python's `safetensors.torch.save_file` makes for the same float32 tensors and one metadata entry.
//
// The reader validates as strictly as the reference: the header must be valid UTF-8 JSON of the right shape, every
// dtype known, every byte range inside the data section, exactly the size its shape and dtype imply, and the ranges
// must tile the data section with no gap or overlap. Any violation is a CheckpointError saying what and where.

import { WebgradError } from '../errors';

/** Every dtype name the format defines, with its element size in bytes. */
export const DTYPE_SIZES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const;
export type Dtype = keyof typeof DTYPE_SIZES;

export type CheckpointErrorCode =
  | 'truncated' // shorter than its header says, or than 8 bytes
  | 'header' // header length, UTF-8, JSON or structure invalid
  | 'dtype' // unknown dtype, or one we cannot convert to float32
  | 'offsets' // a byte range out of the data section, of the wrong size, overlapping or leaving a gap
  | 'mismatch' // a checkpoint does not fit the module / optimizer it is loaded into
  | 'nonfinite' // a tensor loaded as weights or optimizer state holds NaN or ±Infinity
  | 'tensor'; // a tensor handed to the writer is invalid

/** Any failure reading or writing a safetensors file or checkpoint; `problems` lists each thing found wrong. */
export class CheckpointError extends WebgradError {
  override name = 'CheckpointError';
  constructor(
    readonly code: CheckpointErrorCode,
    message: string,
    readonly problems: readonly string[] = [message],
    op = 'safetensors',
  ) {
    super(op, message);
  }
}

/** One tensor of a parsed file: its dtype, shape, and raw little-endian bytes (a view into the file). */
export interface SafetensorsEntry {
  dtype: Dtype;
  shape: number[];
  /** [begin, end) relative to the start of the data section. */
  dataOffsets: [number, number];
  bytes: Uint8Array;
}

export interface SafetensorsFile {
  /** Tensors in the order of their data. */
  tensors: Map<string, SafetensorsEntry>;
  /** The "__metadata__" map ({} when absent). */
  metadata: Record<string, string>;
}

/** What the writer takes: float32 data and its shape. */
export interface F32Tensor {
  shape: readonly number[];
  data: Float32Array;
}

/** The reference implementation's limit on the header size. */
const MAX_HEADER = 100_000_000;

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function toBytes(input: Uint8Array | ArrayBuffer): Uint8Array {
  return input instanceof Uint8Array ? input : new Uint8Array(input);
}

// ------------------------------------------------------------------------------------------------------- read

/** Parses and validates a safetensors file; tensor bytes are views into `input` (no copy). */
export function parseSafetensors(input: Uint8Array | ArrayBuffer): SafetensorsFile {
  const buf = toBytes(input);
  const fail = (code: CheckpointErrorCode, msg: string) => new CheckpointError(code, msg);
  if (buf.length < 8) throw fail('truncated', `file is ${buf.length} bytes, shorter than the 8-byte header length`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER))
    throw fail('header', `header length ${n64} exceeds the ${MAX_HEADER}-byte limit (not a safetensors file?)`);
  const n = Number(n64);
  if (8 + n > buf.length)
    throw fail('truncated', `header length ${n} runs past the end of the ${buf.length}-byte file`);

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + n));
  } catch {
    throw fail('header', 'header is not valid UTF-8');
  }
  if (!text.startsWith('{'))
    throw fail('header', `header does not start with '{' (got ${JSON.stringify(text.slice(0, 16))})`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw fail('header', `header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw fail('header', 'header JSON is not an object');

  const metadata: Record<string, string> = {};
  const raw: { name: string; dtype: Dtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, info] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof info !== 'object' || info === null || Array.isArray(info))
        throw fail('header', '"__metadata__" is not an object');
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== 'string') throw fail('header', `"__metadata__" value of "${k}" is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (typeof info !== 'object' || info === null || Array.isArray(info))
      throw fail('header', `tensor "${name}": entry is not an object`);
    const { dtype, shape, data_offsets: offs } = info as Record<string, unknown>;
    if (typeof dtype !== 'string' || !Object.prototype.hasOwnProperty.call(DTYPE_SIZES, dtype)) {
      throw fail('dtype', `tensor "${name}": unknown dtype ${JSON.stringify(dtype)}`);
    }
    const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
    if (!Array.isArray(shape) || !shape.every(isCount)) {
      throw fail('header', `tensor "${name}": shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    }
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isCount)) {
      throw fail('header', `tensor "${name}": data_offsets ${JSON.stringify(offs)} is not [begin, end]`);
    }
    raw.push({ name, dtype: dtype as Dtype, shape, begin: offs[0], end: offs[1] });
  }

  // The ranges must tile [0, dataBytes) exactly, as the reference demands: sorted by begin, each starts where the
  // previous ended, has the size its shape implies, and the last one ends at the end of the file.
  const dataBytes = buf.length - 8 - n;
  raw.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const tensors = new Map<string, SafetensorsEntry>();
  let cursor = 0;
  for (const t of raw) {
    const where = `tensor "${t.name}" (data_offsets [${t.begin}, ${t.end}])`;
    if (t.end < t.begin) throw fail('offsets', `${where}: end before begin`);
    if (t.begin < cursor) throw fail('offsets', `${where}: overlaps the previous tensor, which ends at ${cursor}`);
    if (t.begin > cursor)
      throw fail('offsets', `${where}: leaves a gap of ${t.begin - cursor} bytes after offset ${cursor}`);
    const want = t.shape.reduce((a, b) => a * b, 1) * DTYPE_SIZES[t.dtype];
    if (t.end - t.begin !== want) {
      throw fail(
        'offsets',
        `${where}: holds ${t.end - t.begin} bytes, but ${t.dtype} [${t.shape.join(', ')}] needs ${want}`,
      );
    }
    if (t.end > dataBytes) {
      throw fail('truncated', `${where}: runs past the end of the data section (${dataBytes} bytes; file truncated?)`);
    }
    cursor = t.end;
    const start = 8 + n + t.begin;
    tensors.set(t.name, {
      dtype: t.dtype,
      shape: t.shape,
      dataOffsets: [t.begin, t.end],
      bytes: buf.subarray(start, start + want),
    });
  }
  if (cursor !== dataBytes) {
    throw fail(
      'offsets',
      `the tensors cover ${cursor} bytes of data, but the file holds ${dataBytes} after its header`,
    );
  }
  return { tensors, metadata };
}

/** A tensor's values as float32: F32 as is, F16/BF16/F64 and integer/bool types converted. F8 types are refused. */
export function entryToFloat32(e: SafetensorsEntry, name = '?'): Float32Array {
  const b = e.bytes;
  const count = b.length / DTYPE_SIZES[e.dtype];
  // A copy into a fresh, aligned buffer; views of it read the values on a little-endian host. The prototype's
  // slice, not b.slice(): a Node Buffer's slice is a view into its shared pool, not a copy.
  const aligned = Uint8Array.prototype.slice.call(b).buffer;
  if (!littleEndian) return viaDataView(e, count, name);
  switch (e.dtype) {
    case 'F32':
      return new Float32Array(aligned);
    case 'F64':
      return Float32Array.from(new Float64Array(aligned));
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const half = new Uint16Array(aligned);
      const out = new Uint32Array(count);
      for (let i = 0; i < count; i++) out[i] = half[i] << 16;
      return new Float32Array(out.buffer);
    }
    case 'F16': {
      const half = new Uint16Array(aligned);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = f16ToNumber(half[i]);
      return out;
    }
    case 'BOOL':
    case 'U8':
      return Float32Array.from(new Uint8Array(aligned));
    case 'I8':
      return Float32Array.from(new Int8Array(aligned));
    case 'I16':
      return Float32Array.from(new Int16Array(aligned));
    case 'U16':
      return Float32Array.from(new Uint16Array(aligned));
    case 'I32':
      return Float32Array.from(new Int32Array(aligned));
    case 'U32':
      return Float32Array.from(new Uint32Array(aligned));
    case 'I64':
      return Float32Array.from(new BigInt64Array(aligned), Number);
    case 'U64':
      return Float32Array.from(new BigUint64Array(aligned), Number);
    default:
      throw new CheckpointError('dtype', `tensor "${name}": cannot convert ${e.dtype} to float32`);
  }
}

// The slow path for big-endian hosts (none in practice, but the format is little-endian by definition).
function viaDataView(e: SafetensorsEntry, count: number, name: string): Float32Array {
  const dv = new DataView(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength);
  const out = new Float32Array(count);
  const get: Partial<Record<Dtype, (i: number) => number>> = {
    F32: (i) => dv.getFloat32(i * 4, true),
    F64: (i) => dv.getFloat64(i * 8, true),
    F16: (i) => f16ToNumber(dv.getUint16(i * 2, true)),
    BF16: (i) => new Float32Array(new Uint32Array([dv.getUint16(i * 2, true) << 16]).buffer)[0],
    BOOL: (i) => dv.getUint8(i),
    U8: (i) => dv.getUint8(i),
    I8: (i) => dv.getInt8(i),
    I16: (i) => dv.getInt16(i * 2, true),
    U16: (i) => dv.getUint16(i * 2, true),
    I32: (i) => dv.getInt32(i * 4, true),
    U32: (i) => dv.getUint32(i * 4, true),
    I64: (i) => Number(dv.getBigInt64(i * 8, true)),
    U64: (i) => Number(dv.getBigUint64(i * 8, true)),
  };
  const g = get[e.dtype];
  if (!g) throw new CheckpointError('dtype', `tensor "${name}": cannot convert ${e.dtype} to float32`);
  for (let i = 0; i < count; i++) out[i] = g(i);
  return out;
}

/** IEEE half precision bits → number (exact). */
export function f16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero and subnormals
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Where `data` first holds NaN or ±Infinity, as `"name"[i] is NaN`; null when every value is finite. */
export function describeNonFinite(name: string, data: Float32Array): string | null {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      let count = 0;
      for (let j = i; j < data.length; j++) if (!Number.isFinite(data[j])) count++;
      return `"${name}"[${i}] is ${data[i]}${count > 1 ? ` (${count} non-finite values in all)` : ''}`;
    }
  }
  return null;
}

/** Parses a file and converts every tensor to float32. */
export function readSafetensors(input: Uint8Array | ArrayBuffer): {
  tensors: Map<string, F32Tensor & { dtype: Dtype }>;
  metadata: Record<string, string>;
} {
  const file = parseSafetensors(input);
  const tensors = new Map<string, F32Tensor & { dtype: Dtype }>();
  for (const [name, e] of file.tensors)
    tensors.set(name, { dtype: e.dtype, shape: e.shape, data: entryToFloat32(e, name) });
  return { tensors, metadata: file.metadata };
}

// ------------------------------------------------------------------------------------------------------ write

/**
 * Serialises float32 tensors (name → {shape, data}) and optional string metadata into safetensors bytes, laid out as
 * the reference implementation does (see the top of this file).
 */
export function writeSafetensors(
  tensors: Iterable<readonly [string, F32Tensor]> | Record<string, F32Tensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const entries: [string, F32Tensor][] =
    Symbol.iterator in tensors
      ? [...(tensors as Iterable<readonly [string, F32Tensor]>)].map(([k, v]) => [k, v])
      : Object.entries(tensors);
  const seen = new Set<string>();
  for (const [name, t] of entries) {
    const bad = (msg: string) => new CheckpointError('tensor', `tensor "${name}": ${msg}`);
    if (name === '__metadata__') throw bad('"__metadata__" is reserved');
    if (seen.has(name)) throw bad('given twice');
    seen.add(name);
    if (!(t.data instanceof Float32Array)) throw bad('data must be a Float32Array');
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw bad(`shape [${t.shape.join(', ')}] is not a list of non-negative integers`);
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length)
      throw bad(`shape [${t.shape.join(', ')}] has ${size} elements but data has ${t.data.length}`);
  }
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new CheckpointError('tensor', `metadata value of "${k}" must be a string`);
    }
  }
  // Byte order of names, as Rust sorts strings (code-unit order differs from it only outside the BMP).
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  const parts: string[] = [];
  if (metadata && Object.keys(metadata).length) {
    const keys = Object.keys(metadata).sort();
    parts.push(`"__metadata__":{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',')}}`);
  }
  let offset = 0;
  for (const [name, t] of entries) {
    const bytes = t.data.length * 4;
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"F32","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + bytes}]}`,
    );
    offset += bytes;
  }
  const header = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(header.length / 8) * 8;

  const out = new Uint8Array(8 + padded + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(padded), true);
  out.set(header, 8);
  out.fill(0x20, 8 + header.length, 8 + padded); // spaces
  let at = 8 + padded;
  for (const [, t] of entries) {
    if (littleEndian) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    else for (let i = 0; i < t.data.length; i++) dv.setFloat32(at + i * 4, t.data[i], true);
    at += t.data.byteLength;
  }
  return out;
}
