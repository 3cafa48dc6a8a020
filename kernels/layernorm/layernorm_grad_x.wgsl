// layernorm_grad_x: dL/dx of layer normalisation, one invocation per row of (rows, C), from the saved mean and rstd.
// With x̂ = (x − mean)·rstd and g = gy·gamma (gamma = 1 when HAS_GAMMA = 0):
//   dx[j] = rstd · (g[j] − mean_k g[k] − x̂[j] · mean_k g[k]·x̂[k])
// (the two means are the gradient flowing back through the row's mean and through its variance).
//
// bindings: 0 uniform { rows, C }   1 x: array<f32> (rows·C)   2 gamma: array<f32> (C; bound to x when HAS_GAMMA = 0)
//           3 mean: array<f32> (rows)   4 rstd: array<f32> (rows)   5 gy: array<f32> (rows·C)
//           6 dx: array<f32> (rows·C)
// dispatch: grid1d(rows, 64) workgroups of 64.

override HAS_GAMMA: u32 = 1u;
// ACCUMULATE = 1 adds into dx instead of storing (dx += …): the residual stream's gradient, which x already has from
// its other consumer (autograd's `into`), takes this row's share in the same launch instead of a separate accumulate.
override ACCUMULATE: u32 = 0u;

struct Params { rows: u32, c: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> rstd: array<f32>;
@group(0) @binding(5) var<storage, read> gy: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;

fn g_at(base: u32, j: u32) -> f32 {
  if (HAS_GAMMA == 1u) { return gy[base + j] * gamma[j]; }
  return gy[base + j];
}

fn g4(base: u32, j: u32) -> vec4<f32> {
  return vec4<f32>(g_at(base, j), g_at(base, j + 1u), g_at(base, j + 2u), g_at(base, j + 3u));
}

fn x4(i: u32) -> vec4<f32> {
  return vec4<f32>(x[i], x[i + 1u], x[i + 2u], x[i + 3u]);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * 64u;
  if (row >= p.rows) { return; }
  let base = row * p.c;
  let c4 = p.c & ~3u;
  let m = mean[row];
  let r = rstd[row];
  // Both row sums run as four independent chains (vec4): SwiftShader runs each invocation's loop serially.
  var sg4 = vec4<f32>(0.0);
  var sgx4 = vec4<f32>(0.0);
  for (var j = 0u; j < c4; j += 4u) {
    let g = g4(base, j);
    sg4 += g;
    sgx4 += g * (x4(base + j) - m) * r;
  }
  var sg = (sg4.x + sg4.y) + (sg4.z + sg4.w);
  var sgx = (sgx4.x + sgx4.y) + (sgx4.z + sgx4.w);
  for (var j = c4; j < p.c; j++) {
    let g = g_at(base, j);
    sg += g;
    sgx += g * (x[base + j] - m) * r;
  }
  let inv_c = 1.0 / f32(p.c);
  let a = sg * inv_c;
  let b = sgx * inv_c;
  // dx four at a time (vec4 arithmetic, scalar stores), then the C % 4 rest: each element's numbers as one at a time.
  for (var j = 0u; j < c4; j += 4u) {
    let xh = (x4(base + j) - m) * r;
    put4(base + j, r * (g4(base, j) - a - xh * b));
  }
  for (var j = c4; j < p.c; j++) {
    let xh = (x[base + j] - m) * r;
    put(base + j, r * (g_at(base, j) - a - xh * b));
  }
}

/** dx[i] = d, or dx[i] += d with ACCUMULATE. */
fn put(i: u32, d: f32) {
  if (ACCUMULATE == 1u) {
    dx[i] = dx[i] + d;
  } else {
    dx[i] = d;
  }
}

fn put4(i: u32, d: vec4<f32>) {
  put(i, d.x);
  put(i + 1u, d.y);
  put(i + 2u, d.z);
  put(i + 3u, d.w);
}
