// conv1d_gemm_grad_w: dL/dweight of conv1d on the GPU profile, an implicit GEMM on the 64×64 workgroup tile
// (common/gemm64.wgsl), split over its long K = B·Tout. Per group g and K slice (wid.z = slice·groups + g):
//   A[m, r] = gy[b, g·CoutG + m, t]                          m < M = CoutG, r = b·Tout + t < R = B·Tout
//   B[r, n] = x[b, g·CinG + ci, t·stride + kt·dil − padLeft]  n = ci·K + kt < N = CinG·K (zero in the padding)
//   part[slice][g·CoutG + m, n] = Σ_{r in slice} A[m, r]·B[r, n],  slice = [slice·kLen, min(R, (slice + 1)·kLen))
// With one slice, part is dw (Cout, CinG, K) itself; with several, matmul_splitk_sum adds them into dw.
//
// bindings: 0 uniform Params   1 x: array<f32> (B·Cin·T)   2 gy: array<f32> (B·Cout·Tout)
//           3 part: array<f32> (slices·Cout·CinG·K)
// dispatch: (ceil(N/64), ceil(M/64), groups·slices) workgroups of 16×16 invocations.

//#include "common/gemm64.wgsl"

struct Params {
  B: u32, Cin: u32, T: u32, Cout: u32, Tout: u32, CinG: u32, CoutG: u32, K: u32,
  stride: u32, dil: u32, padLeft: u32, groups: u32, M: u32, N: u32, R: u32, kLen: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read_write> part: array<f32>;

var<private> m0: u32;
var<private> n0: u32;
var<private> g: u32;

/** A[m0 + m, r] = gy[b, g·CoutG + m0 + m, t], or 0 past the group's output channels or kEnd. */
fn elemA(m: u32, r: u32, kEnd: u32) -> f32 {
  if (m0 + m >= p.M || r >= kEnd) { return 0.0; }
  return gy[((r / p.Tout) * p.Cout + g * p.CoutG + m0 + m) * p.Tout + r % p.Tout];
}

/** B[r, n0 + n]: the input under tap kt of output (b, t), 0 in the padding, past N or past kEnd. */
fn elemB(r: u32, n: u32, kEnd: u32) -> f32 {
  if (n0 + n >= p.N || r >= kEnd) { return 0.0; }
  let b = r / p.Tout;
  let t = r % p.Tout;
  let ci = (n0 + n) / p.K;
  let pos = i32(t * p.stride + ((n0 + n) % p.K) * p.dil) - i32(p.padLeft);
  if (pos < 0 || pos >= i32(p.T)) { return 0.0; }
  return x[(b * p.Cin + g * p.CinG + ci) * p.T + u32(pos)];
}

fn loadTiles(t: u32, k0: u32, kEnd: u32) {
  // r fastest for both: consecutive r are consecutive steps t of one sequence.
  for (var i = 0u; i < 4u; i++) {
    let e = t + 256u * i;
    putA(e % 16u, e / 16u, elemA(e / 16u, k0 + e % 16u, kEnd));
    putB(e % 16u, e / 16u, elemB(k0 + e % 16u, e / 16u, kEnd));
  }
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  m0 = wid.y * TILE;
  n0 = wid.x * TILE;
  g = wid.z % p.groups;
  let slice = wid.z / p.groups;
  let kBegin = slice * p.kLen;
  let zero = vec4<f32>(0.0);
  let acc = gemmRange(Block(zero, zero, zero, zero), lid, kBegin, min(p.R, kBegin + p.kLen));
  let n = n0 + lid.x * 4u;
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + lid.y * 4u + i;
    if (m >= p.M) { break; }
    let v = blockRow(acc, i);
    let at = (slice * p.Cout + g * p.CoutG + m) * p.N + n;
    for (var j = 0u; j < 4u; j++) { if (n + j < p.N) { part[at + j] = v[j]; } }
  }
}
