// matmul_splitk_sum: the second pass of a split-K product: out[i] = Σ_{s < slices} part[s·n + i] (+ bias).
//   part: slices partial results of n = Z·M·N elements each (matmul_shared with kLen < K, or conv1d_gemm_grad_w);
//   HAS_BIAS: out[i] += bias[z·biasZ + i % N], z = i / MN (matmul's fused bias, added once, after the sum).
//
// bindings: 0 uniform Params   1 part: array<f32> (slices·n)   2 bias: array<f32> (bound to part when HAS_BIAS = 0)
//           3 out: array<f32> (n)
// dispatch: grid1d(n, 64) workgroups of 64 invocations, one element each.

override HAS_BIAS: bool = false;

struct Params { n: u32, slices: u32, N: u32, MN: u32, biasZ: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  var s = 0.0;
  for (var j = 0u; j < p.slices; j++) { s += part[j * p.n + i]; }
  if (HAS_BIAS) { s += bias[(i / p.MN) * p.biasZ + i % p.N]; }
  out[i] = s;
}
