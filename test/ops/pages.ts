// The page halves of the op tests, merged into the one table the test page runs ops from. A new op family adds its
// test/ops/<family>.page.ts here. The Node side imports only this file's types (`import type`: erased, so Node never
// loads the engine or its WGSL): OpName, and the inputs and attrs each op takes.

import type { AttrsOf as AttrsIn, InputsOf as InputsIn, OpTable } from '../page/registry';
import { OPS as nn } from '../page/ops-nn';
import { OPS as attention } from './attention.page';
import { OPS as club } from './club.page';
import { OPS as conv1d } from './conv1d.page';
import { OPS as dropout } from './dropout.page';
import { OPS as affine, INTO_OPS as affineInto } from './affine.page';
import { OPS as elementwise } from './elementwise.page';
import { OPS as infonce } from './infonce.page';
import { OPS as layernorm } from './layernorm.page';
import { OPS as loss } from './loss.page';
import { OPS as lstm } from './lstm.page';
import { OPS as matmul } from './matmul.page';
import { OPS as reduce } from './reduce.page';
import { OPS as shape } from './shape.page';
import { OPS as softmax } from './softmax.page';
import { OPS as topk } from './topk.page';
import { OPS as weightedSum } from './weighted-sum.page';

export const OP_PAGES = {
  ...attention,
  ...club,
  ...conv1d,
  ...dropout,
  ...affine,
  ...affineInto,
  ...elementwise,
  ...infonce,
  ...layernorm,
  ...loss,
  ...lstm,
  ...matmul,
  ...reduce,
  ...shape,
  ...softmax,
  ...topk,
  ...weightedSum,
  ...nn,
} satisfies OpTable;

export type OpPages = typeof OP_PAGES;
export type OpName = keyof OpPages;
/** What op K takes: its input tensors (a tuple, or Tensor[] when the count varies) and its attrs; per op for a union. */
export type InputsOf<K extends OpName> = K extends OpName ? InputsIn<OpPages, K> : never;
export type AttrsOf<K extends OpName> = K extends OpName ? AttrsIn<OpPages, K> : never;
