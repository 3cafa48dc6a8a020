// topk_softmax: softmax over the k largest entries of each row, zero elsewhere (a Mixture-of-Experts router's top-k
// gate), one invocation per row of x viewed as (rows, C).
//   selected j  ⇔  rank(j) < k,  rank(j) = #{i : x[i] > x[j]} + #{i < j : x[i] = x[j]}   (ties go to the lower index)
//   m = max_j x[j] (always selected),  y[j] = selected ? exp(x[j] − m) / Σ_{selected i} exp(x[i] − m) : 0
// The rank is counted directly (C² comparisons): router rows are a few experts wide, where this beats any sort and
// needs no scratch memory. The backward is softmax's (kernels/softmax/softmax_grad.wgsl, MODE 0) on the saved y: with y = 0
// off the selection, gx[j] = y[j]·(gy[j] − Σ gy·y) is exactly the gradient of the top-k softmax.
//
// bindings: 0 uniform { rows, C, k }   1 x: array<f32> (rows·C)   2 y: array<f32> (rows·C)
// dispatch: grid1d(rows, 64) workgroups of 64.

struct Params { rows: u32, c: u32, k: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn selected(base: u32, j: u32) -> bool {
  let v = x[base + j];
  var rank = 0u;
  for (var i = 0u; i < p.c; i++) {
    let u = x[base + i];
    if (u > v || (u == v && i < j)) { rank++; }
  }
  return rank < p.k;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * 64u;
  if (row >= p.rows) { return; }
  let base = row * p.c;
  var m = x[base];
  for (var j = 1u; j < p.c; j++) { m = max(m, x[base + j]); }
  var s = 0.0;
  for (var j = 0u; j < p.c; j++) {
    var e = 0.0;
    if (selected(base, j)) { e = exp(x[base + j] - m); }
    y[base + j] = e;
    s += e;
  }
  let inv = 1.0 / s;
  for (var j = 0u; j < p.c; j++) { y[base + j] = y[base + j] * inv; }
}
