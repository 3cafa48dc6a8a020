// bce_with_logits: binary cross-entropy on logits, elementwise, in PyTorch's stable form
//   loss = (1 − t)·x + w·softplus(−x),   w = 1 + (pos_weight − 1)·t,
// softplus from kernels/common/smooth.wgsl (never overflows; keeps its digits where e^(−|x|) is tiny). pos_weight
// has one value per class of the last axis (K of them), and is read only with HAS_POS 1.
//
// bindings: 0 uniform { n: u32, K: u32 }   1 x: array<f32> (n)   2 tgt: array<f32> (n)   3 pw: array<f32> (K)
//           4 y: array<f32> (n)
// constants: HAS_POS = 0 or 1.
// dispatch: grid1d(n, 64) workgroups of 64.

//#include "common/smooth.wgsl"

override HAS_POS: u32 = 0u;

struct Params { n: u32, K: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> tgt: array<f32>;
@group(0) @binding(3) var<storage, read> pw: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  let t = tgt[i];
  let w = select(1.0, 1.0 + (pw[i % p.K] - 1.0) * t, HAS_POS == 1u);
  y[i] = (1.0 - t) * x[i] + w * softplusUnit(vec4<f32>(-x[i])).x;
}
