// slice_step: y = x[..., start::step, ...] along one axis, for a step other than 1 (negative steps walk backwards).
//
// x is viewed as (outer, xlen, inner) and y as (outer, ylen, inner); y[o, j, r] = x[o, start + j·step, r]. The host
// has checked that every start + j·step lies in [0, xlen). Backward is slice_step_grad.wgsl.
//
// bindings: 0 uniform { n: u32 (= outer·ylen·inner), inner: u32, ylen: u32, xlen: u32, start: i32, step: i32 }
//           1 x: array<f32>   2 y: array<f32> (n)
// dispatch: grid1d(n, 64) workgroups of 64.

struct Params { n: u32, inner: u32, ylen: u32, xlen: u32, start: i32, step: i32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  let r = i % p.inner;
  let t = i / p.inner;
  let j = t % p.ylen;
  let o = t / p.ylen;
  let k = u32(p.start + i32(j) * p.step);
  y[i] = x[(o * p.xlen + k) * p.inner + r];
}
