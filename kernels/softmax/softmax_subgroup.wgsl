// softmax_subgroup: softmax_workgroup.wgsl with its row reductions begun in subgroups (subgroupMax, subgroupAdd)
// before the workgroup-memory tree: assembled with common/row_reduce_subgroup.wgsl in place of row_reduce.wgsl
// (src/engine/ops/rows.ts). Same bindings, constants and dispatch; needs the `subgroups` feature.

//#include "softmax/softmax_workgroup.wgsl"
