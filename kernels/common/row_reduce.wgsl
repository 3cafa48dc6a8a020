// Whole-row reductions for the kernels that give one workgroup of ROW_WG invocations to one row (softmax_workgroup,
// layernorm_workgroup, reduce_sum_workgroup, …): each invocation folds its strided share of the row into one value,
// and rowSum / rowMax / rowMin return the row's result to every invocation, here through a tree in workgroup memory.
// The *_subgroup kernels are the same files assembled with row_reduce_subgroup.wgsl in this file's place (see
// src/engine/ops/rows.ts): same names, a first level in subgroups.
//   main(ids: RowIds, …) starts with `let stop = rowBegin(ids);` and passes stop to each reduction; call them from
//   uniform control flow only (they hold barriers). RowIds holds the invocation's own ids, which are not uniform, so
//   main takes workgroup_id and num_workgroups as parameters of their own (the uniformity analysis sees a struct
//   parameter as one value).

//#include "common/row_tree.wgsl"

struct RowIds {
  @builtin(local_invocation_index) lid: u32,
}


fn rowBegin(ids: RowIds) -> u32 {
  return 1u;
}

fn rowSum(lid: u32, stop: u32, v: f32) -> f32 { return rowTree(0u, lid, stop, v); }
fn rowMax(lid: u32, stop: u32, v: f32) -> f32 { return rowTree(1u, lid, stop, v); }
fn rowMin(lid: u32, stop: u32, v: f32) -> f32 { return rowTree(2u, lid, stop, v); }
