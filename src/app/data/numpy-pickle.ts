// Unpickling numpy arrays in TypeScript: the glue between the `pickleparser` opcode VM and MMSA's arrays.
//
// Why pickleparser (npm, MIT, 0 deps, ~25 KB, pure JS, runs in browsers and Node): it implements every opcode of
// protocols 0–5 (framing, memo, BINBYTES8, BYTEARRAY8 for protocol-5 in-band buffers), never executes anything, and
// lets us supply the callables named by GLOBAL/STACK_GLOBAL. REDUCE calls them and BUILD calls `__setstate__` on the
// result, which is exactly the hook numpy's pickles need. Unknown globals become inert placeholder objects, so a
// foreign pickle cannot run code; validation then rejects it. Byte strings come back as zero-copy subarrays of the
// input. (Its own errors are plain `Error`s; mmsa.ts turns them into `DataError`s naming the file.)
//
// What numpy writes (numpy 1.x `numpy.core`, numpy 2.x `numpy._core`; both accepted):
//   protocol ≤ 4: _reconstruct(ndarray, (0,), b'b') then BUILD with (version, shape, dtype, is_fortran, raw) where
//                 raw is the bytes of the data in C or Fortran order, or a list of Python objects for dtype object;
//                 under protocol 2, bytes objects arrive as _codecs.encode(latin-1 str, 'latin1').
//   protocol 5:   _frombuffer(buffer, dtype, shape, order) with the buffer in-band (BYTEARRAY8 / BINBYTES).
//   dtype:        dtype('f4', False, True) then BUILD with (3, byteorder, subarray, names, fields, elsize, align, flags).
//   scalars:      scalar(dtype, raw bytes) (e.g. a numpy.str_ inside an object array).

import { NameRegistry, Parser } from 'pickleparser';

/** A numpy dtype reduced to what we read: kind letter (f i u b O U S V), item size in bytes, byte order. */
export class NpDtype {
  kind: string;
  itemsize: number;
  byteorder: '<' | '>' | '|' = '|';
  structured = false;

  constructor(spec: unknown) {
    const m = typeof spec === 'string' ? /^([a-zA-Z])(\d*)$/.exec(spec) : null;
    this.kind = m ? m[1] : '?';
    const n = m && m[2] ? parseInt(m[2], 10) : 0;
    this.itemsize = this.kind === 'U' ? 4 * n : n;
  }

  __setstate__(state: unknown): void {
    if (!Array.isArray(state)) return;
    // (3, byteorder, subarray, names, fields, elsize, alignment, flags); older pickles have fewer fields.
    const bo = state.length >= 2 ? state[1] : '|';
    this.byteorder = bo === '>' ? '>' : bo === '<' || bo === '=' ? '<' : '|';
    if (state.length >= 5 && (state[2] != null || state[3] != null || state[4] != null)) this.structured = true;
    if (state.length >= 6 && typeof state[5] === 'number' && state[5] > 0 && 'USV'.includes(this.kind)) {
      this.itemsize = state[5];
    }
  }

  /** numpy's `dtype.str`, e.g. '<f4', '|O'. */
  get str(): string {
    return `${this.byteorder}${this.kind}${this.kind === 'O' ? '' : this.kind === 'U' ? this.itemsize / 4 : this.itemsize}`;
  }
}

/** An unpickled ndarray: shape, dtype, memory order and raw data (bytes, or a list for dtype object). */
export class NpArray {
  shape: number[] = [];
  dtype: NpDtype = new NpDtype('V0');
  fortran = false;
  data: Uint8Array | unknown[] = new Uint8Array(0);
  ok = false;

  __setstate__(state: unknown): void {
    if (!Array.isArray(state) || (state.length !== 5 && state.length !== 4)) return;
    const [shape, dtype, fortran, raw] = state.length === 5 ? state.slice(1) : state;
    if (!Array.isArray(shape) || !(dtype instanceof NpDtype)) return;
    this.shape = shape.map(Number);
    this.dtype = dtype;
    this.fortran = fortran === true || fortran === 1;
    this.data =
      typeof raw === 'string'
        ? latin1(raw)
        : raw instanceof Uint8Array
          ? raw
          : Array.isArray(raw)
            ? raw
            : new Uint8Array(0);
    this.ok = true;
  }

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
}

function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

const bytesOf = (x: unknown): Uint8Array =>
  x instanceof Uint8Array
    ? x
    : typeof x === 'string'
      ? latin1(x)
      : ArrayBuffer.isView(x)
        ? new Uint8Array(x.buffer, x.byteOffset, x.byteLength)
        : new Uint8Array(0);

function frombuffer(buf: unknown, dtype: unknown, shape: unknown, order: unknown): NpArray {
  const a = new NpArray();
  if (dtype instanceof NpDtype && Array.isArray(shape)) {
    a.shape = shape.map(Number);
    a.dtype = dtype;
    a.fortran = order === 'F';
    a.data = bytesOf(buf);
    a.ok = true;
  }
  return a;
}

function scalar(dtype: unknown, raw: unknown): unknown {
  if (!(dtype instanceof NpDtype)) return undefined;
  const a = new NpArray();
  a.shape = [];
  a.dtype = dtype;
  a.data = dtype.kind === 'O' ? [raw] : bytesOf(raw);
  a.ok = true;
  return dtype.kind === 'U' || dtype.kind === 'S' || dtype.kind === 'O' ? toStrings(a)[0] : toFloat64(a)[0];
}

/**
 * Parses pickle bytes with numpy support. Throws pickleparser's plain Errors on malformed input, and an Error naming
 * where when a BUILD opcode changed an object's prototype (see checkPrototypes).
 */
export function unpickle(bytes: Uint8Array): unknown {
  const names = new NameRegistry();
  // Fresh closures per parse: a BUILD on a GLOBAL can assign properties to the callable, which must not outlive it.
  for (const core of ['numpy.core', 'numpy._core']) {
    names.register(`${core}.multiarray`, '_reconstruct', () => new NpArray());
    names.register(`${core}.numeric`, '_frombuffer', (...a: Parameters<typeof frombuffer>) => frombuffer(...a));
    names.register(`${core}.multiarray`, 'scalar', (...a: Parameters<typeof scalar>) => scalar(...a));
  }
  names.register('numpy', 'dtype', (spec: unknown) => new NpDtype(spec));
  names.register('_codecs', 'encode', (s: unknown) => (typeof s === 'string' ? latin1(s) : bytesOf(s)));
  for (const b of ['builtins', '__builtin__']) {
    names.register(b, 'bytes', (x?: unknown) => bytesOf(x));
    names.register(b, 'bytearray', (x?: unknown) => bytesOf(x));
  }
  names.register('collections', 'OrderedDict', () => new Map());
  const parser = new Parser({ nameResolver: names, unpicklingTypeOfDictionary: 'Map' });
  const root: unknown = parser.parse(bytes);
  checkPrototypes(root);
  return root;
}

/**
 * pickleparser applies a BUILD state without `__setstate__` with Object.assign, so a state key '__proto__' replaces
 * the object's prototype: a list or a placeholder object can then pass `instanceof Map` and throw a TypeError when
 * used. Walks everything reachable through dicts, lists and object arrays and throws if any object's prototype is
 * not one the parser itself gives.
 */
function checkPrototypes(root: unknown): void {
  const honest = new Set<unknown>([
    Array.prototype,
    Map.prototype,
    Uint8Array.prototype,
    NpArray.prototype,
    NpDtype.prototype,
  ]);
  const nodeBuffer = (globalThis as { Buffer?: { prototype: unknown } }).Buffer;
  if (nodeBuffer) honest.add(nodeBuffer.prototype); // slices of a Node Buffer input are Buffers
  // Placeholders for unknown globals: pickleparser's per-name prototype, a plain object carrying __module__/__name__.
  const placeholder = (p: object) => Object.getPrototypeOf(p) === Object.prototype && Object.hasOwn(p, '__name__');
  const seen = new Set<object>();
  const todo: [unknown, string][] = [[root, '']];
  while (todo.length) {
    const [x, where] = todo.pop()!;
    if (typeof x !== 'object' || x === null || seen.has(x)) continue;
    seen.add(x);
    const proto = Object.getPrototypeOf(x) as object | null;
    if (!honest.has(proto) && !(proto && placeholder(proto))) {
      throw new Error(`a BUILD opcode set '__proto__' of the object at ${where || 'the top level'}`);
    }
    if (x instanceof Map) for (const [k, v] of x) todo.push([v, `${where}['${String(k)}']`]);
    else if (Array.isArray(x)) x.forEach((v, i) => todo.push([v, `${where}[${i}]`]));
    else if (x instanceof NpArray && Array.isArray(x.data)) todo.push([x.data, where]);
  }
}

/** Copies `bytes` into a fresh, aligned ArrayBuffer (typed-array views need alignment; the input is a file slice). */
function aligned(bytes: Uint8Array): ArrayBuffer {
  const buf = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(buf).set(bytes);
  return buf;
}

/** Reads every element as a number in storage order (C or Fortran as stored). */
function readNumbers(a: NpArray): Float64Array | Float32Array | Int32Array {
  const { kind, itemsize, byteorder } = a.dtype;
  const n = a.size;
  if (!(a.data instanceof Uint8Array))
    throw new TypeError(`dtype ${a.dtype.str} array holds Python objects, not numbers`);
  // Zero-byte items would let any element count match an empty buffer, and the count is allocated below.
  if (!(itemsize > 0)) throw new TypeError(`unsupported numeric dtype ${a.dtype.str}`);
  if (a.data.byteLength !== n * itemsize) {
    throw new TypeError(
      `data has ${a.data.byteLength} bytes, expected ${n} × ${itemsize} for shape (${a.shape.join(', ')}) ${a.dtype.str}`,
    );
  }
  const little = byteorder !== '>';
  if (little && kind === 'f' && itemsize === 4) return new Float32Array(aligned(a.data));
  if (little && kind === 'f' && itemsize === 8) return new Float64Array(aligned(a.data));
  if (little && kind === 'i' && itemsize === 4) return new Int32Array(aligned(a.data));
  const view = new DataView(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const out = new Float64Array(n);
  const get = ((): ((o: number) => number) => {
    switch (`${kind}${itemsize}`) {
      case 'f2':
        return (o) => f16(view.getUint16(o, little));
      case 'f4':
        return (o) => view.getFloat32(o, little);
      case 'f8':
        return (o) => view.getFloat64(o, little);
      case 'i1':
        return (o) => view.getInt8(o);
      case 'i2':
        return (o) => view.getInt16(o, little);
      case 'i4':
        return (o) => view.getInt32(o, little);
      case 'i8':
        return (o) => Number(view.getBigInt64(o, little));
      case 'u1':
      case 'b1':
        return (o) => view.getUint8(o);
      case 'u2':
        return (o) => view.getUint16(o, little);
      case 'u4':
        return (o) => view.getUint32(o, little);
      case 'u8':
        return (o) => Number(view.getBigUint64(o, little));
      default:
        throw new TypeError(`unsupported numeric dtype ${a.dtype.str}`);
    }
  })();
  for (let i = 0; i < n; i++) out[i] = get(i * itemsize);
  return out;
}

function f16(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Reorders a Fortran-order flat array into C order. */
function fortranToC<T extends Float64Array | Float32Array | Int32Array | unknown[]>(
  src: T,
  shape: number[],
  make: (n: number) => T,
): T {
  const k = shape.length;
  const n = shape.reduce((a, b) => a * b, 1);
  if (k < 2) return src;
  const fstride = new Array<number>(k);
  fstride[0] = 1;
  for (let d = 1; d < k; d++) fstride[d] = fstride[d - 1] * shape[d - 1];
  const out = make(n);
  const idx = new Array<number>(k).fill(0);
  let off = 0; // Fortran offset of the current C-order index
  for (let c = 0; c < n; c++) {
    out[c] = src[off];
    for (let d = k - 1; d >= 0; d--) {
      idx[d]++;
      off += fstride[d];
      if (idx[d] < shape[d]) break;
      off -= fstride[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** A numeric array's values as float64, C order. */
export function toFloat64(a: NpArray): Float64Array {
  const raw = readNumbers(a);
  const f64 = raw instanceof Float64Array ? raw : Float64Array.from(raw);
  return a.fortran ? fortranToC(f64, a.shape, (n) => new Float64Array(n)) : f64;
}

/** A numeric array's values as float32, C order (float32 data is copied once, not widened). */
export function toFloat32(a: NpArray): Float32Array {
  const raw = readNumbers(a);
  const f32 = raw instanceof Float32Array ? raw : Float32Array.from(raw);
  return a.fortran ? fortranToC(f32, a.shape, (n) => new Float32Array(n)) : f32;
}

/** A string array (dtype object of str/bytes, fixed-width 'U' (UTF-32) or 'S' (bytes)) as JS strings, C order. */
export function toStrings(a: NpArray): string[] {
  const n = a.size;
  let out: unknown[];
  if (a.dtype.kind === 'O') {
    if (!Array.isArray(a.data) || a.data.length !== n)
      throw new TypeError(
        `object array of shape (${a.shape.join(', ')}) holds ${Array.isArray(a.data) ? a.data.length : 'no'} items`,
      );
    out = a.data.map(pyString);
  } else if (a.dtype.kind === 'U' || a.dtype.kind === 'S') {
    const bytes = a.data;
    const w = a.dtype.itemsize;
    if (!(bytes instanceof Uint8Array) || bytes.byteLength !== n * w)
      throw new TypeError(`string array data has the wrong size for ${a.dtype.str}`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const little = a.dtype.byteorder !== '>';
    const utf8 = new TextDecoder('utf-8');
    out = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      if (a.dtype.kind === 'U') {
        let s = '';
        for (let c = 0; c < w / 4; c++) {
          const cp = view.getUint32(i * w + c * 4, little);
          if (cp === 0) break;
          s += String.fromCodePoint(cp);
        }
        out[i] = s;
      } else {
        let end = i * w + w;
        while (end > i * w && bytes[end - 1] === 0) end--;
        out[i] = utf8.decode(bytes.subarray(i * w, end));
      }
    }
  } else {
    throw new TypeError(`dtype ${a.dtype.str} is not a string dtype`);
  }
  return (a.fortran ? fortranToC(out, a.shape, (m) => new Array(m)) : out) as string[];
}

function pyString(x: unknown): string {
  if (typeof x === 'string') return x;
  if (x instanceof Uint8Array) return new TextDecoder('utf-8').decode(x);
  if (typeof x === 'number' || typeof x === 'bigint') return String(x);
  throw new TypeError(`expected str, got ${x === null ? 'None' : typeof x}`);
}
