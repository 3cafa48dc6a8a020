// affine: G per-group affine maps side by side over the last axis, y[g, r, j] = x[g, r, j] · weight[g, j] + bias[g, j].
// GroupedLayerNorm's affine after one shared normalisation: one launch instead of a broadcast mul and a broadcast add
// (the same two roundings, so the same numbers).
//
// bindings: 0 uniform { n: u32 (= G·R·D), rd: u32 (= R·D), d: u32 }   1 x: array<f32> (G·R·D)
//           2 weight: array<f32> (G·D)   3 bias: array<f32> (G·D)   4 y: array<f32> (G·R·D)
// dispatch: grid1d(n, 64) workgroups of 64, one element each.

struct Params { n: u32, rd: u32, d: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  let gj = (i / p.rd) * p.d + i % p.d; // (g, j)
  let xw = x[i] * weight[gj];
  y[i] = xw + bias[gj];
}
