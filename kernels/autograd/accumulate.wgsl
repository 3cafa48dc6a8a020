// accumulate: y[i] += alpha * x[i] in place, four elements per invocation. Sums gradients arriving at a tensor from
// several consumers.
//
// bindings: 0 uniform { n4: u32 (= ceil(n / 4)), alpha: f32 }   1 x: array<vec4<f32>> (n4)   2 y: array<vec4<f32>> (n4)
// dispatch: grid1d(n4, 64) workgroups of 64.
// The last vec4 may cover buffer padding past n (buffers are rounded up to 16 bytes); it is never read as data.

struct Params { n4: u32, alpha: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4<f32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i < p.n4) { y[i] = fma(vec4<f32>(p.alpha), x[i], y[i]); }
}
