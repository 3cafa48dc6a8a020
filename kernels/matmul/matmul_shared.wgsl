// matmul_shared: the GPU profile's rung of the matmul ladder, tiled through workgroup memory. Same contract as
// matmul_tiled (C = Σ_s op(A_g)·op(B_g), strides, batches, fused bias), plus split-K:
//   C[slice][z][m, n] = Σ_{s < S} Σ_{k in slice} A_g[m, k] · B_g[k, n],   g = z·S + s,
//   slice = [slice·kLen, min(K, (slice + 1)·kLen)),  kLen a multiple of 16.
// With one slice (kLen ≥ K) c is C itself and HAS_BIAS adds bias[z·biasZ + n]; with several, c is a scratch of
// slices·Z·M·N partial sums and matmul_splitk_sum adds them (and the bias).
// A 64×64 tile of C per workgroup, 4×4 per invocation, through tile-K 16 tiles in workgroup memory
// (common/gemm64.wgsl). Loads are vec4 along an operand's contiguous axis when its length is divisible by 4
// (VEC_A/VEC_B; then every offset we read at is too), scalar otherwise. Why: docs/decisions/matmul.md.
//
// bindings: 0 uniform Params   1 a: array<vec4<f32>> (read by element through aAt, or by vec4)   2 b: likewise
//           3 c: array<f32> (slices·Z·M·N)   4 bias: array<f32> (N or Z·N; bound to a when HAS_BIAS = 0)
// dispatch: (ceil(N/64), ceil(M/64), Z·slices) workgroups of 16×16 invocations.

//#include "common/gemm64.wgsl"

override HAS_BIAS: bool = false;
/** How A's tile is loaded: 0 by element, 1 vec4 along k (sAk = 1, K % 4 = 0), 2 vec4 along m (sAm = 1, M % 4 = 0). */
override VEC_A: u32 = 0u;
/** How B's tile is loaded: 0 by element, 1 vec4 along n (sBn = 1, N % 4 = 0), 2 vec4 along k (sBk = 1, K % 4 = 0). */
override VEC_B: u32 = 0u;

struct Params {
  M: u32, N: u32, K: u32, S: u32,
  sAm: u32, sAk: u32, sBk: u32, sBn: u32,
  batchA: u32, batchB: u32, Z: u32, biasZ: u32,
  kLen: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

// The workgroup's tile origin and the current batch's offsets, set by main before each gemmRange.
var<private> m0: u32;
var<private> n0: u32;
var<private> baseA: u32;
var<private> baseB: u32;

fn aAt(i: u32) -> f32 {
  return a[i / 4u][i % 4u];
}

fn bAt(i: u32) -> f32 {
  return b[i / 4u][i % 4u];
}

/** A_g[m0 + m, k], or 0 outside the matrix or past kEnd. */
fn elemA(m: u32, k: u32, kEnd: u32) -> f32 {
  if (m0 + m >= p.M || k >= kEnd) { return 0.0; }
  return aAt(baseA + (m0 + m) * p.sAm + k * p.sAk);
}

/** B_g[k, n0 + n], or 0 outside the matrix or past kEnd. */
fn elemB(k: u32, n: u32, kEnd: u32) -> f32 {
  if (n0 + n >= p.N || k >= kEnd) { return 0.0; }
  return bAt(baseB + k * p.sBk + (n0 + n) * p.sBn);
}

/** Invocation t's share of the A and B tiles at k0: four elements of each, or one vec4 of each. */
fn loadTiles(t: u32, k0: u32, kEnd: u32) {
  if (VEC_A == 1u) {
    // Row t/4, k0 + 4(t%4) .. +3: kEnd is K or a multiple of 16, so a vec4 is all in or all out.
    let m = t / 4u;
    let kq = (t % 4u) * 4u;
    var v = vec4<f32>(0.0);
    if (m0 + m < p.M && k0 + kq < kEnd) { v = a[(baseA + (m0 + m) * p.sAm + k0 + kq) / 4u]; }
    putA(kq, m, v.x);
    putA(kq + 1u, m, v.y);
    putA(kq + 2u, m, v.z);
    putA(kq + 3u, m, v.w);
  } else if (VEC_A == 2u) {
    // Column k0 + t/16, rows 4(t%16) .. +3: M % 4 = 0, so a vec4 is all in or all out.
    let k = t / 16u;
    let mq = (t % 16u) * 4u;
    var v = vec4<f32>(0.0);
    if (m0 + mq < p.M && k0 + k < kEnd) { v = a[(baseA + (k0 + k) * p.sAk + m0 + mq) / 4u]; }
    tileA[k * 16u + mq / 4u] = v;
  } else {
    // Element e = t + 256i: consecutive invocations take consecutive addresses along A's contiguous axis.
    for (var i = 0u; i < 4u; i++) {
      let e = t + 256u * i;
      var m = e % 64u;
      var k = e / 64u;
      if (p.sAk == 1u) { m = e / 16u; k = e % 16u; }
      putA(k, m, elemA(m, k0 + k, kEnd));
    }
  }
  if (VEC_B == 1u) {
    let k = t / 16u;
    let nq = (t % 16u) * 4u;
    var v = vec4<f32>(0.0);
    if (n0 + nq < p.N && k0 + k < kEnd) { v = b[(baseB + (k0 + k) * p.sBk + n0 + nq) / 4u]; }
    tileB[k * 16u + nq / 4u] = v;
  } else if (VEC_B == 2u) {
    let n = t / 4u;
    let kq = (t % 4u) * 4u;
    var v = vec4<f32>(0.0);
    if (n0 + n < p.N && k0 + kq < kEnd) { v = b[(baseB + (n0 + n) * p.sBn + k0 + kq) / 4u]; }
    putB(kq, n, v.x);
    putB(kq + 1u, n, v.y);
    putB(kq + 2u, n, v.z);
    putB(kq + 3u, n, v.w);
  } else {
    for (var i = 0u; i < 4u; i++) {
      let e = t + 256u * i;
      var n = e % 64u;
      var k = e / 64u;
      if (p.sBk == 1u) { n = e / 16u; k = e % 16u; }
      putB(k, n, elemB(k0 + k, n, kEnd));
    }
  }
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  m0 = wid.y * TILE;
  n0 = wid.x * TILE;
  let z = wid.z % p.Z;
  let slice = wid.z / p.Z;
  let kBegin = slice * p.kLen;
  let kEnd = min(p.K, kBegin + p.kLen);
  let zero = vec4<f32>(0.0);
  var acc = Block(zero, zero, zero, zero);
  for (var s = 0u; s < p.S; s++) {
    let g = z * p.S + s;
    baseA = g * p.batchA;
    baseB = g * p.batchB;
    acc = gemmRange(acc, lid, kBegin, kEnd);
  }
  let n = n0 + lid.x * 4u;
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + lid.y * 4u + i;
    if (m >= p.M) { break; }
    var v = blockRow(acc, i);
    if (HAS_BIAS) {
      let bb = z * p.biasZ;
      for (var j = 0u; j < 4u; j++) { if (n + j < p.N) { v[j] += bias[bb + n + j]; } }
    }
    let at = ((slice * p.Z + z) * p.M + m) * p.N + n;
    for (var j = 0u; j < 4u; j++) { if (n + j < p.N) { c[at + j] = v[j]; } }
  }
}
