// bce_with_logits_grad: the gradients of bce_with_logits.wgsl, elementwise (same w):
//   WRT 0, d/dx = g·((1 − t) − w·σ(−x))          (pos_weight 1: g·(σ(x) − t))
//   WRT 1, d/dt = g·((pos_weight − 1)·softplus(−x) − x)
// σ(−x) = e^(−softplus(x)), accurate at both ends. g = gy[i]: 'mean' and 'sum' are the reduce family's ops on
// the elementwise loss, so this kernel only ever sees the unreduced gradient.
//
// bindings: 0 uniform { n: u32, K: u32 }   1 x: array<f32> (n)   2 tgt: array<f32> (n)
//           3 pw: array<f32> (K)   4 gy: array<f32> (n)   5 dx: array<f32> (n)
// constants: HAS_POS = 0 or 1;  WRT = 0 (logits) or 1 (target).
// dispatch: grid1d(n, 64) workgroups of 64.

//#include "common/smooth.wgsl"

override HAS_POS: u32 = 0u;
override WRT: u32 = 0u;

struct Params { n: u32, K: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> tgt: array<f32>;
@group(0) @binding(3) var<storage, read> pw: array<f32>;
@group(0) @binding(4) var<storage, read> gy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  let t = tgt[i];
  let g = gy[i];
  let pos = select(1.0, pw[i % p.K], HAS_POS == 1u);
  let xi = x[i];
  if (WRT == 1u) {
    dx[i] = g * ((pos - 1.0) * softplusUnit(vec4<f32>(-xi)).x - xi);
    return;
  }
  let w = 1.0 + (pos - 1.0) * t;
  dx[i] = g * ((1.0 - t) - w * exp(-softplusUnit(vec4<f32>(xi)).x));
}
