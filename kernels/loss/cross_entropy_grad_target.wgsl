// cross_entropy_grad_target: d loss / d q of crossEntropy with class-probability targets (KIND 1 of
// cross_entropy.wgsl), as PyTorch gives it: −g·(1 − ε)·log p_c, one invocation per row (same layout). g as in
// cross_entropy_grad.wgsl (scale = 1 for 'sum', 1 / rows for 'mean').
//
// bindings: 0 uniform { rows: u32, C: u32, S: u32, eps: f32 }   1 x: array<f32> (N·C·S)
//           2 gy: array<f32> (rows, or 1 with BROADCAST)   3 scale: array<f32> (1)   4 dt: array<f32> (N·C·S)
// constants: BROADCAST = 0 or 1.
// dispatch: grid1d(rows, 64) workgroups of 64.

override BROADCAST: u32 = 0u;

struct Params { rows: u32, C: u32, S: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read> scale: array<f32>;
@group(0) @binding(4) var<storage, read_write> dt: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = gid.x + gid.y * nwg.x * 64u;
  if (r >= p.rows) { return; }
  let base = (r / p.S) * p.C * p.S + r % p.S;
  let g = select(gy[r], gy[0] * scale[0], BROADCAST == 1u);
  var m = x[base];
  for (var c = 1u; c < p.C; c++) { m = max(m, x[base + c * p.S]); }
  var s = 0.0;
  for (var c = 0u; c < p.C; c++) { s += exp(x[base + c * p.S] - m); }
  let ls = log(s);
  for (var c = 0u; c < p.C; c++) {
    let i = base + c * p.S;
    dt[i] = -g * (1.0 - p.eps) * ((x[i] - m) - ls);
  }
}
