// clip_scale: g = g · min(1, maxNorm / (norm + 1e-6)) in place, with the norm read from a GPU buffer
// (torch.nn.utils.clip_grad_norm_), so clipping needs no readback to the CPU.
//
// bindings: 0 uniform { n4: u32, maxNorm: f32 }   1 norm: array<f32> (1)   2 g: array<vec4<f32>> (n4), read and written
// dispatch: grid1d(n4, 64) with n4 = ceil(n / 4) (padding lanes are scaled too; nothing reads them).

struct Params { n4: u32, maxNorm: f32 }
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> norm: array<f32>;
@group(0) @binding(2) var<storage, read_write> g: array<vec4<f32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= u.n4) { return; }
  let coef = min(1.0, u.maxNorm / (norm[0] + 1e-6));
  g[i] = g[i] * coef;
}
