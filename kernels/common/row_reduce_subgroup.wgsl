// row_reduce.wgsl's whole-row reductions with a first level in subgroups: subgroupAdd / subgroupMax / subgroupMin
// give every lane its subgroup's result, so the workgroup-memory tree can start at the subgroup size S instead of 1
// (log2(ROW_WG / S) + 1 barriers instead of log2(ROW_WG) + 1; 3 instead of 8 at S = 32).
// Correct for any subgroup size: WGSL promises nothing about how lanes map to local_invocation_index, so rowBegin
// checks, once per workgroup, that every subgroup is a full, aligned block of S consecutive invocations of one size S
// (true of every backend we know for 1-D workgroups); where it is not, it returns stop = 1 and the reductions run the
// plain tree on the lanes' own values, which is right for any layout.

enable subgroups;

//#include "common/row_tree.wgsl"

struct RowIds {
  @builtin(local_invocation_index) lid: u32,
  @builtin(subgroup_invocation_id) sid: u32,
  @builtin(subgroup_size) sgs: u32,
}


var<workgroup> row_sg_bad: atomic<u32>;
var<workgroup> row_sg_max: atomic<u32>;
var<workgroup> row_sg_min: atomic<u32>;
var<workgroup> row_stop: u32;

fn rowBegin(ids: RowIds) -> u32 {
  let block = ids.lid / ids.sgs;
  let first = subgroupBroadcastFirst(block); // (subgroup operations outside && and ||, which branch)
  let lanes = subgroupAdd(1u);
  let aligned = subgroupAll(ids.lid % ids.sgs == ids.sid && block == first);
  if (!aligned || lanes != ids.sgs) { atomicStore(&row_sg_bad, 1u); }
  if (ids.lid == 0u) { atomicStore(&row_sg_min, 0xffffffffu); }
  workgroupBarrier();
  atomicMax(&row_sg_max, ids.sgs);
  atomicMin(&row_sg_min, ids.sgs);
  workgroupBarrier();
  if (ids.lid == 0u) {
    let one_size = atomicLoad(&row_sg_max) == atomicLoad(&row_sg_min);
    row_stop = select(1u, ids.sgs, atomicLoad(&row_sg_bad) == 0u && one_size && ids.sgs <= ROW_WG);
  }
  return workgroupUniformLoad(&row_stop);
}

fn rowSum(lid: u32, stop: u32, v: f32) -> f32 {
  var s = v;
  if (stop > 1u) { s = subgroupAdd(v); }
  return rowTree(0u, lid, stop, s);
}

fn rowMax(lid: u32, stop: u32, v: f32) -> f32 {
  var s = v;
  if (stop > 1u) { s = subgroupMax(v); }
  return rowTree(1u, lid, stop, s);
}

fn rowMin(lid: u32, stop: u32, v: f32) -> f32 {
  var s = v;
  if (stop > 1u) { s = subgroupMin(v); }
  return rowTree(2u, lid, stop, s);
}
