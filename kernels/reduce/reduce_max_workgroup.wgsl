// reduce_max_workgroup: reduce_max (MIN = 1: the minimum) for contiguous rows (x viewed as (outer, R), inner = 1),
// one workgroup of ROW_WG invocations per output instead of one invocation (the gpu rung for long rows):
//   y[o, p]  = max_{r in chunk p} x[o, r]
//   yi[o, p] = the lowest r in the chunk holding it, as an exact f32 (ties as reduce_max: to the first)
// COMBINE = 0: over x itself, the index is r; COMBINE = 1: over (outer, P) partials, the index is carried from xi.
// Invocation t scans r0 + t, r0 + t + ROW_WG, … in order (strict > keeps its first), then the workgroup takes the
// row's maximum (rowMax) and, among the invocations holding it, the lowest index (rowMin): the same ties as serial.
//
// bindings: 0 uniform { n = outer·P, rlen = R, chunk, nchunks = P }
//           1 x: array<f32> (outer·R)   2 xi: array<f32> (outer·R indices; bound to x when COMBINE = 0)
//           3 y: array<f32> (outer·P)   4 yi: array<f32> (outer·P)
// dispatch: grid1d(n · ROW_WG, ROW_WG): one workgroup per output (past 65,535 folded into y).

//#include "common/row_reduce.wgsl"

override COMBINE: u32 = 0u;
override MIN: u32 = 0u;

struct Params { n: u32, rlen: u32, chunk: u32, nchunks: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> xi: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> yi: array<f32>;

@compute @workgroup_size(ROW_WG)
fn main(ids: RowIds, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stop = rowBegin(ids);
  let out = wg.x + wg.y * nwg.x;
  if (out >= p.n) { return; }
  let base = (out / p.nchunks) * p.rlen;
  let r0 = (out % p.nchunks) * p.chunk;
  let r1 = min(r0 + p.chunk, p.rlen);
  var best = select(-rowInf(), rowInf(), MIN == 1u);
  var at = rowInf(); // this invocation's index of best; +∞ when it saw nothing
  for (var r = r0 + ids.lid; r < r1; r += ROW_WG) {
    let v = x[base + r];
    if (select(v > best, v < best, MIN == 1u) || at == rowInf()) {
      best = v;
      if (COMBINE == 1u) { at = xi[base + r]; } else { at = f32(r); }
    }
  }
  var m: f32;
  if (MIN == 1u) { m = rowMin(ids.lid, stop, best); } else { m = rowMax(ids.lid, stop, best); }
  let idx = rowMin(ids.lid, stop, select(rowInf(), at, best == m));
  if (ids.lid == 0u) {
    y[out] = m;
    yi[out] = idx;
  }
}
