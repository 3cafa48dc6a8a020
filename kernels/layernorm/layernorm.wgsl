// layernorm: layer normalisation over the last axis of x, viewed as (rows, C), one invocation per row, fused:
//   mean = x[0] + Σ (x − x[0]) / C,   var = Σ (x − mean)² / C   (two passes over the row: no E[x²] − E[x]²
//   cancellation)
//   rstd = 1 / sqrt(var + eps)
//   y[j] = (x[j] − mean) · rstd · gamma[j] + beta[j]   (gamma, beta optional: HAS_GAMMA, HAS_BETA)
// mean and rstd are saved per row for the backward pass.
//
// bindings: 0 uniform { rows, C, eps: f32 }   1 x: array<f32> (rows·C)
//           2 gamma: array<f32> (C; bound to x when HAS_GAMMA = 0)   3 beta: array<f32> (C; bound to x when HAS_BETA = 0)
//           4 y: array<f32> (rows·C)   5 mean: array<f32> (rows)   6 rstd: array<f32> (rows)
// dispatch: grid1d(rows, 64) workgroups of 64.

override HAS_GAMMA: u32 = 1u;
override HAS_BETA: u32 = 1u;

struct Params { rows: u32, c: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> mean: array<f32>;
@group(0) @binding(6) var<storage, read_write> rstd: array<f32>;

fn x4(i: u32) -> vec4<f32> {
  return vec4<f32>(x[i], x[i + 1u], x[i + 2u], x[i + 3u]);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * 64u;
  if (row >= p.rows) { return; }
  let base = row * p.c;
  let c4 = p.c & ~3u;
  let inv_c = 1.0 / f32(p.c);
  // Summing x − x[0] rather than x keeps the mean exact to float32 even when the row sits far from zero. The sums
  // run as four independent chains (vec4): SwiftShader runs each invocation's loop serially.
  let shift = x[base];
  var s4 = vec4<f32>(0.0);
  for (var j = 0u; j < c4; j += 4u) { s4 += x4(base + j) - shift; }
  var s = (s4.x + s4.y) + (s4.z + s4.w);
  for (var j = c4; j < p.c; j++) { s += x[base + j] - shift; }
  let m = shift + s * inv_c;
  var v4 = vec4<f32>(0.0);
  for (var j = 0u; j < c4; j += 4u) { let d = x4(base + j) - m; v4 += d * d; }
  var v = (v4.x + v4.y) + (v4.z + v4.w);
  for (var j = c4; j < p.c; j++) { let d = x[base + j] - m; v += d * d; }
  let r = inverseSqrt(v * inv_c + p.eps);
  // y four at a time (vec4 arithmetic, scalar stores), then the C % 4 rest: each element's numbers as one at a time.
  for (var j = 0u; j < c4; j += 4u) {
    var out = (x4(base + j) - m) * r;
    if (HAS_GAMMA == 1u) { out *= vec4<f32>(gamma[j], gamma[j + 1u], gamma[j + 2u], gamma[j + 3u]); }
    if (HAS_BETA == 1u) { out += vec4<f32>(beta[j], beta[j + 1u], beta[j + 2u], beta[j + 3u]); }
    y[base + j] = out.x;
    y[base + j + 1u] = out.y;
    y[base + j + 2u] = out.z;
    y[base + j + 3u] = out.w;
  }
  for (var j = c4; j < p.c; j++) {
    var out = (x[base + j] - m) * r;
    if (HAS_GAMMA == 1u) { out *= gamma[j]; }
    if (HAS_BETA == 1u) { out += beta[j]; }
    y[base + j] = out;
  }
  mean[row] = m;
  rstd[row] = r;
}
