// pad: y = x placed inside a block of `value` (constant padding), or cropped where an offset is negative.
//
// Element c of y (coordinates in y's shape) reads x at c + add − sub on every axis when that lies inside x, else it
// is `value`. Forward: sub = before (add = −before where a pad is negative, a crop). Backward runs the same kernel the
// other way round with value 0: dx[c] = gy[c + before] (gather form, so no scatter and no atomics).
// The offset is split into two unsigned arrays (add, sub) because uniform arrays here hold u32 only.
//
// bindings: 0 uniform { n: u32 (= y's size), value: f32, yshape[8], xshape[8], add[8], sub[8] (entry k of each at
//           [k / 4][k % 4]) }   1 x: array<f32>   2 y: array<f32> (n)
// constants: RANK = number of axes (1..8), a compile-time loop bound.
// dispatch: grid1d(n, 64) workgroups of 64.

override RANK: u32 = 1u;

struct Params {
  n: u32,
  value: f32,
  yshape: array<vec4<u32>, 2>,
  xshape: array<vec4<u32>, 2>,
  add: array<vec4<u32>, 2>,
  sub: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  var rem = i;
  var src = 0u;
  var xstride = 1u;
  var inside = true;
  for (var k = RANK; k > 0u; k--) {
    let a = k - 1u;
    let d = p.yshape[a / 4u][a % 4u];
    let xd = p.xshape[a / 4u][a % 4u];
    let c = i32(rem % d) + i32(p.add[a / 4u][a % 4u]) - i32(p.sub[a / 4u][a % 4u]);
    rem /= d;
    if (c < 0 || c >= i32(xd)) { inside = false; } else { src += u32(c) * xstride; }
    xstride *= xd;
  }
  var v = p.value;
  if (inside) { v = x[src]; }
  y[i] = v;
}
