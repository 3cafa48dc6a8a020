// binary: y = a ⊙ b elementwise with NumPy broadcasting, ⊙ chosen by OP.
//
// bindings: 0 uniform Params   1 a: array<vec4<f32>>   2 b: array<vec4<f32>>   3 y: array<vec4<f32>> (n elements)
// constants: OP       0 add, 1 sub, 2 mul, 3 div, 4 maximum, 5 copy a (expand; bind the input as both a and b),
//                     6 minimum, 7 pow (a^b, common/pow.wgsl powVec)
//            SAME     a, b and y all have y's elements in the same order: whole vec4s, no index math at all
//            ALIGNED  the innermost (collapsed) axis has a length divisible by 4, so the 4 elements of an invocation
//                     share one row: one index computation, then each input is a vec4 load (A_ROW / B_ROW: stride
//                     1 along the row) or a splat of one element (stride 0: broadcast along the row)
//            neither  the general path: the multi-index of each of the 4 elements, with a cheap step between them
//            RANK     number of collapsed axes, 1 … 8 (a pipeline constant, so the index math is straight-line code)
// uniforms:  n = elements of y, then per collapsed axis (src/engine/broadcast.ts collapseAxes), innermost first: y's length
//            on it and the element strides of a and b (0 where that input is broadcast).
// why vec4:  about 3× faster than one element per invocation at 1M elements (docs/decisions/swiftshader.md).
// dispatch:  grid1d(ceil(n / 4), 64): each invocation writes one vec4 of y (elements 4i … 4i+3). Buffers are
//            padded to 16 bytes, so the last vec4 may run past n into padding, which is never read back.

override OP: u32 = 0u;
override SAME: bool = false;
override ALIGNED: bool = false;
override RANK: u32 = 1u;
override A_ROW: bool = true;
override B_ROW: bool = true;

// axes[k] = (length, stride in a, stride in b, unused) of axis k counted from the innermost (k = 0).
struct Params {
  n: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
  axes: array<vec4<u32>, 8>,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<vec4<f32>>;

fn apply(x: vec4<f32>, z: vec4<f32>) -> vec4<f32> {
  switch OP {
    case 0u: { return x + z; }
    case 1u: { return x - z; }
    case 2u: { return x * z; }
    case 3u: { return x / z; }
    case 4u: { return max(x, z); }
    case 6u: { return min(x, z); }
    case 7u: { return powVec(x, z); }
    default: { return x; }
  }
}

//#include "common/broadcast.wgsl"
//#include "common/pow.wgsl"

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i * 4u >= p.n) { return; }
  if (SAME) {
    y[i] = apply(a[i], b[i]);
    return;
  }
  if (ALIGNED) {
    // Elements 4i … 4i+3 sit in one row of the innermost axis; an input with stride 1 there has a 4-aligned offset
    // (its other strides are multiples of the row length), one with stride 0 repeats one element.
    let o = locate(i * 4u);
    var va: vec4<f32>;
    var vb: vec4<f32>;
    if (A_ROW) { va = a[o.x >> 2u]; } else { va = vec4<f32>(loadA(o.x)); }
    if (B_ROW) { vb = b[o.y >> 2u]; } else { vb = vec4<f32>(loadB(o.y)); }
    y[i] = apply(va, vb);
    return;
  }
  var va = vec4<f32>(0.0);
  var vb = vec4<f32>(0.0);
  var o = locate(i * 4u);
  for (var j = 0u; j < 4u; j++) {
    let e = i * 4u + j;
    if (e >= p.n) { break; }
    if (j > 0u) {
      // Step along the innermost axis; recompute from scratch only when a row ends.
      o += vec3<u32>(p.axes[0].y, p.axes[0].z, 1u);
      if (o.z == p.axes[0].x) { o = locate(e); }
    }
    va[j] = loadA(o.x);
    vb[j] = loadB(o.y);
  }
  y[i] = apply(va, vb);
}
