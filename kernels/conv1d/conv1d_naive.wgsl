// conv1d_naive: the slow, obviously right forward pass. One invocation computes one output element:
//   y[b, co, to] = bias[co] + Σ_{ci < CinG} Σ_{k < K} w[co, ci, k] · x[b, g·CinG + ci, to·stride + k·dil − padLeft]
// with g = co / CoutG, and x reading zero outside [0, T) (the padding).
//
// bindings: 0 uniform Params   1 x: array<f32> (B·Cin·T)   2 w: array<f32> (Cout·CinG·K)
//           3 bias: array<f32> (Cout; any buffer when hasBias = 0)   4 y: array<f32> (B·Cout·Tout)
// dispatch: grid1d(B·Cout·Tout, 64) workgroups of 64.

struct Params {
  total: u32, T: u32, Tout: u32, Cin: u32, Cout: u32, CinG: u32, CoutG: u32, K: u32,
  stride: u32, dil: u32, padLeft: u32, hasBias: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.total) { return; }
  let to = i % p.Tout;
  let co = (i / p.Tout) % p.Cout;
  let b = i / (p.Tout * p.Cout);
  let g = co / p.CoutG;
  var acc = select(0.0, bias[co], p.hasBias != 0u);
  for (var ci = 0u; ci < p.CinG; ci++) {
    for (var k = 0u; k < p.K; k++) {
      let pos = i32(to * p.stride + k * p.dil) - i32(p.padLeft);
      if (pos >= 0 && pos < i32(p.T)) {
        acc += w[(co * p.CinG + ci) * p.K + k] * x[(b * p.Cin + g * p.CinG + ci) * p.T + u32(pos)];
      }
    }
  }
  y[i] = acc;
}
