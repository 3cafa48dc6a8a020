// weighted_sum_grad: the backward of weighted_sum.wgsl, every input's gradient in one launch:
//   dx_j = (gy · s) · w_j
// which is what the chain it replaces gives (the scale's mulScalar first, then each term's weight; a weight of 1 is
// exact), so the same numbers.
//
// bindings: 0 uniform { n: u32, k: u32 (1..7), s: f32, w0..w6: f32 }   1 gy: array<f32> (n)
//           2..8 d0..d6: array<f32> (n each; the ones past k are bound to one-float spares and never written)
// dispatch: grid1d(n, 64) workgroups of 64, one element each.

struct Params { n: u32, k: u32, s: f32, w0: f32, w1: f32, w2: f32, w3: f32, w4: f32, w5: f32, w6: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gy: array<f32>;
@group(0) @binding(2) var<storage, read_write> d0: array<f32>;
@group(0) @binding(3) var<storage, read_write> d1: array<f32>;
@group(0) @binding(4) var<storage, read_write> d2: array<f32>;
@group(0) @binding(5) var<storage, read_write> d3: array<f32>;
@group(0) @binding(6) var<storage, read_write> d4: array<f32>;
@group(0) @binding(7) var<storage, read_write> d5: array<f32>;
@group(0) @binding(8) var<storage, read_write> d6: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  let g = gy[i] * p.s;
  d0[i] = g * p.w0;
  if (p.k > 1u) { d1[i] = g * p.w1; }
  if (p.k > 2u) { d2[i] = g * p.w2; }
  if (p.k > 3u) { d3[i] = g * p.w3; }
  if (p.k > 4u) { d4[i] = g * p.w4; }
  if (p.k > 5u) { d5[i] = g * p.w5; }
  if (p.k > 6u) { d6[i] = g * p.w6; }
}
