// Kernel contracts (src/engine/contract.ts): a declaration that disagrees with the WGSL, and a dispatch that passes a wrong
// name, are KernelErrors naming the kernel and the field. Pure TypeScript: runs in Node.

import { describe, expect, it } from 'vitest';
import { checkContract, f32bits, orderBuffers, packParams, type ContractDecl } from '../src/engine/contract';

const SRC = `
struct Params { rows: u32, c: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;   // input
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
`;
const DECL: ContractDecl = { params: { rows: 'u32', c: 'u32', eps: 'f32' }, buffers: { x: 'read', y: 'read_write' } };

const checkError = (decl: ContractDecl, src = SRC): string => {
  try {
    checkContract('softmax', src, decl);
  } catch (e) {
    expect((e as Error).name).toBe('KernelError');
    return (e as Error).message;
  }
  throw new Error('no error');
};

describe('kernel contracts', () => {
  it('accepts a declaration that matches the WGSL and orders names as bound', () => {
    const c = checkContract('softmax', SRC, DECL);
    expect(c.params).toEqual(['rows', 'c', 'eps']);
    expect(c.offsets).toEqual([0, 1, 2]);
    expect(c.buffers).toEqual(['x', 'y']);
  });

  it('refuses a reordered uniform, naming the kernel and the field', () => {
    expect(checkError({ ...DECL, params: { c: 'u32', rows: 'u32', eps: 'f32' } })).toMatch(
      /^kernel softmax: .*'rows'.*'c'/,
    );
  });

  it('refuses a uniform of the wrong type', () => {
    expect(checkError({ ...DECL, params: { rows: 'u32', c: 'u32', eps: 'u32' } })).toMatch(
      /^kernel softmax: uniform field 'eps' is f32 .* declared u32/,
    );
  });

  it('refuses a missing or an extra uniform', () => {
    expect(checkError({ ...DECL, params: { rows: 'u32', c: 'u32' } })).toMatch(
      /softmax: uniform field 'eps'.*not declared/,
    );
    expect(checkError({ ...DECL, params: { rows: 'u32', c: 'u32', eps: 'f32', n: 'u32' } })).toMatch(
      /softmax: uniform field 'n'/,
    );
    expect(checkError({ buffers: DECL.buffers })).toMatch(/softmax: .*uniform 'p'/);
  });

  it('refuses swapped bindings and a wrong access mode', () => {
    expect(checkError({ ...DECL, buffers: { y: 'read_write', x: 'read' } })).toMatch(
      /^kernel softmax: @binding\(1\) is 'x' .* declared 'y'/,
    );
    expect(checkError({ ...DECL, buffers: { x: 'read_write', y: 'read_write' } })).toMatch(
      /softmax: buffer 'x' is read .* declared read_write/,
    );
    expect(checkError({ ...DECL, buffers: { x: 'read' } })).toMatch(/softmax: storage binding 'y'/);
  });

  it('refuses bindings that skip a number, and a kernel without uniforms declares none', () => {
    const gap = SRC.replace('@binding(2)', '@binding(3)');
    expect(checkError(DECL, gap)).toMatch(/softmax: buffer 'y' is @binding\(3\); expected @binding\(2\)/);
    const noUniform = '@group(0) @binding(0) var<storage, read_write> x: array<f32>;';
    expect(checkContract('fill', noUniform, { buffers: { x: 'read_write' } }).buffers).toEqual(['x']);
  });

  it('packs named params in declared order, floats as their bits', () => {
    const c = checkContract('softmax', SRC, DECL);
    const out = new Uint32Array(8);
    packParams('softmax', c, { eps: 1e-5, c: 7, rows: 3 }, out, 2);
    expect([...out.slice(2, 5)]).toEqual([3, 7, f32bits(1e-5)]);
    expect(orderBuffers('softmax', c, { y: 'Y', x: 'X' })).toEqual(['X', 'Y']);
  });

  it("lays out padding and vec4 arrays, packing i32 as two's complement", () => {
    const src = `struct Params {
      n: u32, _pad0: u32, off: i32,
      axes: array<vec4<u32>, 2>,
    }
    @group(0) @binding(0) var<uniform> p: Params;`;
    const c = checkContract('binary', src, { params: { n: 'u32', off: 'i32', axes: 'array<vec4<u32>, 2>' } });
    expect(c.offsets).toEqual([0, 2, 4]);
    const out = new Uint32Array(12).fill(9);
    packParams('binary', c, { n: 5, off: -1, axes: [1, 2, 3, 4, 5] }, out, 0);
    expect([...out.slice(0, 10)]).toEqual([5, 0, 0xffffffff, 9, 1, 2, 3, 4, 5, 9]);
    expect(() => packParams('binary', c, { n: 5, off: 0, axes: new Array(9).fill(0) }, out, 0)).toThrow(
      /binary: param 'axes' takes at most 8/,
    );
    expect(() =>
      checkContract('binary', src, { params: { n: 'u32', off: 'u32', axes: 'array<vec4<u32>, 2>' } }),
    ).toThrow(/kernel binary: uniform field 'off' is i32/);
  });

  it('refuses a dispatch with a missing or an extra name, naming it', () => {
    const c = checkContract('softmax', SRC, DECL);
    const out = new Uint32Array(8);
    expect(() => packParams('softmax', c, { rows: 3, c: 7 }, out, 0)).toThrow(
      /kernel softmax: dispatch lacks param 'eps'/,
    );
    expect(() => packParams('softmax', c, { rows: 3, c: 7, eps: 1, n: 2 }, out, 0)).toThrow(
      /kernel softmax: .*param 'n'/,
    );
    expect(() => orderBuffers('softmax', c, { x: 1 })).toThrow(/kernel softmax: dispatch lacks buffer 'y'/);
    expect(() => orderBuffers('softmax', c, { x: 1, y: 2, z: 3 })).toThrow(/kernel softmax: .*buffer 'z'/);
  });
});
