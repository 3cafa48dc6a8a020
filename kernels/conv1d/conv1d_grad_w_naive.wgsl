// conv1d_grad_w_naive: the slow, obviously right dL/dweight, in gather form. One invocation computes one weight's
// gradient with a serial loop over every output that used it:
//   dw[co, ci, k] = Σ_b Σ_to gy[b, co, to] · x[b, g·CinG + ci, to·stride + k·dil − padLeft]   (zero in the padding)
//
// bindings: 0 uniform Params   1 x: array<f32> (B·Cin·T)   2 gy: array<f32> (B·Cout·Tout)
//           3 dw: array<f32> (Cout·CinG·K)
// dispatch: grid1d(Cout·CinG·K, 64) workgroups of 64.

struct Params {
  total: u32, B: u32, T: u32, Tout: u32, Cin: u32, Cout: u32, CinG: u32, CoutG: u32, K: u32,
  stride: u32, dil: u32, padLeft: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.total) { return; }
  let k = i % p.K;
  let ci = (i / p.K) % p.CinG;
  let co = i / (p.K * p.CinG);
  let g = co / p.CoutG;
  var acc = 0.0;
  for (var b = 0u; b < p.B; b++) {
    for (var to = 0u; to < p.Tout; to++) {
      let pos = i32(to * p.stride + k * p.dil) - i32(p.padLeft);
      if (pos >= 0 && pos < i32(p.T)) {
        acc += gy[(b * p.Cout + co) * p.Tout + to] * x[(b * p.Cin + g * p.CinG + ci) * p.T + u32(pos)];
      }
    }
  }
  dw[i] = acc;
}
