// matmul_naive: the slow, obviously right rung of the matmul ladder. One invocation computes one output element.
//   C[z][m, n] = Σ_{s < S} Σ_k A_g[m, k] · B_g[k, n],   g = z·S + s
// Operands are addressed through element strides, so a transposed operand is just another pair of strides:
//   A_g[m, k] = a[g·batchA + m·sAm + k·sAk]      B_g[k, n] = b[g·batchB + k·sBk + n·sBn]
// batchA or batchB = 0 broadcasts a 2-D operand over the batch. S > 1 sums S consecutive batches into one output
// matrix (the gradient of a broadcast operand); S = 1 is the ordinary batched matmul.
// HAS_BIAS: C[z][m, n] += bias[z·biasZ + n] (biasZ = N: a bias row per output matrix, 0: one shared row).
//
// bindings: 0 uniform Params   1 a: array<f32>   2 b: array<f32>   3 c: array<f32> (Z·M·N)
//           4 bias: array<f32> (N or Z·N; bound to a when HAS_BIAS = 0)
// dispatch: (ceil(N/8), ceil(M/8), Z) workgroups of 8×8.

override HAS_BIAS: bool = false;

struct Params {
  M: u32, N: u32, K: u32, S: u32,
  sAm: u32, sAk: u32, sBk: u32, sBn: u32,
  batchA: u32, batchB: u32, Z: u32, biasZ: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  let m = gid.y;
  let z = gid.z;
  if (m >= p.M || n >= p.N) { return; }
  var acc = 0.0;
  for (var s = 0u; s < p.S; s++) {
    let g = z * p.S + s;
    let a0 = g * p.batchA + m * p.sAm;
    let b0 = g * p.batchB + n * p.sBn;
    for (var k = 0u; k < p.K; k++) {
      acc = fma(a[a0 + k * p.sAk], b[b0 + k * p.sBk], acc);
    }
  }
  if (HAS_BIAS) { acc += bias[z * p.biasZ + n]; }
  c[(z * p.M + m) * p.N + n] = acc;
}
