// The ops the tests can call by name in the page. Node-side tests send a name, attributes and input arrays; the page
// builds tensors, runs the op and returns plain arrays. Each op family has its own file of entries,
// test/ops/<family>.page.ts (merged by test/ops/pages.ts); the functional linear is in ./ops-nn.ts.

import type { Tensor } from '../../src/index';
import * as wg from '../../src/index';

/** Runs one op on GPU tensors. `attrs` is whatever JSON the test sends. */
export type PageOp = (inputs: Tensor[], attrs: any, w: typeof wg) => Tensor;
export type OpTable = Record<string, PageOp>;
