// fill: y[i] = value for every i < n, four elements per invocation.
//
// bindings: 0 uniform { n4: u32 (= ceil(n / 4)), value: f32 }   1 y: array<vec4<f32>> (n4)
// dispatch: grid1d(n4, 64) workgroups of 64; the y dimension folds counts above 65535.
// Buffers are rounded up to 16 bytes, so the last vec4 may cover padding past n: writing it is harmless.
// (One element per invocation was 3-4x slower on SwiftShader, where each invocation has a fixed cost.)

struct Params { n4: u32, value: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<vec4<f32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i < p.n4) { y[i] = vec4<f32>(p.value); }
}
