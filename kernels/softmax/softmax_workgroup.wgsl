// softmax_workgroup: the softmax family over the last axis of x, viewed as (rows, C), one workgroup of ROW_WG
// invocations per row (the gpu rung for long rows; softmax.wgsl, one invocation per row, is the serial rung).
//   m = max_j x[j],  s = Σ_j exp(x[j] − m)
//   MODE 0 softmax:     y[j] = exp(x[j] − m) / s       y: (rows, C)
//   MODE 1 logSoftmax:  y[j] = (x[j] − m) − log(s)     y: (rows, C)
//   MODE 2 logsumexp:   y    = m + log(s)              y: (rows)
// Invocation t takes columns t, t + ROW_WG, … (neighbours read neighbouring words); m and s are whole-row
// reductions (common/row_reduce.wgsl: a workgroup-memory tree, or subgroups first in softmax_subgroup).
//
// bindings: 0 uniform { rows, C }   1 x: array<f32> (rows·C)   2 y: array<f32>
// dispatch: grid1d(rows · ROW_WG, ROW_WG): one workgroup per row (past 65,535 rows folded into y).

//#include "common/row_reduce.wgsl"

override MODE: u32 = 0u;

struct Params { rows: u32, c: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(ROW_WG)
fn main(ids: RowIds, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stop = rowBegin(ids);
  let row = wg.x + wg.y * nwg.x;
  if (row >= p.rows) { return; }
  let base = row * p.c;
  let t = ids.lid;
  var m = -rowInf();
  for (var j = t; j < p.c; j += ROW_WG) { m = max(m, x[base + j]); }
  m = rowMax(t, stop, m);
  var s = 0.0;
  for (var j = t; j < p.c; j += ROW_WG) {
    let e = exp(x[base + j] - m);
    if (MODE == 0u) { y[base + j] = e; } // kept, and rescaled below by the same invocation: no second exp
    s += e;
  }
  s = rowSum(t, stop, s);
  if (MODE == 0u) {
    let inv = 1.0 / s;
    for (var j = t; j < p.c; j += ROW_WG) { y[base + j] *= inv; }
  } else if (MODE == 1u) {
    // (x − m) − log(s), not x − (m + log(s)): near |x| = 1e4 a float32 step is 1e-3 (as softmax.wgsl).
    let ls = log(s);
    for (var j = t; j < p.c; j += ROW_WG) { y[base + j] = (x[base + j] - m) - ls; }
  } else if (t == 0u) {
    y[row] = m + log(s);
  }
}
