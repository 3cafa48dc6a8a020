// layernorm_workgroup: layer normalisation over the last axis of x, viewed as (rows, C), one workgroup of ROW_WG
// invocations per row (the gpu rung for long rows; layernorm.wgsl, one invocation per row, is the serial rung):
//   mean = x[0] + Σ (x − x[0]) / C,   var = Σ (x − mean)² / C   (two passes, as layernorm.wgsl)
//   rstd = 1 / sqrt(var + eps),   y[j] = (x[j] − mean) · rstd · gamma[j] + beta[j]   (HAS_GAMMA, HAS_BETA)
// mean and rstd are saved per row for the backward pass. Invocation t takes columns t, t + ROW_WG, …; the two sums
// are common/row_reduce.wgsl's rowSum (a workgroup-memory tree, or subgroups first in layernorm_subgroup).
//
// bindings: 0 uniform { rows, C, eps: f32 }   1 x: array<f32> (rows·C)
//           2 gamma: array<f32> (C; bound to x when HAS_GAMMA = 0)   3 beta: array<f32> (C; bound to x when HAS_BETA = 0)
//           4 y: array<f32> (rows·C)   5 mean: array<f32> (rows)   6 rstd: array<f32> (rows)
// dispatch: grid1d(rows · ROW_WG, ROW_WG): one workgroup per row (past 65,535 rows folded into y).

//#include "common/row_reduce.wgsl"

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

@compute @workgroup_size(ROW_WG)
fn main(ids: RowIds, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stop = rowBegin(ids);
  let row = wg.x + wg.y * nwg.x;
  if (row >= p.rows) { return; }
  let base = row * p.c;
  let t = ids.lid;
  let inv_c = 1.0 / f32(p.c);
  let shift = x[base]; // summing x − x[0] keeps the mean exact when the row sits far from zero
  var s = 0.0;
  for (var j = t; j < p.c; j += ROW_WG) { s += x[base + j] - shift; }
  let m = shift + rowSum(t, stop, s) * inv_c;
  var v = 0.0;
  for (var j = t; j < p.c; j += ROW_WG) { let d = x[base + j] - m; v += d * d; }
  let r = inverseSqrt(rowSum(t, stop, v) * inv_c + p.eps);
  for (var j = t; j < p.c; j += ROW_WG) {
    var out = (x[base + j] - m) * r;
    if (HAS_GAMMA == 1u) { out *= gamma[j]; }
    if (HAS_BETA == 1u) { out += beta[j]; }
    y[base + j] = out;
  }
  if (t == 0u) {
    mean[row] = m;
    rstd[row] = r;
  }
}
