// loss_grad: dx[i] = scale · g_i · f'(pred[i] − tgt[i]), with f'(d) = 2d (KIND 0, mse) or sign(d) (KIND 1,
// l1; 0 at d = 0). g_i = gy[i] for 'none', or the single gy[0] for 'mean' and 'sum' (BROADCAST 1). The host passes
// scale = ±1/n ('mean') or ±1: + for d/dpred, − for d/dtarget.
//
// bindings: 0 uniform { n: u32, scale: f32 }   1 pred: array<f32> (n)   2 tgt: array<f32> (n)
//           3 gy: array<f32> (n, or 1 with BROADCAST)   4 dx: array<f32> (n)
// constants: KIND = 0 mse, 1 l1;  BROADCAST = 0 or 1.
// dispatch: grid1d(n, 64) workgroups of 64.

override KIND: u32 = 0u;
override BROADCAST: u32 = 0u;

struct Params { n: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> pred: array<f32>;
@group(0) @binding(2) var<storage, read> tgt: array<f32>;
@group(0) @binding(3) var<storage, read> gy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  let d = pred[i] - tgt[i];
  let g = gy[select(i, 0u, BROADCAST == 1u)];
  dx[i] = p.scale * g * select(2.0 * d, sign(d), KIND == 1u);
}
