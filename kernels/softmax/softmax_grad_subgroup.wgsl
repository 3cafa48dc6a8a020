// softmax_grad_subgroup: softmax_grad_workgroup.wgsl with its row sum begun in subgroups (subgroupAdd): assembled with
// common/row_reduce_subgroup.wgsl in place of row_reduce.wgsl (src/engine/ops/rows.ts). Same bindings, constants and
// dispatch; needs the `subgroups` feature.

//#include "softmax/softmax_grad_workgroup.wgsl"
