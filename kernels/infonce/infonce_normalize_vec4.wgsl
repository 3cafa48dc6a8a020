// infonce_normalize_vec4: infonce_normalize.wgsl for D divisible by 4 (DAR's 128), reading the rows as vec4s from
// array<vec4<f32>> bindings (on SwiftShader a vec4 load costs about what one scalar load does). Same outputs: x̂ in
// the padded layout (row stride ds4 vec4s, the tail zero-filled) and ‖x‖.
//
// bindings: 0 uniform { n, m, d4, ds4: u32, eps: f32 }   1 a (N·d4)   2 p (N·d4)   3 neg (M·d4; any buffer when
//           M = 0)   4 xhat ((2N + M)·ds4)   5 norm: array<f32> (2N + M);  all but norm array<vec4<f32>>
// dispatch: (ceil((2N + M) / 16), 1, P) workgroups of 16, one invocation per row; gid.z is the problem, as in
//           infonce_normalize.wgsl.

struct Params { n: u32, m: u32, d4: u32, ds4: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> pos: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> neg: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> xhat: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> norm: array<f32>;

/** vec4 k of problem pb's stacked row r. */
fn src(pb: u32, r: u32, k: u32) -> vec4<f32> {
  if (r < p.n) { return a[(pb * p.n + r) * p.d4 + k]; }
  if (r < 2u * p.n) { return pos[(pb * p.n + r - p.n) * p.d4 + k]; }
  return neg[(pb * p.m + r - 2u * p.n) * p.d4 + k];
}

@compute @workgroup_size(16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  let pb = gid.z;
  if (r >= 2u * p.n + p.m) { return; }
  var s4 = vec4<f32>(0.0);
  for (var k = 0u; k < p.d4; k++) { let v = src(pb, r, k); s4 = fma(v, v, s4); }
  let nrm = sqrt((s4.x + s4.y) + (s4.z + s4.w));
  let inv = 1.0 / max(nrm, p.eps);
  let row = pb * (2u * p.n + p.m) + r;
  let base = row * p.ds4;
  for (var k = 0u; k < p.d4; k++) { xhat[base + k] = src(pb, r, k) * inv; }
  for (var k = p.d4; k < p.ds4; k++) { xhat[base + k] = vec4<f32>(0.0); }
  norm[row] = nrm;
}
