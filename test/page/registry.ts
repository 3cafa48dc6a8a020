// The ops the tests can call by name in the page. Node-side tests send a name, attributes and input arrays; the page
// builds tensors, runs the op and returns plain arrays. Each area of the engine has its own file of entries.

import type { Tensor } from '../../src/index';
import * as wg from '../../src/index';

/** Runs one op on GPU tensors. `attrs` is whatever JSON the test sends. */
export type PageOp = (inputs: Tensor[], attrs: any, w: typeof wg) => Tensor;
export type OpTable = Record<string, PageOp>;
