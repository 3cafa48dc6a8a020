// reduce_sum_workgroup: reduce_sum for contiguous rows (x viewed as (outer, R), inner = 1), one workgroup of ROW_WG
// invocations per output instead of one invocation (the gpu rung for long rows):
//   y[o, p] = scale · Σ_{r in chunk p} f(x[o, r]),   chunk p = [p·chunk, min((p+1)·chunk, R))
//   f(v) = v (SQDEV = 0: sum, mean, second passes)   or (v − m[o])² (SQDEV = 1: variance's squared deviations)
// Invocation t takes r0 + t, r0 + t + ROW_WG, … (neighbours read neighbouring words); the workgroup's total is
// common/row_reduce.wgsl's rowSum. Few long rows are still cut into P chunks by the host, as for reduce_sum.
//
// bindings: 0 uniform { n = outer·P, rlen = R, chunk, nchunks = P, scale: f32 }
//           1 x: array<f32> (outer·R)   2 m: array<f32> (outer; bound to x when SQDEV = 0)   3 y: array<f32> (outer·P)
// dispatch: grid1d(n · ROW_WG, ROW_WG): one workgroup per output (past 65,535 folded into y).

//#include "common/row_reduce.wgsl"

override SQDEV: u32 = 0u;

struct Params { n: u32, rlen: u32, chunk: u32, nchunks: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(ROW_WG)
fn main(ids: RowIds, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stop = rowBegin(ids);
  let out = wg.x + wg.y * nwg.x;
  if (out >= p.n) { return; }
  let o = out / p.nchunks;
  let r0 = (out % p.nchunks) * p.chunk;
  let r1 = min(r0 + p.chunk, p.rlen);
  var mo = 0.0;
  if (SQDEV == 1u) { mo = m[o]; }
  let base = o * p.rlen;
  var s = 0.0;
  for (var r = r0 + ids.lid; r < r1; r += ROW_WG) {
    var v = x[base + r];
    if (SQDEV == 1u) { v = (v - mo) * (v - mo); }
    s += v;
  }
  s = rowSum(ids.lid, stop, s);
  if (ids.lid == 0u) { y[out] = s * p.scale; }
}
