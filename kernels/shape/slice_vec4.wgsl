// slice_vec4: slice.wgsl with vec4 elements, used when yb, xb and off are all multiples of 4 (the host passes them
// divided by 4). A vec4 never straddles the window's edge, so it is either copied whole or zeroed whole.
//
// bindings: 0 uniform { n: u32 (= outer·yb), yb: u32, xb: u32, off: i32 }   (all in vec4s)
//           1 x: array<vec4<f32>> (outer·xb)   2 y: array<vec4<f32>> (n)
// dispatch: grid1d(n, 64) workgroups of 64.

// ACCUMULATE = true adds instead of storing, y[i] += …: a concat's backward adding its window of gy into a gradient
// that input already has (autograd's `into`), one launch instead of a copy plus an accumulate.
override ACCUMULATE: bool = false;

struct Params { n: u32, yb: u32, xb: u32, off: i32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4<f32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  let o = i / p.yb;
  let r = i32(i - o * p.yb) + p.off;
  var v = vec4<f32>(0.0);
  if (r >= 0 && r < i32(p.xb)) { v = x[o * p.xb + u32(r)]; }
  if (ACCUMULATE) { v = y[i] + v; }
  y[i] = v;
}
