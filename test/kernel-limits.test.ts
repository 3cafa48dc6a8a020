// Every kernel within WebGPU's DEFAULT limits (issue 14): ≤ 8 storage buffers per stage, ≤ 16 KiB of workgroup
// memory, ≤ 256 invocations per workgroup (and ≤ 256 × 256 × 64 per dimension). init() asks the adapter for its
// maxima, so a kernel past a default works here and fails on a device the user made, in compatibility mode, or on an
// adapter that grants only the defaults. Pure TypeScript: reads each kernels/<family>/*.wgsl (the files the engine's
// kernel() contracts are checked against, includes expanded) and evaluates its sizes in Node.
//
// Sizes may use `const` and `override` names. An override's value comes from the host at dispatch, so a size that
// depends on one needs the largest value the host passes, listed in HOST_MAX below beside where the host sets it;
// an override missing from that list fails the test, naming it.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseWgsl } from '../src/engine/contract';
import { assemble } from '../src/engine/include';

const LIMITS = { storageBuffers: 8, workgroupBytes: 16384, invocations: 256, sizeX: 256, sizeY: 256, sizeZ: 64 };

/** The largest value the host gives each override that a kernel's workgroup size or memory depends on. */
const HOST_MAX: Record<string, Record<string, number>> = {
  matmul_tiled: { WG: 16 }, // src/engine/ops/matmul.ts flatWg: 4 or 16
  lstm_tiled: { WG: 64 }, // src/engine/ops/lstm.ts wgFor: min(64, ⌈H / 4⌉)
  lstm_grad_tiled: { WG: 64 }, // wgBackFor: min(64, ⌈H / 16⌉), or 4
  attention_flash: { ROWS: 64 }, // src/engine/ops/attention.ts flashRows: 8 to 64
  attention_grad_q_flash: { ROWS: 64 },
  attention_grad_kv_flash: { ROWS: 64 },
};

const root = fileURLToPath(new URL('../kernels/', import.meta.url));
const read = (rel: string) => fs.readFileSync(path.join(root, rel), 'utf8');
/** Every kernel: kernels/<family>/*.wgsl (and any .wgsl at the top, as the coverage check counts them). */
const kernelFiles = fs
  .readdirSync(root, { withFileTypes: true })
  .flatMap((e) =>
    e.isDirectory()
      ? e.name === 'common'
        ? []
        : fs.readdirSync(path.join(root, e.name)).map((f) => `${e.name}/${f}`)
      : [e.name],
  )
  .filter((f) => f.endsWith('.wgsl'));
/**
 * What a kernel may include: kernels/common/*, and (as a family's subgroup rung includes its workgroup rung, through
 * src/engine/ops/rows.ts subgroupLibrary) any kernel file by its path under kernels/.
 */
const library = Object.fromEntries(
  [...fs.readdirSync(path.join(root, 'common')).map((f) => `common/${f}`), ...kernelFiles].map(
    (f) => [f, read(f)] as const,
  ),
);

const stripComments = (code: string) => code.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, '');

/**
 * An integer expression of WGSL (literals with u/i suffixes, names, + − * / % and parentheses, min, max) with u32
 * division; `names` gives each name's value, and a name it lacks throws, naming it.
 */
function evaluate(expr: string, names: (name: string) => number): number {
  const tokens = expr.match(/\d+[ui]?|[A-Za-z_]\w*|[-+*/%(),]/g) ?? [];
  let at = 0;
  const peek = () => tokens[at];
  const take = (t?: string) => {
    if (t !== undefined && tokens[at] !== t) throw new Error(`expected ${t} in '${expr}'`);
    return tokens[at++];
  };
  const atom = (): number => {
    const t = take();
    if (t === '(') {
      const v = sum();
      take(')');
      return v;
    }
    if (/^\d/.test(t)) return parseInt(t, 10);
    if (t === 'min' || t === 'max') {
      take('(');
      const a = sum();
      take(',');
      const b = sum();
      take(')');
      return t === 'min' ? Math.min(a, b) : Math.max(a, b);
    }
    return names(t);
  };
  const product = (): number => {
    let v = atom();
    while (['*', '/', '%'].includes(peek())) {
      const op = take();
      const r = atom();
      v = op === '*' ? v * r : op === '/' ? Math.floor(v / r) : v % r;
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (['+', '-'].includes(peek())) v = take() === '+' ? v + product() : v - product();
    return v;
  };
  const v = sum();
  if (at !== tokens.length) throw new Error(`cannot read '${expr}'`);
  return v;
}

/** Bytes of a WGSL type in workgroup memory (sizes and strides of the WGSL spec's memory layout). */
function typeBytes(type: string, value: (expr: string) => number): { size: number; align: number } {
  const t = type.replace(/\s+/g, '');
  if (/^(atomic<)?(f32|u32|i32)>?$/.test(t)) return { size: 4, align: 4 };
  if (t === 'f16') return { size: 2, align: 2 };
  const vec = /^vec([234])<(f32|u32|i32|f16)>$/.exec(t) ?? /^vec([234])([fiuh])$/.exec(t);
  if (vec) {
    const n = Number(vec[1]);
    const e = vec[2] === 'f16' || vec[2] === 'h' ? 2 : 4;
    return { size: n * e, align: (n === 2 ? 2 : 4) * e };
  }
  const arr = /^array<(.+),([^,<>]+)>$/.exec(t);
  if (arr) {
    const el = typeBytes(arr[1], value);
    const stride = Math.ceil(el.size / el.align) * el.align;
    return { size: stride * value(arr[2]), align: el.align };
  }
  throw new Error(`workgroup variable of a type this test cannot size: ${type} (teach typeBytes)`);
}

/** A kernel's storage buffers, workgroup bytes and workgroup size (x, y, z), overrides at their host maxima. */
function kernelLimits(name: string, code: string, hostMax: Record<string, number> = {}) {
  const src = stripComments(code);
  const defs = new Map<string, string>();
  for (const m of src.matchAll(/\bconst\s+(\w+)\s*(?::\s*\w+)?\s*=\s*([^;]+);/g)) defs.set(m[1], m[2]);
  const overrides = new Set([...src.matchAll(/\boverride\s+(\w+)/g)].map((m) => m[1]));
  const names = (n: string): number => {
    if (overrides.has(n)) {
      if (!(n in hostMax))
        throw new Error(`${name}: a size depends on override ${n}: list its host maximum in HOST_MAX`);
      return hostMax[n];
    }
    const d = defs.get(n);
    if (d === undefined) throw new Error(`${name}: unknown name ${n} in a size`);
    return evaluate(d, names);
  };
  const value = (expr: string) => evaluate(expr, names);
  const storageBuffers = parseWgsl(code).bindings.filter((b) => b.kind === 'storage').length;
  let workgroupBytes = 0;
  for (const m of src.matchAll(/var<\s*workgroup\s*>\s*\w+\s*:\s*([^;]+);/g)) {
    workgroupBytes += typeBytes(m[1], value).size;
  }
  const ws = /@workgroup_size\(([^)]*)\)/.exec(src);
  if (!ws) throw new Error(`${name}: no @workgroup_size`);
  const dims = ws[1]
    .split(',')
    .filter((x) => x.trim())
    .map(value);
  const [x, y = 1, z = 1] = dims;
  return { storageBuffers, workgroupBytes, size: [x, y, z] as const };
}

/** The default limits this kernel exceeds, in words (empty when within them). */
function overLimits(name: string, code: string, hostMax?: Record<string, number>): string[] {
  const k = kernelLimits(name, code, hostMax);
  const [x, y, z] = k.size;
  const over: string[] = [];
  if (k.storageBuffers > LIMITS.storageBuffers) over.push(`${k.storageBuffers} storage buffers`);
  if (k.workgroupBytes > LIMITS.workgroupBytes) over.push(`${k.workgroupBytes} bytes of workgroup memory`);
  if (x * y * z > LIMITS.invocations) over.push(`${x * y * z} invocations per workgroup`);
  if (x > LIMITS.sizeX || y > LIMITS.sizeY || z > LIMITS.sizeZ) over.push(`workgroup size ${x}×${y}×${z}`);
  return over;
}

describe("every kernel within WebGPU's default limits", () => {
  it('has at most 8 storage buffers, 16 KiB of workgroup memory and 256 invocations per workgroup', () => {
    expect(kernelFiles.length).toBeGreaterThan(80);
    const failures: string[] = [];
    for (const f of kernelFiles) {
      const name = path.basename(f, '.wgsl');
      const code = assemble(f, read(f), library).code;
      const over = overLimits(name, code, HOST_MAX[name]);
      if (over.length) failures.push(`${name}: ${over.join(', ')}`);
    }
    expect(failures).toEqual([]);
  });

  it('sizes workgroup memory and workgroup sizes from consts and overrides, and sees a kernel past each limit', () => {
    const head = (n: number) =>
      Array.from({ length: n }, (_, i) => `@group(0) @binding(${i}) var<storage, read_write> b${i}: array<f32>;`);
    const k = (bindings: number, decls: string, size: string) =>
      [...head(bindings), decls, `@compute @workgroup_size(${size}) fn main() {}`].join('\n');
    const tiles =
      'const T = 16u;\noverride D: u32 = 4u;\nvar<workgroup> a: array<vec4<f32>, T * D>;\nvar<workgroup> s: array<f32, T>;';
    expect(kernelLimits('k', k(8, tiles, 'T, 4'), { D: 16 })).toEqual({
      storageBuffers: 8,
      workgroupBytes: 16 * 16 * 16 + 16 * 4,
      size: [16, 4, 1],
    });
    expect(kernelLimits('k', k(1, 'var<workgroup> v: array<vec3<f32>, 10>;', '64'), {}).workgroupBytes).toBe(160);
    expect(overLimits('k', k(9, '', '64'))).toEqual(['9 storage buffers']);
    expect(overLimits('k', k(1, tiles, 'T, 4'), { D: 64 })).toEqual(['16448 bytes of workgroup memory']);
    expect(overLimits('k', k(1, '', '16, 32'))).toEqual(['512 invocations per workgroup']);
    expect(overLimits('k', k(1, '', '1, 1, 128'))).toEqual(['workgroup size 1×1×128']);
    expect(() => kernelLimits('k', k(1, tiles, 'T'))).toThrow(/override D: list its host maximum/);
    expect(evaluate('(7u + 4u - 1u) / 4u * max(2, min(3, 9))', () => 0)).toBe(6);
  });
});
