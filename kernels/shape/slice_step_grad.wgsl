// slice_step_grad: dx = gy scattered back to positions start + j·step of x's axis, zeros elsewhere (slice_step's
// backward).
//
// Gather form: each invocation owns one element dx[o, k, r] and reads gy[o, j, r] when k = start + j·step for some
// j in [0, ylen), else writes 0; no scatter, no atomics. Shapes as in slice_step.wgsl.
//
// bindings: 0 uniform { n: u32 (= outer·xlen·inner), inner: u32, ylen: u32, xlen: u32, start: i32, step: i32 }
//           1 gy: array<f32> (outer·ylen·inner)   2 dx: array<f32> (n)
// dispatch: grid1d(n, 64) workgroups of 64.

struct Params { n: u32, inner: u32, ylen: u32, xlen: u32, start: i32, step: i32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  let r = i % p.inner;
  let t = i / p.inner;
  let k = t % p.xlen;
  let o = t / p.xlen;
  let d = i32(k) - p.start;
  let j = d / p.step;                                       // truncates; j·step = d only on the sliced positions
  var v = 0.0;
  if (j * p.step == d && j >= 0 && j < i32(p.ylen)) { v = gy[(o * p.ylen + u32(j)) * p.inner + r]; }
  dx[i] = v;
}
