// softmax_grad_workgroup: backward of softmax and logSoftmax over the last axis from their saved outputs y, one
// workgroup of ROW_WG invocations per row of (rows, C) (the gpu rung for long rows; softmax_grad.wgsl is serial).
//   MODE 0 softmax:     gx[j] = y[j] · (gy[j] − Σ_k gy[k]·y[k])
//   MODE 1 logSoftmax:  gx[j] = gy[j] − exp(y[j]) · Σ_k gy[k]
// Invocation t takes columns t, t + ROW_WG, …; the row sum is common/row_reduce.wgsl's rowSum.
//
// bindings: 0 uniform { rows, C }   1 y: array<f32> (rows·C)   2 gy: array<f32> (rows·C)   3 gx: array<f32> (rows·C)
// dispatch: grid1d(rows · ROW_WG, ROW_WG): one workgroup per row (past 65,535 rows folded into y).

//#include "common/row_reduce.wgsl"

override MODE: u32 = 0u;

struct Params { rows: u32, c: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read_write> gx: array<f32>;

@compute @workgroup_size(ROW_WG)
fn main(ids: RowIds, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stop = rowBegin(ids);
  let row = wg.x + wg.y * nwg.x;
  if (row >= p.rows) { return; }
  let base = row * p.c;
  let t = ids.lid;
  var s = 0.0;
  for (var j = t; j < p.c; j += ROW_WG) {
    if (MODE == 0u) { s += gy[base + j] * y[base + j]; } else { s += gy[base + j]; }
  }
  s = rowSum(t, stop, s);
  for (var j = t; j < p.c; j += ROW_WG) {
    if (MODE == 0u) {
      gx[base + j] = y[base + j] * (gy[base + j] - s);
    } else {
      gx[base + j] = gy[base + j] - exp(y[base + j]) * s;
    }
  }
}
