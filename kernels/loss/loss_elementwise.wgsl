// loss_elementwise: the unreduced loss ('none'), y[i] = f(pred[i] − tgt[i]) with f(d) = d² (KIND 0, mse) or
// |d| (KIND 1, l1).
//
// bindings: 0 uniform { n: u32 }   1 pred: array<f32> (n)   2 tgt: array<f32> (n)   3 y: array<f32> (n)
// constants: KIND = 0 mse, 1 l1.
// dispatch: grid1d(n, 64) workgroups of 64.

override KIND: u32 = 0u;

struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> pred: array<f32>;
@group(0) @binding(2) var<storage, read> tgt: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  let d = pred[i] - tgt[i];
  y[i] = select(d * d, abs(d), KIND == 1u);
}
