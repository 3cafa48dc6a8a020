// layernorm_grad_x_workgroup: dL/dx of layer normalisation from the saved mean and rstd, one workgroup of ROW_WG
// invocations per row of (rows, C) (the gpu rung for long rows; layernorm_grad_x.wgsl is serial).
// With x̂ = (x − mean)·rstd and g = gy·gamma (gamma = 1 when HAS_GAMMA = 0):
//   dx[j] = rstd · (g[j] − mean_k g[k] − x̂[j] · mean_k g[k]·x̂[k])
// Invocation t takes columns t, t + ROW_WG, …; both sums are common/row_reduce.wgsl's rowSum.
//
// bindings: 0 uniform { rows, C }   1 x: array<f32> (rows·C)   2 gamma: array<f32> (C; bound to x when HAS_GAMMA = 0)
//           3 mean: array<f32> (rows)   4 rstd: array<f32> (rows)   5 gy: array<f32> (rows·C)
//           6 dx: array<f32> (rows·C)
// dispatch: grid1d(rows · ROW_WG, ROW_WG): one workgroup per row (past 65,535 rows folded into y).

//#include "common/row_reduce.wgsl"

override HAS_GAMMA: u32 = 1u;

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

@compute @workgroup_size(ROW_WG)
fn main(ids: RowIds, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stop = rowBegin(ids);
  let row = wg.x + wg.y * nwg.x;
  if (row >= p.rows) { return; }
  let base = row * p.c;
  let t = ids.lid;
  let m = mean[row];
  let r = rstd[row];
  var sg = 0.0;
  var sgx = 0.0;
  for (var j = t; j < p.c; j += ROW_WG) {
    let g = g_at(base, j);
    sg += g;
    sgx += g * (x[base + j] - m) * r;
  }
  let inv_c = 1.0 / f32(p.c);
  let a = rowSum(t, stop, sg) * inv_c;
  let b = rowSum(t, stop, sgx) * inv_c;
  for (var j = t; j < p.c; j += ROW_WG) {
    let xh = (x[base + j] - m) * r;
    dx[base + j] = r * (g_at(base, j) - a - xh * b);
  }
}
