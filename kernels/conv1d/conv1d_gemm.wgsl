// conv1d_gemm: the GPU profile's forward pass, an implicit GEMM on the 64×64 workgroup tile (common/gemm64.wgsl).
// Per group g (wid.z), C = A·B with
//   A[m, r] = w[g·CoutG + m, ci, kt]                         m < M = CoutG, r = ci·K + kt < R = CinG·K
//   B[r, n] = x[b, g·CinG + ci, t·stride + kt·dil − padLeft]  n = b·Tout + t < N = B·Tout (zero in the padding)
//   y[b, g·CoutG + m, t] = C[m, n] (+ bias[g·CoutG + m])
// B is im2col(x), never stored: the tile loader computes (ci, kt) from r and (b, t) from n.
// VEC_A: R % 4 = 0, so the weight's rows load as vec4 (they are contiguous in r).
//
// bindings: 0 uniform Params   1 x: array<f32> (B·Cin·T)   2 w: array<vec4<f32>> (Cout·CinG·K, read by element
//           or vec4)   3 bias: array<f32> (Cout; bound to x when HAS_BIAS = 0)   4 y: array<f32> (B·Cout·Tout)
// dispatch: (ceil(N/64), ceil(M/64), groups) workgroups of 16×16 invocations.

//#include "common/gemm64.wgsl"

override HAS_BIAS: bool = false;
override VEC_A: bool = false;

struct Params {
  B: u32, Cin: u32, T: u32, Cout: u32, Tout: u32, CinG: u32, CoutG: u32, K: u32,
  stride: u32, dil: u32, padLeft: u32, groups: u32, M: u32, N: u32, R: u32, kLen: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

var<private> m0: u32;
var<private> n0: u32;
var<private> g: u32;

/** A[m0 + m, r]: a weight, or 0 past the group's channels or kEnd. */
fn elemA(m: u32, r: u32, kEnd: u32) -> f32 {
  if (m0 + m >= p.M || r >= kEnd) { return 0.0; }
  let i = (g * p.CoutG + m0 + m) * p.R + r;
  return w[i / 4u][i % 4u];
}

/** B[r, n0 + n]: the input under tap kt of output (b, t), 0 in the padding, past N or past kEnd. */
fn elemB(r: u32, n: u32, kEnd: u32) -> f32 {
  if (n0 + n >= p.N || r >= kEnd) { return 0.0; }
  let b = (n0 + n) / p.Tout;
  let t = (n0 + n) % p.Tout;
  let pos = i32(t * p.stride + (r % p.K) * p.dil) - i32(p.padLeft);
  if (pos < 0 || pos >= i32(p.T)) { return 0.0; }
  return x[(b * p.Cin + g * p.CinG + r / p.K) * p.T + u32(pos)];
}

fn loadTiles(t: u32, k0: u32, kEnd: u32) {
  if (VEC_A) {
    // Row t/4, r = k0 + 4(t%4) .. +3: R % 4 = 0, so a vec4 is all in or all out.
    let m = t / 4u;
    let kq = (t % 4u) * 4u;
    var v = vec4<f32>(0.0);
    if (m0 + m < p.M && k0 + kq < kEnd) { v = w[((g * p.CoutG + m0 + m) * p.R + k0 + kq) / 4u]; }
    putA(kq, m, v.x);
    putA(kq + 1u, m, v.y);
    putA(kq + 2u, m, v.z);
    putA(kq + 3u, m, v.w);
  } else {
    for (var i = 0u; i < 4u; i++) {
      let e = t + 256u * i; // r fastest: a weight row is contiguous in r
      putA(e % 16u, e / 16u, elemA(e / 16u, k0 + e % 16u, kEnd));
    }
  }
  for (var i = 0u; i < 4u; i++) {
    let e = t + 256u * i; // n fastest: consecutive outputs read nearby inputs
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
    let b = n / p.Tout;
    let t = n % p.Tout;
    for (var i = 0u; i < 4u; i++) {
      let m = m0 + lid.y * 4u + i;
      if (m >= p.M) { break; }
      let co = g * p.CoutG + m;
      var v = blockRow(acc, i)[j];
      if (HAS_BIAS) { v += bias[co]; }
      y[(b * p.Cout + co) * p.Tout + t] = v;
    }
  }
}
