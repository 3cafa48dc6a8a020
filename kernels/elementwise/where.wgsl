// where: y = cond ? a : b elementwise, a and b with NumPy broadcasting (read as in binary.wgsl), cond already laid out
// in y's shape (the op expands it first: it takes no gradient, and one read per element keeps this kernel binary's).
//
// bindings: 0 uniform Params (as binary.wgsl)   1 c: array<vec4<f32>> (y's shape; nonzero = true)
//           2 a: array<vec4<f32>>   3 b: array<vec4<f32>>   4 y: array<vec4<f32>> (n elements)
// constants: SAME, ALIGNED, RANK, A_ROW, B_ROW: how a and b are read, exactly as in binary.wgsl
// uniforms:  as binary.wgsl: n, then (length, stride in a, stride in b, 0) per collapsed axis, innermost first.
// dispatch:  grid1d(ceil(n / 4), 64), one vec4 of y per invocation. The backward runs this kernel again on the
//            gradient: ga = where(c, gy, 0), gb = where(c, 0, gy).

override SAME: bool = false;
override ALIGNED: bool = false;
override RANK: u32 = 1u;
override A_ROW: bool = true;
override B_ROW: bool = true;

struct Params {
  n: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
  axes: array<vec4<u32>, 8>,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> c: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> y: array<vec4<f32>>;

//#include "common/broadcast.wgsl"

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i * 4u >= p.n) { return; }
  let keep = c[i] != vec4<f32>(0.0);
  if (SAME) {
    y[i] = select(b[i], a[i], keep);
    return;
  }
  if (ALIGNED) {
    // As in binary.wgsl: the 4 elements share one row; a row input is one vec4 load, a broadcast one a splat.
    let o = locate(i * 4u);
    var va: vec4<f32>;
    var vb: vec4<f32>;
    if (A_ROW) { va = a[o.x >> 2u]; } else { va = vec4<f32>(loadA(o.x)); }
    if (B_ROW) { vb = b[o.y >> 2u]; } else { vb = vec4<f32>(loadB(o.y)); }
    y[i] = select(vb, va, keep);
    return;
  }
  var va = vec4<f32>(0.0);
  var vb = vec4<f32>(0.0);
  var o = locate(i * 4u);
  for (var j = 0u; j < 4u; j++) {
    let e = i * 4u + j;
    if (e >= p.n) { break; }
    if (j > 0u) {
      o += vec3<u32>(p.axes[0].y, p.axes[0].z, 1u);
      if (o.z == p.axes[0].x) { o = locate(e); }
    }
    va[j] = loadA(o.x);
    vb[j] = loadB(o.y);
  }
  y[i] = select(vb, va, keep);
}
