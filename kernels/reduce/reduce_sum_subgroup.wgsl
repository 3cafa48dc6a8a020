// reduce_sum_subgroup: reduce_sum_workgroup.wgsl with its sum begun in subgroups (subgroupAdd): assembled with
// common/row_reduce_subgroup.wgsl in place of row_reduce.wgsl (src/engine/ops/rows.ts). Same bindings, constants and
// dispatch; needs the `subgroups` feature.

//#include "reduce/reduce_sum_workgroup.wgsl"
