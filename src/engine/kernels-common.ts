// The WGSL that kernels may `//#include` (see src/include.ts), by its path under kernels/. Adding a shared piece is a
// file in kernels/common/ and a line here.

import attentionAxpy from '../../kernels/common/attention_axpy.wgsl';
import attentionMask from '../../kernels/common/attention_mask.wgsl';
import attentionRows from '../../kernels/common/attention_rows.wgsl';
import broadcast from '../../kernels/common/broadcast.wgsl';
import erf from '../../kernels/common/erf.wgsl';
import gemm64 from '../../kernels/common/gemm64.wgsl';
import pow from '../../kernels/common/pow.wgsl';
import row16 from '../../kernels/common/row16.wgsl';
import rowReduce from '../../kernels/common/row_reduce.wgsl';
import rowReduceSubgroup from '../../kernels/common/row_reduce_subgroup.wgsl';
import rowTree from '../../kernels/common/row_tree.wgsl';
import smooth from '../../kernels/common/smooth.wgsl';
import tanh from '../../kernels/common/tanh.wgsl';

export const COMMON_WGSL: Readonly<Record<string, string>> = {
  'common/attention_axpy.wgsl': attentionAxpy,
  'common/attention_mask.wgsl': attentionMask,
  'common/attention_rows.wgsl': attentionRows,
  'common/broadcast.wgsl': broadcast,
  'common/erf.wgsl': erf,
  'common/gemm64.wgsl': gemm64,
  'common/pow.wgsl': pow,
  'common/row16.wgsl': row16,
  'common/row_reduce.wgsl': rowReduce,
  'common/row_reduce_subgroup.wgsl': rowReduceSubgroup,
  'common/row_tree.wgsl': rowTree,
  'common/smooth.wgsl': smooth,
  'common/tanh.wgsl': tanh,
};
