// The page halves of the op tests, merged into the one table the test page calls by name. A new op family adds its
// test/ops/<family>.page.ts here.

import type { OpTable } from '../page/registry';
import { OPS as attention } from './attention.page';
import { OPS as club } from './club.page';
import { OPS as conv1d } from './conv1d.page';
import { OPS as dropout } from './dropout.page';
import { OPS as elementwise } from './elementwise.page';
import { OPS as infonce } from './infonce.page';
import { OPS as layernorm } from './layernorm.page';
import { OPS as loss } from './loss.page';
import { OPS as lstm } from './lstm.page';
import { OPS as matmul } from './matmul.page';
import { OPS as reduce } from './reduce.page';
import { OPS as shape } from './shape.page';
import { OPS as softmax } from './softmax.page';

export const OP_PAGES: OpTable = {
  ...attention, ...club, ...conv1d, ...dropout, ...elementwise, ...infonce, ...layernorm, ...loss, ...lstm, ...matmul,
  ...reduce, ...shape, ...softmax,
};
