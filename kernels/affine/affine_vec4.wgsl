// affine_vec4: affine.wgsl's map, y[g, r, j] = x[g, r, j] · weight[g, j] + bias[g, j], four elements per invocation
// when D is a multiple of 4: the four lie in one row (same g, columns j .. j+3), so one index computation serves them
// and x, weight, bias and y are vec4 loads and stores. Same two roundings per element as affine.wgsl: the same numbers.
// Why: affine.wgsl's one element per invocation with a division and a remainder each ran at a third of binary.wgsl's
// speed on SwiftShader (DAR's (6, 2048, 32) maps: 9.1 ms against 3.3 ms for an add of the same size).
//
// bindings: 0 uniform { n4: u32 (= G·R·D / 4), rd4: u32 (= R·D / 4), d4: u32 (= D / 4) }
//           1 x: array<vec4<f32>> (G·R·D)   2 weight: array<vec4<f32>> (G·D)   3 bias: array<vec4<f32>> (G·D)
//           4 y: array<vec4<f32>> (G·R·D)
// dispatch: grid1d(n4, 64) workgroups of 64, one vec4 each.

struct Params { n4: u32, rd4: u32, d4: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> weight: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> y: array<vec4<f32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n4) { return; }
  let gj = (i / p.rd4) * p.d4 + i % p.d4; // (g, j / 4)
  let xw = x[i] * weight[gj];
  y[i] = xw + bias[gj];
}
