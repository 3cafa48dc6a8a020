// reduce_max_subgroup: reduce_max_workgroup.wgsl with its reductions begun in subgroups (subgroupMax / subgroupMin):
// assembled with common/row_reduce_subgroup.wgsl in place of row_reduce.wgsl (src/engine/ops/rows.ts). Same
// bindings, constants and dispatch; needs the `subgroups` feature.

//#include "reduce/reduce_max_workgroup.wgsl"
