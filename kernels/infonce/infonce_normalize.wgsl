// infonce_normalize: the row normalisation of the cosine-similarity InfoNCE loss, for every input row at once.
// The rows of anchors a (N, D), positives p (N, D) and extra negatives neg (M, D) are stacked as X = [a; p; neg]
// (2N + M rows) and each is written out as x̂ = x / max(‖x‖, eps) into xhat, a row stride of `ds` floats (D rounded up
// to a multiple of 16, the tail zero-filled) so the later kernels read whole vec4 chunks without a remainder loop.
// ‖x‖ itself is saved for the backward (infonce_renorm.wgsl).
//
// bindings: 0 uniform { n, m, d, ds: u32, eps: f32 }   1 a (N·D)   2 p (N·D)   3 neg (M·D; any buffer when M = 0,
//           it is then never read)   4 xhat: array<f32> ((2N + M)·ds)   5 norm: array<f32> (2N + M)
// dispatch: (ceil((2N + M) / 16), 1, P) workgroups of 16, one invocation per row (small groups: DAR has only 256
//           rows). P independent problems (gid.z) read a (P·N·D), p, neg (P·M·D) and write block gid.z of xhat, norm.
// A problem's row r of the stack is row pb·(2N + M) + r of xhat and norm.

struct Params { n: u32, m: u32, d: u32, ds: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> pos: array<f32>;
@group(0) @binding(3) var<storage, read> neg: array<f32>;
@group(0) @binding(4) var<storage, read_write> xhat: array<f32>;
@group(0) @binding(5) var<storage, read_write> norm: array<f32>;

/** Element k of problem pb's stacked row r. */
fn src(pb: u32, r: u32, k: u32) -> f32 {
  if (r < p.n) { return a[(pb * p.n + r) * p.d + k]; }
  if (r < 2u * p.n) { return pos[(pb * p.n + r - p.n) * p.d + k]; }
  return neg[(pb * p.m + r - 2u * p.n) * p.d + k];
}

@compute @workgroup_size(16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  let pb = gid.z;
  if (r >= 2u * p.n + p.m) { return; }
  // Four independent partial sums: SwiftShader runs an invocation's loop serially, so one chain would be latency bound.
  let d4 = p.d & ~3u;
  var s4 = vec4<f32>(0.0);
  for (var k = 0u; k < d4; k += 4u) {
    let v = vec4<f32>(src(pb, r, k), src(pb, r, k + 1u), src(pb, r, k + 2u), src(pb, r, k + 3u));
    s4 += v * v;
  }
  var ss = (s4.x + s4.y) + (s4.z + s4.w);
  for (var k = d4; k < p.d; k++) { let v = src(pb, r, k); ss += v * v; }
  let nrm = sqrt(ss);
  let inv = 1.0 / max(nrm, p.eps);
  let row = pb * (2u * p.n + p.m) + r;
  let base = row * p.ds;
  for (var k = 0u; k < p.d; k++) { xhat[base + k] = src(pb, r, k) * inv; }
  for (var k = p.d; k < p.ds; k++) { xhat[base + k] = 0.0; }
  norm[row] = nrm;
}
