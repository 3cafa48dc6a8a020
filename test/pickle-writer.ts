// A minimal pickle writer (protocol 3 opcodes) for crafting MMSA-shaped files that numpy would never write: negative
// or fractional ndarray dims, BUILD states carrying '__proto__'. Only what those tests need.

export type Py =
  | number // int if integral (BININT), else float
  | string
  | boolean
  | null
  | Uint8Array
  | Py[] // list
  | { tuple: Py[] }
  | Map<string, Py> // dict
  | { call: [string, string]; args: Py[]; state?: Py }; // GLOBAL module.name, REDUCE args, then BUILD state if given

class Out {
  bytes: number[] = [];
  op(...b: number[]) {
    this.bytes.push(...b);
  }
  u32(n: number) {
    this.op(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }
  ascii(s: string) {
    for (const c of s) this.op(c.charCodeAt(0));
  }
}

function write(o: Out, x: Py): void {
  if (x === null) return o.op(0x4e); // NONE
  if (x === true) return o.op(0x88); // NEWTRUE
  if (x === false) return o.op(0x89); // NEWFALSE
  if (typeof x === 'number') {
    if (Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 31) return (o.op(0x4a), o.u32(x >>> 0)); // BININT
    const dv = new DataView(new ArrayBuffer(8));
    dv.setFloat64(0, x); // BINFLOAT is big-endian
    return o.op(0x47, ...new Uint8Array(dv.buffer));
  }
  if (typeof x === 'string') {
    const b = new TextEncoder().encode(x);
    return (o.op(0x58), o.u32(b.length), o.op(...b)); // BINUNICODE
  }
  if (x instanceof Uint8Array) return (o.op(0x42), o.u32(x.length), o.op(...x)); // BINBYTES
  if (Array.isArray(x)) {
    o.op(0x5d, 0x28); // EMPTY_LIST, MARK
    for (const v of x) write(o, v);
    return o.op(0x65); // APPENDS
  }
  if (x instanceof Map) {
    o.op(0x7d, 0x28); // EMPTY_DICT, MARK
    for (const [k, v] of x) {
      write(o, k);
      write(o, v);
    }
    return o.op(0x75); // SETITEMS
  }
  if ('tuple' in x) {
    o.op(0x28); // MARK
    for (const v of x.tuple) write(o, v);
    return o.op(0x74); // TUPLE
  }
  o.op(0x63); // GLOBAL "module\nname\n"
  o.ascii(`${x.call[0]}\n${x.call[1]}\n`);
  write(o, { tuple: x.args });
  o.op(0x52); // REDUCE
  if (x.state !== undefined) {
    write(o, x.state);
    o.op(0x62); // BUILD
  }
}

/** The pickle bytes of `x`. */
export function pickle(x: Py): Uint8Array {
  const o = new Out();
  o.op(0x80, 3); // PROTO 3
  write(o, x);
  o.op(0x2e); // STOP
  return Uint8Array.from(o.bytes);
}

/** An ndarray (float32 unless `dtypeSpec` says otherwise) as numpy ≤ 1.x pickles it; `shape` is written as given, even if nonsense. */
export function ndarray(shape: number[], values: number, dtypeSpec = 'f4'): Py {
  const dtype: Py = {
    call: ['numpy', 'dtype'],
    args: [dtypeSpec, false, true],
    state: { tuple: [3, '<', null, null, null, -1, -1, 0] },
  };
  return {
    call: ['numpy.core.multiarray', '_reconstruct'],
    args: [{ call: ['numpy', 'ndarray'], args: [] }, { tuple: [0] }, new Uint8Array([0x62])],
    state: { tuple: [1, { tuple: shape }, dtype, false, new Uint8Array(4 * values)] },
  };
}

/** An MMSA-layout dict (train/valid/test) of all-zero features; `override(split)` may replace any value. */
export function mmsaDict(
  n: number,
  override: (split: string) => Record<string, Py | undefined> = () => ({}),
): Map<string, Py> {
  const dims = { text: [3, 4], audio: [5, 2], vision: [4, 2] } as const;
  const top = new Map<string, Py>();
  for (const split of ['train', 'valid', 'test']) {
    const d = new Map<string, Py>([
      ['text', ndarray([n, ...dims.text], n * 12)],
      ['text_bert', ndarray([n, 3, dims.text[0]], n * 9)],
      ['audio', ndarray([n, ...dims.audio], n * 10)],
      ['vision', ndarray([n, ...dims.vision], n * 8)],
      ['regression_labels', ndarray([n], n)],
      ['audio_lengths', ndarray([n], n)],
      ['vision_lengths', ndarray([n], n)],
      ['id', Array.from({ length: n }, (_, i) => `${split}$_$${i}`)],
    ]);
    for (const [k, v] of Object.entries(override(split))) if (v !== undefined) d.set(k, v);
    top.set(split, d);
  }
  return top;
}
