// The workgroup-memory tree behind the row kernels' reductions (row_reduce.wgsl, row_reduce_subgroup.wgsl): each of
// ROW_WG invocations brings a value and all get back the combination of them all. Halving strides from ROW_WG / 2
// down to `stop` (1 for the whole tree; the subgroup size when each aligned block of `stop` lanes already holds its
// block's result), one barrier per level. `stop` must be uniform: every invocation runs every barrier.

const ROW_WG: u32 = 128u;
// +∞, the identity of min (−rowInf() that of max); from a private variable, as a constant ∞ does not compile.
var<private> row_inf_bits: u32 = 0x7f800000u;
fn rowInf() -> f32 { return bitcast<f32>(row_inf_bits); }

var<workgroup> row_red: array<f32, ROW_WG>;

// op 0: sum, 1: max, 2: min.
fn rowCombine(op: u32, a: f32, b: f32) -> f32 {
  if (op == 1u) { return max(a, b); }
  if (op == 2u) { return min(a, b); }
  return a + b;
}

fn rowTree(op: u32, lid: u32, stop: u32, v: f32) -> f32 {
  row_red[lid] = v;
  workgroupBarrier();
  for (var s = ROW_WG / 2u; s >= stop; s >>= 1u) {
    if (lid < s) { row_red[lid] = rowCombine(op, row_red[lid], row_red[lid + s]); }
    workgroupBarrier();
  }
  let r = row_red[0];
  workgroupBarrier(); // the next reduction writes row_red again
  return r;
}
