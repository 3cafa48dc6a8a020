// fill: y[i] = value for every i < n.
//
// bindings: 0 uniform { n: u32, value: f32 }   1 y: array<f32> (n)
// dispatch: grid1d(n, 64) workgroups of 64; the y dimension folds counts above 65535.

struct Params { n: u32, value: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i < p.n) { y[i] = p.value; }
}
