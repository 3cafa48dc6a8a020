// softmax_grad: backward of softmax and logSoftmax over the last axis, from their saved outputs y, one invocation
// per row of (rows, C).
//   MODE 0 softmax:     gx[j] = y[j] · (gy[j] − Σ_k gy[k]·y[k])
//   MODE 1 logSoftmax:  gx[j] = gy[j] − exp(y[j]) · Σ_k gy[k]
//
// bindings: 0 uniform { rows, C }   1 y: array<f32> (rows·C)   2 gy: array<f32> (rows·C)   3 gx: array<f32> (rows·C)
// dispatch: grid1d(rows, 64) workgroups of 64.

override MODE: u32 = 0u;

struct Params { rows: u32, c: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read_write> gx: array<f32>;

fn y4(i: u32) -> vec4<f32> {
  return vec4<f32>(y[i], y[i + 1u], y[i + 2u], y[i + 3u]);
}

fn gy4(i: u32) -> vec4<f32> {
  return vec4<f32>(gy[i], gy[i + 1u], gy[i + 2u], gy[i + 3u]);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * 64u;
  if (row >= p.rows) { return; }
  let base = row * p.c;
  let c4 = p.c & ~3u;
  // The row sum runs as four independent chains (vec4): SwiftShader runs each invocation's loop serially.
  var s4 = vec4<f32>(0.0);
  var s = 0.0;
  if (MODE == 0u) {
    for (var j = 0u; j < c4; j += 4u) { s4 += gy4(base + j) * y4(base + j); }
    s = (s4.x + s4.y) + (s4.z + s4.w);
    for (var j = c4; j < p.c; j++) { s += gy[base + j] * y[base + j]; }
    for (var j = 0u; j < p.c; j++) { gx[base + j] = y[base + j] * (gy[base + j] - s); }
  } else {
    for (var j = 0u; j < c4; j += 4u) { s4 += gy4(base + j); }
    s = (s4.x + s4.y) + (s4.z + s4.w);
    for (var j = c4; j < p.c; j++) { s += gy[base + j]; }
    for (var j = 0u; j < p.c; j++) { gx[base + j] = gy[base + j] - exp(y[base + j]) * s; }
  }
}
