// The rungs of the row ops — the softmax family, layerNorm and reductions over contiguous rows — which give a row
// either to one invocation or to a whole workgroup (docs/decisions/rows.md):
//   'serial'     one invocation loops over its row (softmax.wgsl, layernorm.wgsl, reduce_sum.wgsl, …): no barriers,
//                no workgroup memory, what SwiftShader runs fastest, and fine on a GPU for short rows;
//   'workgroup'  ROW_WG invocations share a row, reading it along its length, then a tree in workgroup memory
//                (kernels/common/row_reduce.wgsl) gives each whole-row sum or maximum to all of them;
//   'subgroup'   'workgroup' with each reduction begun in subgroups (row_reduce_subgroup.wgsl): needs the device's
//                `subgroups` feature (tuning.subgroups).
// With no `kernel` option, the cpu profile runs 'serial'; the gpu profile runs 'subgroup' (or 'workgroup' without
// subgroups) for rows of at least ROW_MIN_LENGTH, 'serial' for shorter ones.

import { runtime } from '../engine';
import { check, type Shape } from '../errors';
import { grid1d } from '../runtime';
import { COMMON_WGSL } from '../kernels-common';
import { pickRung } from '../tuning';

export type RowKernel = 'serial' | 'workgroup' | 'subgroup';
export const ROW_KERNELS: readonly RowKernel[] = ['serial', 'workgroup', 'subgroup'];

/** The `kernel` option of the row ops. */
export interface RowOptions {
  kernel?: RowKernel;
}

/** Invocations per row in the workgroup rungs: ROW_WG in kernels/common/row_tree.wgsl. */
export const ROW_WG = 128;
/**
 * The shortest row the gpu profile gives a workgroup: a row as long as the workgroup keeps every invocation busy in
 * every loop; a shorter one would leave most idle and still pay every barrier (unmeasured on a GPU so far).
 */
export const ROW_MIN_LENGTH = ROW_WG;

/**
 * The rung for rows of length `c`: the caller's `kernel` (checked: a WebgradError naming the op and shapes for an
 * unknown one, or 'subgroup' on a device without subgroups), else the active tuning's.
 */
export function rowRung(op: string, opts: RowOptions | undefined, c: number, shapes: Shape[]): RowKernel {
  const k = opts?.kernel;
  const msg = `kernel must be one of ${ROW_KERNELS.join(', ')}, got ${String(k)}`;
  check(k === undefined || ROW_KERNELS.includes(k), op, msg, shapes);
  const t = runtime().tuning;
  check(k !== 'subgroup' || t.subgroups, op, "kernel 'subgroup' needs a device with the subgroups feature", shapes);
  if (k !== undefined) return k;
  const rung = pickRung<RowKernel>(t, { cpu: 'serial', gpu: t.subgroups ? 'subgroup' : 'workgroup' });
  return c >= ROW_MIN_LENGTH ? rung : 'serial';
}

/**
 * The include library of a `<op>_subgroup.wgsl` kernel, whose file only includes its workgroup kernel (`path` under
 * kernels/, source `workgroupSrc`): with row_reduce_subgroup.wgsl standing in for row_reduce.wgsl, so one kernel body
 * serves both rungs.
 */
export function subgroupLibrary(path: string, workgroupSrc: string): Record<string, string> {
  const sub = COMMON_WGSL['common/row_reduce_subgroup.wgsl'];
  return { ...COMMON_WGSL, 'common/row_reduce.wgsl': sub, [path]: workgroupSrc };
}

/** Workgroups for one row each (rows past 65,535 fold into y; the kernels unfold them as wg.x + wg.y · nwg.x). */
export const rowGroups = (rows: number): [number, number] => grid1d(rows * ROW_WG, ROW_WG);
