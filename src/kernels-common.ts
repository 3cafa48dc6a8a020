// The WGSL that kernels may `//#include` (see src/include.ts), by its path under kernels/. Adding a shared piece is a
// file in kernels/common/ and a line here.

import erf from '../kernels/common/erf.wgsl';
import pow from '../kernels/common/pow.wgsl';
import tanh from '../kernels/common/tanh.wgsl';

export const COMMON_WGSL: Readonly<Record<string, string>> = {
  'common/erf.wgsl': erf,
  'common/pow.wgsl': pow,
  'common/tanh.wgsl': tanh,
};
