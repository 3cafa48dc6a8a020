// accumulate: y[i] += alpha * x[i] in place. Used to sum gradients arriving at a tensor from several consumers.
//
// bindings: 0 uniform { n: u32, alpha: f32 }   1 x: array<f32> (n)   2 y: array<f32> (n), read and written
// dispatch: grid1d(n, 64) workgroups of 64.

struct Params { n: u32, alpha: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i < p.n) { y[i] = y[i] + p.alpha * x[i]; }
}
