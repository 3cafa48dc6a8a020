// weighted_sum: y = s · (w0·x0 + w1·x1 + … + w(k−1)·x(k−1)) elementwise, added left to right. A loss's terms and
// their weights (DAR's L_total) in one launch instead of a mulScalar per weight and an add per term: the same
// roundings in the same order (a weight of 1 and a scale of 1 are exact), so the same numbers as that chain.
//
// bindings: 0 uniform { n: u32, k: u32 (1..7), s: f32, w0..w6: f32 }
//           1..7 x0..x6: array<f32> (n each; the ones past k are bound to x0 and never read)   8 y: array<f32> (n)
// dispatch: grid1d(n, 64) workgroups of 64, one element each.

struct Params { n: u32, k: u32, s: f32, w0: f32, w1: f32, w2: f32, w3: f32, w4: f32, w5: f32, w6: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x0: array<f32>;
@group(0) @binding(2) var<storage, read> x1: array<f32>;
@group(0) @binding(3) var<storage, read> x2: array<f32>;
@group(0) @binding(4) var<storage, read> x3: array<f32>;
@group(0) @binding(5) var<storage, read> x4: array<f32>;
@group(0) @binding(6) var<storage, read> x5: array<f32>;
@group(0) @binding(7) var<storage, read> x6: array<f32>;
@group(0) @binding(8) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  var acc = p.w0 * x0[i];
  if (p.k > 1u) { acc = acc + p.w1 * x1[i]; }
  if (p.k > 2u) { acc = acc + p.w2 * x2[i]; }
  if (p.k > 3u) { acc = acc + p.w3 * x3[i]; }
  if (p.k > 4u) { acc = acc + p.w4 * x4[i]; }
  if (p.k > 5u) { acc = acc + p.w5 * x5[i]; }
  if (p.k > 6u) { acc = acc + p.w6 * x6[i]; }
  y[i] = acc * p.s;
}
