// Kernel contracts: a kernel declares its uniforms and storage buffers by name and type, the declaration is checked
// against the WGSL once when the kernel is created, and dispatches pass named values that are packed in the order
// computed then. Without this, a reordered uniform or two swapped buffers of the same type compile and run, and give
// wrong numbers that only a gradient check might notice.

import { KernelError } from './errors';

/** The scalar types a `struct Params` field may have. */
export type ParamType = 'u32' | 'i32' | 'f32';
/** How a kernel uses a storage buffer, as written in `var<storage, …>`. */
export type Access = 'read' | 'read_write';

/** What a kernel declares: its `struct Params` fields and its storage bindings, each in binding order. */
export interface ContractDecl {
  params?: Record<string, ParamType>;
  buffers?: Record<string, Access>;
}

/** A checked declaration, in the form dispatch() needs: names in order, and which params are floats. */
export interface Contract {
  readonly params: readonly string[];
  readonly floats: readonly boolean[];
  readonly buffers: readonly string[];
}

const f32view = new Float32Array(1);
const u32view = new Uint32Array(f32view.buffer);
/** The bit pattern of a float32, for packing floats into u32 uniform words. */
export function f32bits(x: number): number {
  f32view[0] = x;
  return u32view[0];
}

interface WgslBinding {
  binding: number;
  name: string;
  kind: 'uniform' | 'storage';
  access: Access;
}

/** Blanks comments, keeping every newline so that positions stay valid. */
const stripComments = (code: string): string =>
  code.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/\/\/[^\n]*/g, '');

/** The fields of `struct Params` (null when there is none) and the `@group(0)` bindings, by binding number. */
export function parseWgsl(code: string): { params: [string, string][] | null; bindings: WgslBinding[] } {
  const src = stripComments(code);
  const struct = /struct\s+Params\s*\{([^}]*)\}/.exec(src);
  const params = struct
    ? struct[1].split(',').map((f) => f.trim()).filter(Boolean).map((f) => {
      const [name, type] = f.split(':').map((s) => s.trim());
      return [name, type] as [string, string];
    })
    : null;
  const bindings: WgslBinding[] = [];
  const re = /@group\(0\)\s*@binding\((\d+)\)\s*var<\s*(uniform|storage)\s*(?:,\s*(read_write|read))?\s*>\s*(\w+)/g;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    bindings.push({ binding: Number(m[1]), kind: m[2] as 'uniform' | 'storage', access: (m[3] ?? 'read') as Access, name: m[4] });
  }
  bindings.sort((a, b) => a.binding - b.binding);
  return { params, bindings };
}

/** Checks `decl` against the kernel's WGSL, throwing a KernelError naming the kernel and the first field that differs. */
export function checkContract(kernel: string, code: string, decl: ContractDecl): Contract {
  const fail = (msg: string) => new KernelError(kernel, msg);
  const wgsl = parseWgsl(code);
  const declared = Object.entries(decl.params ?? {});
  const uniform = wgsl.bindings.filter((b) => b.kind === 'uniform');
  if (decl.params) {
    if (!wgsl.params) throw fail('declares params but the WGSL has no struct Params');
    if (uniform.length !== 1 || uniform[0].binding !== 0) throw fail('the WGSL must bind its Params as @binding(0) var<uniform>');
    const n = Math.max(declared.length, wgsl.params.length);
    for (let i = 0; i < n; i++) {
      const [dn, dt] = declared[i] ?? [];
      const [wn, wt] = wgsl.params[i] ?? [];
      if (dn === undefined) throw fail(`uniform field '${wn}' of struct Params is not declared`);
      if (wn === undefined) throw fail(`uniform field '${dn}' is declared but struct Params has no field ${i}`);
      if (dn !== wn) throw fail(`uniform field ${i} is '${wn}' in struct Params but declared '${dn}'`);
      if (dt !== wt) throw fail(`uniform field '${dn}' is ${wt} in struct Params but declared ${dt}`);
    }
  } else if (uniform.length > 0) {
    throw fail(`the WGSL binds uniform '${uniform[0].name}' but the declaration has no params`);
  }
  const storage = wgsl.bindings.filter((b) => b.kind === 'storage');
  const buffers = Object.entries(decl.buffers ?? {});
  const first = decl.params ? 1 : 0;
  const n = Math.max(buffers.length, storage.length);
  for (let i = 0; i < n; i++) {
    const [dn, da] = buffers[i] ?? [];
    const w = storage[i];
    if (dn === undefined) throw fail(`storage binding '${w.name}' (@binding(${w.binding})) is not declared`);
    if (w === undefined) throw fail(`buffer '${dn}' is declared but the WGSL has no @binding(${first + i})`);
    if (w.binding !== first + i) throw fail(`buffer '${w.name}' is @binding(${w.binding}); expected @binding(${first + i})`);
    if (dn !== w.name) throw fail(`@binding(${w.binding}) is '${w.name}' in the WGSL but declared '${dn}'`);
    if (da !== w.access) throw fail(`buffer '${dn}' is ${w.access} in the WGSL but declared ${da}`);
  }
  return {
    params: declared.map(([name]) => name),
    floats: declared.map(([, type]) => type === 'f32'),
    buffers: buffers.map(([name]) => name),
  };
}

/** The first key of `given` that `names` lacks (a dispatch's extra name). */
function extraName(given: object, names: readonly string[]): string {
  return Object.keys(given).find((k) => !names.includes(k)) ?? '?';
}

/** Writes `params` into `out` from `at`, in the contract's order (floats as their bits); hot path: no allocation. */
export function packParams(kernel: string, c: Contract, params: Readonly<Record<string, number>>, out: Uint32Array, at: number): void {
  const names = c.params;
  for (let i = 0; i < names.length; i++) {
    const v = params[names[i]];
    if (v === undefined) throw new KernelError(kernel, `dispatch lacks param '${names[i]}'`);
    out[at + i] = c.floats[i] ? f32bits(v) : v;
  }
  let given = 0;
  for (const _ in params) given++;
  if (given !== names.length) throw new KernelError(kernel, `dispatch passes param '${extraName(params, names)}', which the kernel does not declare`);
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
  if (given !== names.length) throw new KernelError(kernel, `dispatch passes buffer '${extraName(buffers, names)}', which the kernel does not declare`);
  return out;
}
