// conv1d_grad_x_naive: the slow, obviously right dL/dx, in gather form. One invocation computes one element of dx by
// visiting every tap that read it: x[b, ci, t] was read by output step to through tap k of output channel co when
// to·stride + k·dil − padLeft = t.
//   dx[b, ci, t] = Σ_{co in ci's group} Σ_{k < K, such to exists} w[co, ci % CinG, k] · gy[b, co, to]
//
// bindings: 0 uniform Params   1 gy: array<f32> (B·Cout·Tout)   2 w: array<f32> (Cout·CinG·K)
//           3 dx: array<f32> (B·Cin·T)
// dispatch: grid1d(B·Cin·T, 64) workgroups of 64.

struct Params {
  total: u32, T: u32, Tout: u32, Cin: u32, Cout: u32, CinG: u32, CoutG: u32, K: u32,
  stride: u32, dil: u32, padLeft: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gy: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.total) { return; }
  let t = i % p.T;
  let ci = (i / p.T) % p.Cin;
  let b = i / (p.T * p.Cin);
  let g = ci / p.CinG;
  let cl = ci % p.CinG;
  var acc = 0.0;
  for (var col = 0u; col < p.CoutG; col++) {
    let co = g * p.CoutG + col;
    for (var k = 0u; k < p.K; k++) {
      let num = i32(t + p.padLeft) - i32(k * p.dil); // = to·stride
      if (num >= 0 && num % i32(p.stride) == 0) {
        let to = u32(num) / p.stride;
        if (to < p.Tout) {
          acc += w[(co * p.CinG + cl) * p.K + k] * gy[(b * p.Cout + co) * p.Tout + to];
        }
      }
    }
  }
  dx[i] = acc;
}
