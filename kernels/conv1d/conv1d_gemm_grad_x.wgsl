// conv1d_gemm_grad_x: dL/dx of conv1d on the GPU profile, an implicit GEMM on the 64×64 workgroup tile
// (common/gemm64.wgsl). Per group g (wid.z), C = A·B with
//   A[m, r] = w[g·CoutG + co, m, kt]              m = ci < M = CinG, r = co·K + kt < R = CoutG·K
//   B[r, n] = gy[b, g·CoutG + co, (s + padLeft − kt·dil) / stride]   n = b·T + s < N = B·T
//             (zero where the division is not exact or lands outside [0, Tout): no output read x[s] with tap kt)
//   dx[b, g·CinG + m, s] = C[m, n]
// The transposed convolution's im2col is never stored either: the loader computes (co, kt) and (b, s).
//
// bindings: 0 uniform Params   1 gy: array<f32> (B·Cout·Tout)   2 w: array<f32> (Cout·CinG·K)
//           3 dx: array<f32> (B·Cin·T)
// dispatch: (ceil(N/64), ceil(M/64), groups) workgroups of 16×16 invocations.

//#include "common/gemm64.wgsl"

struct Params {
  B: u32, Cin: u32, T: u32, Cout: u32, Tout: u32, CinG: u32, CoutG: u32, K: u32,
  stride: u32, dil: u32, padLeft: u32, groups: u32, M: u32, N: u32, R: u32, kLen: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gy: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

var<private> m0: u32;
var<private> n0: u32;
var<private> g: u32;

/** A[m0 + m, r] = w[g·CoutG + co, m0 + m, kt], or 0 past the group's input channels or kEnd. */
fn elemA(m: u32, r: u32, kEnd: u32) -> f32 {
  if (m0 + m >= p.M || r >= kEnd) { return 0.0; }
  let co = g * p.CoutG + r / p.K;
  return w[(co * p.CinG + m0 + m) * p.K + r % p.K];
}

/** B[r, n0 + n]: the output gradient that tap kt of output channel co took from input step s, or 0. */
fn elemB(r: u32, n: u32, kEnd: u32) -> f32 {
  if (n0 + n >= p.N || r >= kEnd) { return 0.0; }
  let b = (n0 + n) / p.T;
  let s = (n0 + n) % p.T;
  let num = i32(s + p.padLeft) - i32((r % p.K) * p.dil); // = t·stride for the output t that read x[s]
  if (num < 0 || u32(num) % p.stride != 0u) { return 0.0; }
  let t = u32(num) / p.stride;
  if (t >= p.Tout) { return 0.0; }
  return gy[(b * p.Cout + g * p.CoutG + r / p.K) * p.Tout + t];
}

fn loadTiles(t: u32, k0: u32, kEnd: u32) {
  for (var i = 0u; i < 4u; i++) {
    let e = t + 256u * i; // r fastest: a weight's taps are contiguous
    putA(e % 16u, e / 16u, elemA(e / 16u, k0 + e % 16u, kEnd));
  }
  for (var i = 0u; i < 4u; i++) {
    let e = t + 256u * i; // n fastest: consecutive steps read nearby output gradients
    putB(e / 64u, e % 64u, elemB(k0 + e / 64u, e % 64u, kEnd));
  }
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  m0 = wid.y * TILE;
  n0 = wid.x * TILE;
  g = wid.z;
  let zero = vec4<f32>(0.0);
  let acc = gemmRange(Block(zero, zero, zero, zero), lid, 0u, p.R);
  for (var j = 0u; j < 4u; j++) {
    let n = n0 + lid.x * 4u + j;
    if (n >= p.N) { break; }
    let b = n / p.T;
    let s = n % p.T;
    for (var i = 0u; i < 4u; i++) {
      let m = m0 + lid.y * 4u + i;
      if (m >= p.M) { break; }
      dx[(b * p.Cin + g * p.CinG + m) * p.T + s] = blockRow(acc, i)[j];
    }
  }
}
