// Kernel contracts: a kernel declares its uniforms and storage buffers by name and type, the declaration is checked
// against the WGSL once when the kernel is created, and dispatches pass named values that are packed in the order
// computed then. Without this, a reordered uniform or two swapped buffers of the same type compile and run, and give
// wrong numbers that only a gradient check might notice.

import { KernelError } from './errors';

/** The types a `struct Params` field may have: scalars, or an array of vec4<u32> (passed as its words). */
export type ParamType = 'u32' | 'i32' | 'f32' | `array<vec4<u32>, ${number}>`;
/** How a kernel uses a storage buffer, as written in `var<storage, …>`. */
export type Access = 'read' | 'read_write';

/** What a kernel declares: its `struct Params` fields and its storage bindings, each in binding order. */
export interface ContractDecl {
  params?: Record<string, ParamType>;
  buffers?: Record<string, Access>;
}

/** How a param is packed: an integer word, a float's bits, or an array's words. */
const enum Pack {
  Int,
  Float,
  Words,
}

/**
 * A checked declaration, in the form dispatch() needs: param names with their word offsets and packing, and buffer
 * names in binding order. Fields named `_…` are padding: not declared, not passed, written as 0.
 */
export interface Contract {
  readonly params: readonly string[];
  readonly offsets: readonly number[];
  readonly packs: readonly Pack[];
  /** Words of each array param. */
  readonly sizes: readonly number[];
  readonly pads: readonly number[];
  readonly buffers: readonly string[];
}

const f32view = new Float32Array(1);
const u32view = new Uint32Array(f32view.buffer);
/** The bit pattern of a float32, for packing floats into u32 uniform words. */
export function f32bits(x: number): number {
  f32view[0] = x;
  return u32view[0];
}

/** A param's value: a number (i32 as itself, e.g. −1), or an array param's u32 words. */
export type ParamValue = number | ArrayLike<number>;

/** Words in a dispatch's 256-byte uniform slot. */
const MAX_PARAM_WORDS = 64;

interface WgslBinding {
  binding: number;
  name: string;
  kind: 'uniform' | 'storage';
  access: Access;
}

/** Blanks comments, keeping every newline so that positions stay valid. */
const stripComments = (code: string): string =>
  code.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/\/\/[^\n]*/g, '');

/** A struct body's fields, split at the commas outside `<…>`. */
function splitFields(body: string): string[] {
  const fields: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= body.length; i++) {
    const ch = body[i];
    if (ch === '<') depth++;
    else if (ch === '>') depth--;
    else if ((ch === ',' && depth === 0) || i === body.length) {
      if (body.slice(start, i).trim()) fields.push(body.slice(start, i).trim());
      start = i + 1;
    }
  }
  return fields;
}

/** The fields of `struct Params` (null when there is none) and the `@group(0)` bindings, by binding number. */
export function parseWgsl(code: string): { params: [string, string][] | null; bindings: WgslBinding[] } {
  const src = stripComments(code);
  const struct = /struct\s+Params\s*\{([^}]*)\}/.exec(src);
  const params = struct
    ? splitFields(struct[1]).map((f) => {
        const colon = f.indexOf(':');
        return [f.slice(0, colon).trim(), f.slice(colon + 1).replace(/\s+/g, '')] as [string, string];
      })
    : null;
  const bindings: WgslBinding[] = [];
  const re = /@group\(0\)\s*@binding\((\d+)\)\s*var<\s*(uniform|storage)\s*(?:,\s*(read_write|read))?\s*>\s*(\w+)/g;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    bindings.push({
      binding: Number(m[1]),
      kind: m[2] as 'uniform' | 'storage',
      access: (m[3] ?? 'read') as Access,
      name: m[4],
    });
  }
  bindings.sort((a, b) => a.binding - b.binding);
  return { params, bindings };
}

/** Checks `decl` against the kernel's WGSL, throwing a KernelError naming the kernel and the first field that differs. */
export function checkContract(kernel: string, code: string, decl: ContractDecl): Contract {
  const fail = (msg: string) => new KernelError(kernel, msg);
  const wgsl = parseWgsl(code);
  const uniform = wgsl.bindings.filter((b) => b.kind === 'uniform');
  let layout = {
    params: [] as string[],
    offsets: [] as number[],
    packs: [] as Pack[],
    sizes: [] as number[],
    pads: [] as number[],
  };
  if (decl.params) {
    if (!wgsl.params) throw fail('declares params but the WGSL has no struct Params');
    if (uniform.length !== 1 || uniform[0].binding !== 0)
      throw fail('the WGSL must bind its Params as @binding(0) var<uniform>');
    layout = checkParams(fail, Object.entries(decl.params), wgsl.params);
  } else if (uniform.length > 0) {
    throw fail(`the WGSL binds uniform '${uniform[0].name}' but the declaration has no params`);
  }
  const storage = wgsl.bindings.filter((b) => b.kind === 'storage');
  return { ...layout, buffers: checkBuffers(fail, Object.entries(decl.buffers ?? {}), storage, decl.params ? 1 : 0) };
}

type Fail = (msg: string) => KernelError;

/** Matches declared params to struct Params field by field, and lays them out in 32-bit words (vec4 arrays 16-byte aligned). */
function checkParams(fail: Fail, declared: [string, ParamType][], fields: [string, string][]) {
  const out = {
    params: [] as string[],
    offsets: [] as number[],
    packs: [] as Pack[],
    sizes: [] as number[],
    pads: [] as number[],
  };
  let word = 0;
  let d = 0;
  for (const [wn, wt] of fields) {
    const array = /^array<vec4<u32>,(\d+)>$/.exec(wt);
    if (array) word = Math.ceil(word / 4) * 4;
    const size = array ? 4 * Number(array[1]) : 1;
    if (wn.startsWith('_')) {
      for (let i = 0; i < size; i++) out.pads.push(word + i);
    } else {
      const [dn, dt] = declared[d++] ?? [];
      if (dn === undefined) throw fail(`uniform field '${wn}' of struct Params is not declared`);
      if (dn !== wn) throw fail(`uniform field ${d - 1} is '${wn}' in struct Params but declared '${dn}'`);
      if (dt.replace(/\s+/g, '') !== wt)
        throw fail(`uniform field '${dn}' is ${wt} in struct Params but declared ${dt}`);
      if (!array && !['u32', 'i32', 'f32'].includes(wt))
        throw fail(`uniform field '${wn}' has type ${wt}, which contracts do not pack`);
      out.params.push(dn);
      out.offsets.push(word);
      out.packs.push(array ? Pack.Words : wt === 'f32' ? Pack.Float : Pack.Int);
      out.sizes.push(size);
    }
    word += size;
  }
  if (d < declared.length) throw fail(`uniform field '${declared[d][0]}' is declared but struct Params lacks it`);
  if (word > MAX_PARAM_WORDS)
    throw fail(`struct Params takes ${word} words; a dispatch's uniform slot holds ${MAX_PARAM_WORDS}`);
  return out;
}

/** Matches declared buffers to the storage bindings, which must follow the uniform without gaps. */
function checkBuffers(fail: Fail, declared: [string, Access][], storage: WgslBinding[], first: number): string[] {
  const n = Math.max(declared.length, storage.length);
  for (let i = 0; i < n; i++) {
    const [dn, da] = declared[i] ?? [];
    const w = storage[i];
    if (dn === undefined) throw fail(`storage binding '${w.name}' (@binding(${w.binding})) is not declared`);
    if (w === undefined) throw fail(`buffer '${dn}' is declared but the WGSL has no @binding(${first + i})`);
    if (w.binding !== first + i)
      throw fail(`buffer '${w.name}' is @binding(${w.binding}); expected @binding(${first + i})`);
    if (dn !== w.name) throw fail(`@binding(${w.binding}) is '${w.name}' in the WGSL but declared '${dn}'`);
    if (da !== w.access) throw fail(`buffer '${dn}' is ${w.access} in the WGSL but declared ${da}`);
  }
  return declared.map(([name]) => name);
}

/** The first key of `given` that `names` lacks (a dispatch's extra name). */
function extraName(given: object, names: readonly string[]): string {
  return Object.keys(given).find((k) => !names.includes(k)) ?? '?';
}

/** Writes `params` into `out` from `at`, at the contract's offsets; hot path: no allocation. */
export function packParams(
  kernel: string,
  c: Contract,
  params: Readonly<Record<string, ParamValue>>,
  out: Uint32Array,
  at: number,
): void {
  const names = c.params;
  for (let i = 0; i < names.length; i++) {
    const v = params[names[i]];
    if (v === undefined) throw new KernelError(kernel, `dispatch lacks param '${names[i]}'`);
    const pack = c.packs[i];
    if (pack === Pack.Words) {
      const words = v as ArrayLike<number>;
      if (words.length > c.sizes[i])
        throw new KernelError(kernel, `param '${names[i]}' takes at most ${c.sizes[i]} words, got ${words.length}`);
      out.set(words, at + c.offsets[i]);
    } else {
      out[at + c.offsets[i]] = pack === Pack.Float ? f32bits(v as number) : (v as number);
    }
  }
  for (const w of c.pads) out[at + w] = 0;
  let given = 0;
  for (const _ in params) given++;
  if (given !== names.length)
    throw new KernelError(
      kernel,
      `dispatch passes param '${extraName(params, names)}', which the kernel does not declare`,
    );
}

/** The named buffers of a dispatch in binding order. */
export function orderBuffers<B>(kernel: string, c: Contract, buffers: Readonly<Record<string, B>>): B[] {
  const names = c.buffers;
  const out = new Array<B>(names.length);
  for (let i = 0; i < names.length; i++) {
    const b = buffers[names[i]];
    if (b === undefined) throw new KernelError(kernel, `dispatch lacks buffer '${names[i]}'`);
    out[i] = b;
  }
  let given = 0;
  for (const _ in buffers) given++;
  if (given !== names.length)
    throw new KernelError(
      kernel,
      `dispatch passes buffer '${extraName(buffers, names)}', which the kernel does not declare`,
    );
  return out;
}
