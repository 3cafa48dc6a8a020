// binary_grad: the gradient of y = a ⊙ b with respect to one input, at y's shape (before any broadcast axes are
// summed away): g = gy · ∂(a ⊙ b)/∂a (WHICH = 0) or · ∂(a ⊙ b)/∂b (WHICH = 1), fused into one launch.
// Only the ops whose derivative needs both inputs come here; add, sub and mul reuse binary.wgsl on gy.
//
// bindings: 0 uniform Params (as binary.wgsl)   1 gy: array<vec4<f32>> (y's shape, contiguous)
//           2 a: array<vec4<f32>>   3 b: array<vec4<f32>>   4 g: array<vec4<f32>> (y's shape)
// constants: OP       3 div: ∂/∂a = 1/b, ∂/∂b = -a/b²
//                     4 maximum: 1 to the larger input, 0 to the smaller; at a tie each input gets 1/2 (as PyTorch)
//                     6 minimum: the same with the smaller input
//                     7 pow y = a^b: ∂/∂a = b·a^(b-1), 0 where b = 0; ∂/∂b = y·ln a, 0 where a = 0 and b ≥ 0, NaN
//                       where a < 0 (PyTorch's pow_backward_self / pow_backward_exponent)
//            WHICH    0 for a, 1 for b
//            SAME, ALIGNED, RANK, A_ROW, B_ROW: how a and b are read, exactly as in binary.wgsl
// uniforms:  as binary.wgsl: n, then (length, stride in a, stride in b, 0) per collapsed axis, innermost first.
// dispatch:  grid1d(ceil(n / 4), 64), one vec4 of g per invocation.

override OP: u32 = 3u;
override WHICH: u32 = 0u;
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
@group(0) @binding(1) var<storage, read> gy: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> g: array<vec4<f32>>;

// gy times the derivative of a ⊙ b with respect to input WHICH, at (va, vb).
fn grad(dy: vec4<f32>, va: vec4<f32>, vb: vec4<f32>) -> vec4<f32> {
  if (OP == 3u) {
    let q = dy / vb;
    if (WHICH == 0u) { return q; }
    return -q * va / vb;
  }
  if (OP == 7u) {
    if (WHICH == 0u) { return select(dy * vb * powVec(va, vb - 1.0), vec4<f32>(0.0), vb == vec4<f32>(0.0)); }
    let lna = select(log(va), vec4<f32>(bitcast<f32>(NAN_BITS)), va < vec4<f32>(0.0)); // WGSL leaves log(a < 0) open
    return select(dy * powVec(va, vb) * lna, vec4<f32>(0.0), (va == vec4<f32>(0.0)) & (vb >= vec4<f32>(0.0)));
  }
  // maximum (minimum: the same with the comparison turned round)
  let mine = select(va, vb, WHICH == 1u);
  let other = select(vb, va, WHICH == 1u);
  let wins = select(mine > other, mine < other, OP == 6u);
  let share = select(select(vec4<f32>(0.0), vec4<f32>(0.5), mine == other), vec4<f32>(1.0), wins);
  return dy * share;
}

//#include "common/broadcast.wgsl"
//#include "common/pow.wgsl"

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i * 4u >= p.n) { return; }
  if (SAME) {
    g[i] = grad(gy[i], a[i], b[i]);
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
    g[i] = grad(gy[i], va, vb);
    return;
  }
  var va = vec4<f32>(0.0);
  var vb = vec4<f32>(1.0); // lanes past n divide by 1, not 0
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
  g[i] = grad(gy[i], va, vb);
}
